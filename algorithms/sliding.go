package algorithms

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/sliding.lua
	slidingLua    string
	slidingScript = newScript(slidingLua)
)

// SlidingLog admits at most Limit.Requests in any window (now-Window, now],
// keeping every admission in a sorted set scored by its time:
// rl:{user}:sliding. Members are unique per call, so a thousand requests in
// the same microsecond are a thousand entries, not one.
//
// With 100 per minute, 100 requests at 12:00:59.990 use up the allowance
// until 12:01:59.990; a rejection at 12:01:00.010 gets RetryAfter 59.98s.
// When the clock steps back behind the newest admission the log decides,
// records and reports (Decision.At) as at that admission, so that no window
// holds more than the limit; RetryAfter and ResetAfter still count from
// the caller's clock.
// Memory is one entry per admission in the window. It is safe for
// concurrent use.
type SlidingLog struct {
	scripted
	nonce  string
	serial atomic.Uint64
}

// NewSlidingLog returns a sliding-window-log limiter that runs on rdb.
func NewSlidingLog(rdb redis.Scripter, opts Options) *SlidingLog {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	s := &SlidingLog{
		scripted: scripted{name: "sliding", script: slidingScript, rdb: rdb, opts: opts},
		nonce:    hex.EncodeToString(b[:]),
	}
	s.args = s.argv
	return s
}

// AllowN implements Limiter.
func (s *SlidingLog) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return s.run(ctx, key, limit, n)
}

// argv is the script's ARGV after the time, with a new member.
func (s *SlidingLog) argv(limit Limit, n int64) []any {
	// The member prefix is unique per process and call, even across many
	// load generators sharing one Redis.
	member := s.nonce + ":" + strconv.FormatUint(s.serial.Add(1), 36)
	return []any{limit.Requests, limit.windowMicros(), n, member}
}

// Bound is Requests per whole window the span covers.
func (s *SlidingLog) Bound(limit Limit, span time.Duration) int64 {
	return slidingBound(limit, span)
}

func slidingBound(limit Limit, span time.Duration) int64 {
	if span <= 0 {
		return 0
	}
	return mulSat(limit.Requests, ceilDiv(span.Microseconds(), limit.windowMicros()))
}

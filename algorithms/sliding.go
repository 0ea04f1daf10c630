package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/sliding.lua
	slidingLua    string
	slidingScript = newScript(slidingLua)
)

// SlidingLog admits at most Limit.Requests in any window (now-Window, now],
// keeping the instant of every admission, newest first, in a Redis list:
// rl:{user}:sliding. A list stays sorted because every admission is at or
// after the newest, and holds each instant as a listpack integer: about 11
// bytes per admission at 10,000 in the window, where a sorted set (one
// unique member per admission) took 129. A thousand requests in the same
// microsecond are a thousand elements, not one.
//
// With 100 per minute, 100 requests at 12:00:59.990 use up the allowance
// until 12:01:59.990; a rejection at 12:01:00.010 gets RetryAfter 59.98s.
// When the clock steps back behind the newest admission the log decides,
// records and reports (Decision.At) as at that admission, so that no window
// holds more than the limit; RetryAfter and ResetAfter still count from
// the caller's clock.
// Memory is one list element per admission in the window. It is safe for
// concurrent use.
type SlidingLog struct {
	scripted
}

// NewSlidingLog returns a sliding-window-log limiter that runs on rdb.
func NewSlidingLog(rdb redis.Scripter, opts Options) *SlidingLog {
	return &SlidingLog{newScripted("sliding", slidingScript, rdb, opts, windowParams)}
}

// AllowN implements Limiter.
func (s *SlidingLog) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return s.decide(ctx, key, limit, n)
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

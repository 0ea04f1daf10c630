package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/sliding_counter.lua
	slidingCounterLua    string
	slidingCounterScript = newScript(slidingCounterLua)
)

// SlidingCounter approximates a sliding window with two fixed-window counts
// (rl:{user}:sliding-counter:<window index>): the previous window's count,
// weighted by the share of it still inside the trailing window, plus the
// current one. Two small keys per user, whatever the limit.
//
// With 100 per minute, 80 in the previous window and 30 s into this one,
// 80×30/60 = 40 are assumed still in the window, so 60 more may pass. The
// estimate assumes the previous window's requests were evenly spread; when
// they all came at its end, up to 2×Requests can pass in one trailing
// window, though never more than Requests in one aligned window. It is safe
// for concurrent use.
type SlidingCounter struct{ scripted }

// NewSlidingCounter returns a sliding-window-counter limiter that runs on rdb.
func NewSlidingCounter(rdb redis.Scripter, opts Options) *SlidingCounter {
	return &SlidingCounter{scripted{name: "sliding-counter", script: slidingCounterScript, rdb: rdb, opts: opts, args: slidingCounterArgs}}
}

// AllowN implements Limiter.
func (s *SlidingCounter) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return s.run(ctx, key, limit, n)
}

// Bound is the same as a fixed window's: at most Requests per aligned
// window, so 2×Requests in a span of one window.
func (s *SlidingCounter) Bound(limit Limit, span time.Duration) int64 {
	return fixedBound(limit, span)
}

// slidingCounterArgs are the sliding-counter script's ARGV after the time.
func slidingCounterArgs(limit Limit, n int64) []any {
	return []any{limit.Requests, limit.windowMicros(), n}
}

package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/fixed.lua
	fixedLua    string
	fixedScript = newScript(fixedLua)
)

// FixedWindow admits at most Limit.Requests per epoch-aligned window,
// counted in one key per window: rl:{user}:fixed:<window index>.
//
// With 100 per minute, 100 requests at 12:00:59.990 and 100 more at
// 12:01:00.010 all pass: 200 in 20 ms, the edge burst the seed's README
// warns of. RetryAfter of a rejection is the time to the next window.
// It is safe for concurrent use.
type FixedWindow struct{ scripted }

// NewFixedWindow returns a fixed-window limiter that runs on rdb.
func NewFixedWindow(rdb redis.Scripter, opts Options) *FixedWindow {
	return &FixedWindow{scripted{name: "fixed", script: fixedScript, rdb: rdb, opts: opts, args: fixedArgs}}
}

// AllowN implements Limiter.
func (f *FixedWindow) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return f.run(ctx, key, limit, n)
}

// Bound is Requests for every aligned window a span can touch: 2×Requests
// for a span of one window that straddles a boundary. Like every Bound it
// saturates at math.MaxInt64 rather than overflow.
func (f *FixedWindow) Bound(limit Limit, span time.Duration) int64 {
	return fixedBound(limit, span)
}

func fixedBound(limit Limit, span time.Duration) int64 {
	if span <= 0 {
		return 0
	}
	return mulSat(limit.Requests, ceilDiv(span.Microseconds(), limit.windowMicros())+1)
}

// Name implements Limiter.
func (s scripted) Name() string { return s.name }

// fixedArgs are the fixed script's ARGV after the time.
func fixedArgs(limit Limit, n int64) []any {
	return []any{limit.Requests, limit.windowMicros(), n}
}

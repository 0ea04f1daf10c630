package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/gcra.lua
	gcraLua    string
	gcraScript = newScript(gcraLua)
)

// GCRA is the generic cell rate algorithm: one stored theoretical arrival
// time per key (rl:{user}:gcra), an emission interval T = Window/Requests
// rounded up to a whole microsecond, and a tolerance of Burst intervals.
//
// Burst convention: after an idle period exactly Limit.Capacity() requests
// pass back to back (as in go-redis/redis_rate), then one every T. With 10
// per second and burst 3, three pass at 12:00:00.000, the fourth passes at
// 12:00:00.100, and one asked at 12:00:00.050 gets RetryAfter 50ms. It is
// safe for concurrent use.
type GCRA struct{ scripted }

// NewGCRA returns a GCRA limiter that runs on rdb.
func NewGCRA(rdb redis.Scripter, opts Options) *GCRA {
	return &GCRA{scripted{name: "gcra", script: gcraScript, rdb: rdb, opts: opts, args: gcraArgs}}
}

// AllowN implements Limiter.
func (g *GCRA) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return g.run(ctx, key, limit, n)
}

// Bound is B + ⌊D/T⌋: the burst, then one per emission interval.
func (g *GCRA) Bound(limit Limit, span time.Duration) int64 {
	if span <= 0 {
		return 0
	}
	interval := ceilDiv(limit.windowMicros(), limit.Requests)
	return addSat(limit.Capacity(), span.Microseconds()/interval)
}

// gcraArgs are the gcra script's ARGV after the time.
func gcraArgs(limit Limit, n int64) []any {
	return []any{limit.Requests, limit.windowMicros(), limit.Capacity(), n}
}

package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/leaky.lua
	leakyLua    string
	leakyScript = newScript(leakyLua)
)

// LeakyBucket polices a queue of depth Limit.Capacity() that drains
// Limit.Requests per Window, continuously: a request that would overflow
// the queue is rejected (a meter, not a shaper: nothing waits). State is
// one hash, rl:{user}:leaky.
//
// With 10 per second and depth 5, five requests at once fill the queue; the
// sixth, 30 ms later, gets RetryAfter 70ms, when one place has drained.
// Unlike the seed's "leaky bucket", the queue really drains. It is safe for
// concurrent use.
type LeakyBucket struct{ scripted }

// NewLeakyBucket returns a policing leaky-bucket limiter that runs on rdb.
func NewLeakyBucket(rdb redis.Scripter, opts Options) *LeakyBucket {
	return &LeakyBucket{scripted{name: "leaky", script: leakyScript, rdb: rdb, opts: opts, args: leakyArgs}}
}

// AllowN implements Limiter.
func (l *LeakyBucket) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return l.run(ctx, key, limit, n)
}

// Bound is the depth plus what drains during the span: C + ⌊r·D⌋.
func (l *LeakyBucket) Bound(limit Limit, span time.Duration) int64 {
	return bucketBound(limit, span)
}

// leakyArgs are the leaky script's ARGV after the time.
func leakyArgs(limit Limit, n int64) []any {
	return []any{limit.Requests, limit.windowMicros(), limit.Capacity(), n}
}

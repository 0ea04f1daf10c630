package algorithms

import (
	"context"
	_ "embed"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed lua/token.lua
	tokenLua    string
	tokenScript = newScript(tokenLua)
)

// TokenBucket holds up to Limit.Capacity() tokens and refills
// Limit.Requests of them per Window, continuously; a request takes cost
// tokens or is rejected. State is one hash, rl:{user}:token.
//
// With 10 per second and burst 20, an idle key lets 20 requests through at
// once, then one every 100 ms; a rejection with 0.3 tokens left gets
// RetryAfter 70ms. A rejection leaves the state unchanged. It is safe for
// concurrent use.
type TokenBucket struct{ scripted }

// NewTokenBucket returns a token-bucket limiter that runs on rdb.
func NewTokenBucket(rdb redis.Scripter, opts Options) *TokenBucket {
	return &TokenBucket{scripted{name: "token", script: tokenScript, rdb: rdb, opts: opts, args: tokenArgs}}
}

// AllowN implements Limiter.
func (t *TokenBucket) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	return t.run(ctx, key, limit, n)
}

// Bound is the capacity plus what refills during the span: C + ⌊r·D⌋.
func (t *TokenBucket) Bound(limit Limit, span time.Duration) int64 {
	return bucketBound(limit, span)
}

func bucketBound(limit Limit, span time.Duration) int64 {
	if span <= 0 {
		return 0
	}
	// r·D is a 128-bit product: a billion a day over a day is 8.6e19.
	return addSat(limit.Capacity(), mulDivSat(span.Microseconds(), limit.Requests, limit.windowMicros()))
}

// tokenArgs are the token script's ARGV after the time.
func tokenArgs(limit Limit, n int64) []any {
	return []any{limit.Requests, limit.windowMicros(), limit.Capacity(), n}
}

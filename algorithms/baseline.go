package algorithms

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// NoBound is the Bound of a limiter that promises nothing: the baseline.
const NoBound int64 = -1

// Baseline is not a rate limiter: it sends one PING and allows every
// request, so that a table shows what a round trip to Redis costs by
// itself and each algorithm's cost above it. It is safe for concurrent use.
type Baseline struct {
	rdb  redis.Cmdable
	opts Options
}

// NewBaseline returns the PING baseline on rdb.
func NewBaseline(rdb redis.Cmdable, opts Options) *Baseline {
	return &Baseline{rdb: rdb, opts: opts}
}

// Name implements Limiter.
func (b *Baseline) Name() string { return "baseline" }

// AllowN implements Limiter: one PING; always allowed, never counted.
func (b *Baseline) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if err := checkRequest(limit, n); err != nil {
		return Decision{}, err
	}
	return b.pong(limit, b.rdb.Ping(ctx).Err())
}

// Bound implements Limiter: the baseline promises nothing.
func (b *Baseline) Bound(Limit, time.Duration) int64 { return NoBound }

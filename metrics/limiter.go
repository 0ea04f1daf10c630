package metrics

import (
	"context"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// Limiter wraps l so that every decision it makes is counted in s, as a
// run's are: serve's middleware decides through it. Its errors are
// classed as the Redis target classes them.
func (s *Series) Limiter(l algorithms.Limiter) algorithms.Limiter {
	return countedLimiter{l, s}
}

type countedLimiter struct {
	algorithms.Limiter
	s *Series
}

func (l countedLimiter) AllowN(ctx context.Context, key string, limit algorithms.Limit, n int64) (algorithms.Decision, error) {
	l.s.inFlight.Inc()
	defer l.s.inFlight.Dec()
	sent := time.Now()
	d, err := l.Limiter.AllowN(ctx, key, limit, n)
	o := target.Outcome{Kind: target.Rejected}
	switch {
	case err != nil:
		o = target.ClassifyRedis(err)
	case d.Allowed:
		o.Kind = target.Accepted
	}
	l.s.outcome(o, time.Since(sent).Seconds())
	return d, err
}

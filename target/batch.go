package target

import (
	"context"

	"github.com/rlbench/rlbench/algorithms"
)

// BatchTarget is a Target that can also decide several requests in one
// round trip (a pipeline): the engine's --pipeline mode.
type BatchTarget interface {
	Target
	// DecideBatch decides every request of reqs and writes its outcome
	// into out, which is as long as reqs. Like Decide it never fails as a
	// whole: a round trip that failed is each request's Unknown or Failed
	// outcome.
	DecideBatch(ctx context.Context, reqs []Request, out []Outcome)
}

// batchLimiterTarget is the target of a limiter that can pipeline.
type batchLimiterTarget struct {
	limiterTarget
	b algorithms.Batcher
}

func (t batchLimiterTarget) DecideBatch(ctx context.Context, reqs []Request, out []Outcome) {
	asked := make([]algorithms.Request, len(reqs))
	for i, r := range reqs {
		asked[i] = algorithms.Request{Key: r.Key, Limit: r.Limit, N: r.Cost}
	}
	answers := make([]algorithms.Result, len(reqs))
	t.b.AllowBatch(ctx, asked, answers)
	for i, a := range answers {
		if a.Err != nil {
			out[i] = ClassifyRedis(a.Err)
		} else {
			out[i] = Decided(a.Decision)
		}
	}
}

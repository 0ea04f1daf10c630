package workload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlbench/rlbench/target"
)

// MaxPipeline is the most requests Config.Pipeline may put in one batch.
const MaxPipeline = 10000

// validatePipeline refuses a Pipeline the run cannot keep: batches belong
// to the closed model (an open schedule sends each request at its own
// slot), to a target that can decide them (target.BatchTarget), and not
// to polite clients, who wait for each answer's Retry-After before the
// next request of their key.
func (c Config) validatePipeline() error {
	if c.Pipeline <= 1 {
		if c.Pipeline < 0 {
			return fmt.Errorf("%w: pipeline %d must be at least 1", ErrInvalidConfig, c.Pipeline)
		}
		return nil
	}
	_, batches := c.Target.(target.BatchTarget)
	switch {
	case c.Pipeline > MaxPipeline:
		return fmt.Errorf("%w: pipeline %d must be at most %d", ErrInvalidConfig, c.Pipeline, MaxPipeline)
	case c.Pacer != nil:
		return fmt.Errorf("%w: pipeline %d needs the closed model: an open schedule sends each request at its own slot", ErrInvalidConfig, c.Pipeline)
	case c.HonorRetryAfter:
		return fmt.Errorf("%w: pipeline %d and polite clients: a polite client waits for each answer before asking again", ErrInvalidConfig, c.Pipeline)
	case !batches:
		return fmt.Errorf("%w: pipeline %d: the target %T cannot decide requests in batches", ErrInvalidConfig, c.Pipeline, c.Target)
	}
	return nil
}

// pipelined runs the closed model with batches: Concurrency workers, each
// sending Pipeline requests in one round trip and waiting for all their
// answers before the next batch. Each request is one decision, counted
// and held to the bounds as in the closed model; a batch's round trip is
// one latency sample, its requests' response and service time alike.
func (r *runner) pipelined(ctx context.Context) {
	bt := r.cfg.Target.(target.BatchTarget)
	r.begin(ctx, r.cfg.Concurrency)
	size := int64(r.cfg.Pipeline)
	var issued atomic.Int64
	var capped atomic.Bool
	var wg sync.WaitGroup
	r.endedBy = EndedByDuration
	for w := range r.workers {
		rec := r.recs[w%len(r.recs)]
		wg.Go(func() {
			b := newBatch(r.cfg.Pipeline)
			for !r.cancelled() && (r.cfg.Duration == 0 || time.Since(r.start) < r.cfg.Duration) {
				first := issued.Add(size) - size
				n := size
				if r.cfg.Requests > 0 {
					n = min(size, r.cfg.Requests-first)
					if n <= 0 {
						capped.Store(true)
						return
					}
				}
				r.decideBatch(bt, b, uint64(first), int(n))
				rec.observeBatch(b.samples[:n])
			}
		})
	}
	wg.Wait()
	if capped.Load() {
		r.endedBy = EndedByRequests
	}
}

// batch is one worker's buffers, reused from batch to batch.
type batch struct {
	reqs     []target.Request
	outcomes []target.Outcome
	samples  []Sample
}

func newBatch(size int) *batch {
	return &batch{reqs: make([]target.Request, size), outcomes: make([]target.Outcome, size), samples: make([]Sample, size)}
}

// decideBatch asks for the n decisions of requests first..first+n-1 in
// one round trip, under one timeout: when it expires, every request of
// the batch is unknown.
func (r *runner) decideBatch(bt target.BatchTarget, b *batch, first uint64, n int) {
	for i := range n {
		k, cost := r.cfg.request(first + uint64(i))
		r.admissions.key(k) // asked for, even if never admitted
		name := r.cfg.keyName(k)
		b.samples[i] = Sample{Key: k, KeyName: name, Cost: cost}
		b.reqs[i] = target.Request{Key: name, KeyIndex: k, Tier: r.cfg.tierName(k), Limit: r.cfg.limitOf(k), Cost: cost, Index: first + uint64(i)}
	}
	ctx := r.inFlight
	if r.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.Timeout)
		defer cancel()
	}
	sent := time.Now()
	bt.DecideBatch(ctx, b.reqs[:n], b.outcomes[:n])
	done := time.Now()
	for i := range n {
		s := &b.samples[i]
		s.Intended, s.Sent, s.Done, s.Outcome = sent, sent, done, b.outcomes[i]
		r.account(s.Key, *s)
	}
}

// observeBatch records the requests of one batch, sent and answered
// together: each is counted, and the batch's round trip is one latency
// sample when any of them was decided.
func (r *recorder) observeBatch(samples []Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	decided := false
	for _, s := range samples {
		if r.count(s) {
			decided = true
		}
	}
	if decided {
		r.latency(samples[0])
	}
}

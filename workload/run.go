// Package workload drives a rate limiter with traffic and records what
// happened: outcomes, errors by class and latency histograms.
package workload

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Run sends cfg.Requests requests from cfg.Concurrency workers and returns
// what they saw. It returns an error only for a Config that cannot run
// (ErrInvalidConfig); errors of individual requests are counted in Result.
//
// Cancelling ctx stops workers from starting new requests; requests already
// sent finish under their own timeout, so that none is cut short and
// miscounted as an error, and Run returns the partial Result with
// Interrupted set.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}

	done := ctx.Done() // read once: the channel itself is polled lock-free
	stopped := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}
	inFlight := context.WithoutCancel(ctx)

	var issued atomic.Int64
	recs := make([]*recorder, cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range recs {
		rec := newRecorder()
		recs[i] = rec
		wg.Go(func() {
			for !stopped() && issued.Add(1) <= cfg.Requests {
				rec.observe(decide(inFlight, cfg))
			}
		})
	}
	wg.Wait()

	res := merge(recs)
	res.Algorithm = cfg.Limiter.Name()
	res.Elapsed = time.Since(start)
	res.Interrupted = res.Sent < cfg.Requests
	return res, nil
}

// decide asks for one decision and times it.
func decide(ctx context.Context, cfg Config) (allowed bool, took time.Duration, err error) {
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	start := time.Now()
	d, err := cfg.Limiter.AllowN(ctx, cfg.Key, cfg.Limit, cfg.Cost)
	return d.Allowed, time.Since(start), err
}

package metrics

import (
	"context"
	"io"
	"time"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// Observe counts one request the engine answered: its outcome, its
// decision latency (from the send) or error class, and its schedule lag.
// It is a workload.Config.Observe.
func (s *Series) Observe(sample workload.Sample) {
	s.lag.Observe(sample.Sent.Sub(sample.Intended).Seconds())
	s.outcome(sample.Outcome, sample.Done.Sub(sample.Sent).Seconds())
}

// Target wraps t so that its requests in flight are counted: the engine
// shows an observer only answered requests. The wrapper is a
// target.BatchTarget, target.PerWorker or target.SelfTimed when t is, so
// that counting does not take the engine off t's faster path; each
// request of a batch is in flight until the batch is answered.
func (s *Series) Target(t target.Target) target.Target {
	c := countedTarget{t, s}
	switch t.(type) {
	case target.BatchTarget:
		return countedBatchTarget{c}
	case target.PerWorker:
		return countedPerWorker{c}
	case target.SelfTimed:
		return countedSelfTimed{c}
	}
	return c
}

type countedBatchTarget struct{ countedTarget }

func (t countedBatchTarget) DecideBatch(ctx context.Context, reqs []target.Request, out []target.Outcome) {
	t.s.inFlight.Add(float64(len(reqs)))
	defer t.s.inFlight.Sub(float64(len(reqs)))
	t.Target.(target.BatchTarget).DecideBatch(ctx, reqs, out)
}

type countedTarget struct {
	target.Target
	s *Series
}

func (t countedTarget) Decide(ctx context.Context, req target.Request) target.Outcome {
	t.s.inFlight.Inc()
	defer t.s.inFlight.Dec()
	return t.Target.Decide(ctx, req)
}

type countedPerWorker struct{ countedTarget }

func (t countedPerWorker) ForWorker() (target.Target, io.Closer) {
	w, release := t.Target.(target.PerWorker).ForWorker()
	return t.s.Target(w), release
}

type countedSelfTimed struct{ countedTarget }

func (t countedSelfTimed) DecideBy(ctx context.Context, req target.Request, deadline time.Time) target.Outcome {
	t.s.inFlight.Inc()
	defer t.s.inFlight.Dec()
	return t.Target.(target.SelfTimed).DecideBy(ctx, req, deadline)
}

// Done records what only the end of a run knows: how many admissions
// passed the bound, summed over keys.
func (s *Series) Done(res workload.Result) {
	s.m.overAdmitted.WithLabelValues(s.targetName, s.algo).Set(float64(res.Accuracy.OverAdmitted))
}

// Watch counts every run of a plan on targetName (the results file's
// target kind), after next (which may be nil) has watched it: next's
// observer, if it set one, still sees every request.
func (m *Metrics) Watch(targetName string, next bench.Watch) bench.Watch {
	return func(r bench.Run, cfg *workload.Config) func(workload.Result) {
		done := func(workload.Result) {}
		if next != nil {
			done = next(r, cfg)
		}
		s := m.Series(targetName, r.Algorithm)
		cfg.Target = s.Target(cfg.Target)
		observe := s.Observe
		if prev := cfg.Observe; prev != nil {
			observe = func(sample workload.Sample) {
				prev(sample)
				s.Observe(sample)
			}
		}
		cfg.Observe = observe
		return func(res workload.Result) {
			s.Done(res)
			done(res)
		}
	}
}

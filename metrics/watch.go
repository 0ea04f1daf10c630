package metrics

import (
	"context"

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
// shows an observer only answered requests. A target.BatchTarget stays
// one, each request of a batch in flight until the batch is answered.
func (s *Series) Target(t target.Target) target.Target {
	if bt, ok := t.(target.BatchTarget); ok {
		return countedBatchTarget{countedTarget{t, s}, bt}
	}
	return countedTarget{t, s}
}

type countedBatchTarget struct {
	countedTarget
	bt target.BatchTarget
}

func (t countedBatchTarget) DecideBatch(ctx context.Context, reqs []target.Request, out []target.Outcome) {
	t.s.inFlight.Add(float64(len(reqs)))
	defer t.s.inFlight.Sub(float64(len(reqs)))
	t.bt.DecideBatch(ctx, reqs, out)
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

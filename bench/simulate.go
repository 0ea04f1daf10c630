package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// KindSimulation is the target kind of a simulation's results.
const KindSimulation = "simulation"

// OpenSimulation is a session on no target at all: Simulate decides every
// run with the reference models (algorithms.NewModel) in virtual time.
func OpenSimulation(load *Load) *Session {
	return newSession(load, report.Target{Kind: KindSimulation}, func() error { return nil })
}

// Simulate runs runs, each with fresh reference models of its algorithm,
// every request decided at its intended instant from start, and appends
// each to file in the order of runs, with the wall time its decisions
// took. Every run starts at the same virtual instant start. Runs are
// independent, so up to GOMAXPROCS of them are decided at once, each on
// its own goroutine: the results are those of one run after another, but
// the memory of the runs at once adds up. A cancelled ctx stops it early:
// the results of the runs that began are returned, and file says it was
// interrupted.
func (s *Session) Simulate(ctx context.Context, runs []Run, file *report.File, start time.Time) ([]workload.Result, error) {
	file.Config.RunID = s.runID
	done := make([]simulated, len(runs))
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, r := range runs {
		slots <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			done[i] = s.simulate(ctx, i, r, start)
		})
	}
	wg.Wait()
	var results []workload.Result
	for _, d := range done {
		if !d.began {
			break
		}
		if d.res != nil {
			results = append(results, *d.res)
		}
		if d.run != nil {
			file.Runs = append(file.Runs, *d.run)
		}
		if d.err != nil {
			return results, d.err
		}
	}
	file.EndedAt = time.Now().UTC()
	if ctx.Err() != nil {
		file.EndReason = report.EndInterrupted
	}
	return results, nil
}

// simulated is what one run of a simulation gave: its result and its
// run in the results file when it got that far, and what stopped it.
type simulated struct {
	began bool
	res   *workload.Result
	run   *report.Run
	err   error
}

// simulate decides run r, the i-th of the session, from start.
func (s *Session) simulate(ctx context.Context, i int, r Run, start time.Time) simulated {
	out := simulated{began: true}
	// A limiter uses its client only to decide: this one never does.
	promise, err := algorithms.New(r.Algorithm, nil, algorithms.Options{})
	if err != nil {
		out.err = err
		return out
	}
	key := fmt.Sprintf("%s:%s:%s:%d", s.load.Key, r.Algorithm, s.runID, i)
	cfg, err := s.config(nil, promise, promise.Name(), key, r, start)
	if err != nil {
		out.err = err
		return out
	}
	skew := s.load.clockSkew(r.ClockSkew)
	decide, err := modelsDecide(r.Algorithm, cfg, skew)
	if err != nil {
		closeReplay(cfg)
		out.err = err
		return out
	}
	oracle, err := watchOracle(&cfg, s.load.Oracle)
	if err != nil {
		closeReplay(cfg)
		out.err = err
		return out
	}
	simulate := workload.Simulate
	if skew.D == 0 {
		// Every model decides at the request's instant and the schedule's
		// instants never decrease, so each key's decisions reach the
		// oracle in order, one at a time; and neither the models
		// (modelsDecide) nor the oracle keep anything across keys.
		if oracle != nil {
			oracle.o.InOrder()
		}
		simulate = workload.SimulateByKey
	}
	began := time.Now()
	res, err := simulate(ctx, cfg, decide)
	wall := time.Since(began)
	replayErr := closeReplay(cfg)
	if err != nil {
		out.err = err
		return out
	}
	out.res = &res
	run := ReportRun(res, r, cfg, s.load.MissAfter)
	run.Simulation = &report.Simulation{WallUS: wall.Microseconds(), DecisionsPerS: finite(perSecond(res.Decisions(), wall))}
	if run.Oracle, err = oracle.report(); err != nil {
		out.err = err
		return out
	}
	out.run = &run
	out.err = replayErr
	return out
}

// modelsDecide decides with one model of algorithm per limit of cfg (one
// per tier), as its limiter would with a client clock. Under a skew each
// request is decided at its group's lagging instant, every TTL padded by
// the skew (as a skewed limiter's is, at least), and the decision moved back onto
// true time. The models know each key by its index (Request.KeyIndex),
// which names one user key of the run.
func modelsDecide(algorithm string, cfg workload.Config, skew ClockSkew) (workload.Decide, error) {
	models := map[algorithms.Limit]algorithms.KeyedModel[int]{}
	limits := []algorithms.Limit{cfg.Limit}
	for _, t := range cfg.Tiers {
		limits = append(limits, t.Limit)
	}
	for _, l := range limits {
		m, err := algorithms.NewModel[int](algorithm, l, algorithms.Options{ClockSkewAllowance: skew.D})
		if err != nil {
			return nil, err
		}
		if skew.D == 0 {
			// Decided key by key (workload.SimulateByKey): each call's
			// instant is the Redis clock, as it is in time order.
			algorithms.StampEachCall(m)
		}
		models[l] = m
	}
	one := models[cfg.Limit]
	return func(now time.Time, req target.Request) target.Outcome {
		m := one
		if len(models) > 1 {
			m = models[req.Limit]
		}
		var lag time.Duration
		if skew.D > 0 {
			lag = skew.Lag(skew.Group(req.Index))
		}
		d, err := m.AllowN(now.Add(-lag), req.KeyIndex, req.Cost)
		if err != nil {
			return target.Outcome{Kind: target.Failed, Class: target.ClassOther, Err: err}
		}
		o := target.Decided(d)
		o.Said.At = o.Said.At.Add(lag)
		return o
	}, nil
}

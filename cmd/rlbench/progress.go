package main

import (
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/workload"
)

// progress shows one run's answered requests on stderr while it lasts.
type progress struct {
	bar  *progressbar.ProgressBar
	stop chan struct{}
	done chan struct{}
}

// progressWatch shows each run of a plan as it goes, as a bench.Watch.
func progressWatch(opts *RunOptions) bench.Watch {
	return func(r bench.Run, cfg *workload.Config) func(workload.Result) {
		p := startProgress(opts, r.Algorithm+" "+r.Workload, cfg)
		return func(workload.Result) { p.finish() }
	}
}

// startProgress starts the display for one algorithm's run and hooks it to
// cfg; it shows nothing when stderr is not a terminal or --quiet is set.
func startProgress(opts *RunOptions, name string, cfg *workload.Config) *progress {
	if opts.Global.Quiet || !opts.IO.ErrIsTerminal {
		return &progress{}
	}
	total := int64(-1) // a spinner when only a duration bounds the run
	if cfg.Requests > 0 {
		total = cfg.Requests
	}
	var done atomic.Int64
	cfg.Observe = func(workload.Sample) { done.Add(1) }
	p := &progress{
		bar: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(opts.IO.Err),
			progressbar.OptionSetDescription(name),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("req"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				_ = p.bar.Set64(done.Load())
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

// finish clears the display before results are printed.
func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	close(p.stop)
	<-p.done
	_ = p.bar.Finish()
}

package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// simulateFlags are the load flags of run that a simulation reads: the
// others (workers, timeouts, Redis clocks, faults) have no meaning
// without a target.
var simulateFlags = []string{
	"limit", "window", "burst", "rate", "rate-start", "burst-size", "burst-every", "edge-offset",
	"requests", "duration", "key", "keys", "key-dist", "zipf-s", "tier", "interval", "start-at",
	"trace", "trace-speed", "sources", "rate-zipf", "on-mean", "off-mean", "pareto-alpha", "diurnal",
	"diurnal-period", "abusive", "abusive-rate", "cpuprofile",
	"clock-skew", "clock-groups", "clock-block", "oracle",
}

// NewCmdSimulate builds "rlbench simulate". runF, when not nil, is called
// with the parsed options instead of runSimulate.
func NewCmdSimulate(io IO, global *GlobalOptions, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io, Global: global}
	algo := newAlgoFlag("all")
	shape := workloadFlag(workloadSteady)
	sweep := &sweepFlag{}

	cmd := &cobra.Command{
		Use:         "simulate",
		Annotations: map[string]string{usesGlobals: "seed format"},
		Short:       "Run algorithms' reference models in virtual time, with no Redis, and print a table",
		Long: `Simulate decides every request of an open workload with the algorithm's
reference model, in memory, at the request's intended instant: virtual time, no
sleeping and no Redis, so hours of traffic take seconds. Each decision is the
one the algorithm's Lua script makes with a client clock, and the table counts
outcomes and accuracy with the code a real run uses: the most admitted for one
key in any span of one window against the algorithm's bound, and how many
passed it. Latency is not simulated; the decisions per second the simulation
achieved are printed on stderr and kept in the results.

Every run starts at the same virtual instant, --start-at (any time, default
now). Workloads are the open ones of run: ` + strings.Join(simulateWorkloads(), ", ") + `; the
closed model needs service times, which a simulation has none of.

--clock-skew D lags the clocks of some callers (--clock-groups, taking turns
every --clock-block requests) by up to D: the models decide at the lagging
instants, every TTL padded by D, and accuracy is counted at true time. --sweep
clock-skew=0,1ms,10ms,100ms,1s simulates each skew and prints over-admission
against skew per algorithm; --sweep limit=N,N,... each limit.

Algorithms: ` + strings.Join(algorithms.Names(), ", ") + ` ("all" is these).`,
		Example: `  rlbench simulate --algo all --workload steady --rate 1000 --limit 100 --window 1s --duration 1h
  rlbench simulate --algo fixed,sliding --workload window-edge --limit 20 --window 1s --duration 10s
  rlbench simulate --algo all --workload poisson --rate 1500 --limit 100 --window 1s --keys 10 --duration 10s --oracle
  rlbench simulate --workload poisson --rate 100000 --keys 270000 --key-dist zipf --duration 10m -o sim.json
  rlbench simulate --algo all --limit 100 --window 1s --rate 200 --duration 10s --sweep clock-skew=0,1ms,10ms,100ms,1s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Workload = string(shape)
			if opts.Workload == workloadClosed {
				return usageErrorf("invalid --workload closed: a simulation has no service times to go back to back on; want %s", orList(simulateWorkloads()))
			}
			for _, n := range algo.names {
				if !slices.Contains(algorithms.Names(), n) {
					return usageErrorf("invalid --algo %s: a simulation has reference models of %s only", n, strings.Join(algorithms.Names(), ", "))
				}
			}
			// Virtual time may start at any instant: run's checks of
			// --start-at against the wall clock do not apply.
			startAt := opts.StartAt
			opts.StartAt = time.Time{}
			opts.sweep, opts.skewSwept = *sweep, len(sweep.skews) > 0
			if err := checkSkewSweep(cmd, sweep.skews); err != nil {
				return err
			}
			if len(sweep.limits) > 0 && len(opts.Tiers) > 0 {
				return usageErrorf("--sweep does not apply with --tier: every key has its tier's limit, which a sweep cannot change")
			}
			if len(sweep.limits) > 0 && cmd.Flags().Changed("limit") {
				return usageErrorf("--limit does not apply with --sweep %s, which gives each run its limit", sweep.text)
			}
			if err := opts.check(cmd, algo, []string{opts.Workload}); err != nil {
				return err
			}
			opts.StartAt = startAt
			if opts.StartAt.IsZero() {
				opts.StartAt = time.Now()
			}
			if opts.StartAt.Before(time.Unix(0, 0)) {
				return usageErrorf("invalid --start-at %s: want an instant after 1970-01-01T00:00:00Z", opts.StartAt.Format(time.RFC3339Nano))
			}
			if most := slices.Max(append(slices.Clone(sweep.skews), opts.ClockSkew)); opts.StartAt.Add(-most).Before(time.Unix(0, 0)) {
				return usageErrorf("invalid --start-at %s with a clock skew of %v: the slowest clock would read before 1970-01-01T00:00:00Z; want a later instant",
					opts.StartAt.Format(time.RFC3339Nano), most)
			}
			if runF != nil {
				return runF(opts)
			}
			return runSimulate(opts)
		},
	}

	f := cmd.Flags()
	f.Var(algo, "algo", "algorithms to simulate: `NAME[,NAME...]` or all")
	f.Var(&shape, "workload", "traffic shape: "+strings.Join(simulateWorkloads(), ", "))
	load := pflag.NewFlagSet("load", pflag.ContinueOnError)
	addLoadFlags(load, opts, loadDefaults{window: time.Minute, rate: 100})
	load.VisitAll(func(fl *pflag.Flag) {
		if slices.Contains(simulateFlags, fl.Name) {
			f.AddFlag(fl)
		}
	})
	f.Var(sweep, "sweep", "simulate every algorithm for each value: `limit=N,N,...` or clock-skew=D,D,...")
	f.Lookup("start-at").Usage = "start every run at virtual `TIME` (RFC 3339, such as 2026-12-02T16:00:00Z; default now)"
	f.StringVarP(&opts.Output, "output", "o", "", "write the results `file` (JSON, schema version 1), also when interrupted")
	return cmd
}

// printSimulated prints how fast runs were decided: each run on a core of
// its own, up to cores at once, in elapsed wall time all told.
func printSimulated(w io.Writer, runs []report.Run, elapsed time.Duration, cores int) {
	var decisions, wall int64
	for _, r := range runs {
		decisions += r.Counts.Accepted + r.Counts.Rejected
		wall += r.Simulation.WallUS
	}
	perCore := float64(decisions) / max(float64(wall)/1e6, 1e-9)
	if len(runs) <= 1 || cores <= 1 {
		fmt.Fprintf(w, "simulated %d decisions in %s of wall time: %.3g decisions/s on one core\n",
			decisions, elapsed.Round(time.Millisecond), perCore)
		return
	}
	fmt.Fprintf(w, "simulated %d decisions in %s of wall time, %d runs up to %d at once: %.3g decisions/s, %.3g per run on its core\n",
		decisions, elapsed.Round(time.Millisecond), len(runs), min(cores, len(runs)), float64(decisions)/max(elapsed.Seconds(), 1e-9), perCore)
}

// simulateWorkloads are the workloads a simulation runs: the open ones.
func simulateWorkloads() []string {
	return slices.DeleteFunc(bench.WorkloadNames(), func(w string) bool { return !bench.IsOpen(w) })
}

// runSimulate simulates each algorithm in turn, prints the results with
// the decisions per second achieved, and writes the results file.
func runSimulate(opts *RunOptions) error {
	ctx, stop := opts.IO.Interrupt(context.Background())
	defer stop()
	context.AfterFunc(ctx, stop)

	if opts.Output != "" {
		if err := report.CheckOutput(opts.Output); err != nil {
			return usageErrorf("cannot write -o %v", err)
		}
	}
	if err := checkProfile(opts.CPUProfile); err != nil {
		return err
	}
	opts.Load.Seed = opts.Global.Seed
	opts.ForgetAdmissions = !opts.writesResults()
	start := opts.StartAt
	opts.StartAt = time.Time{} // the file's config: no wall-clock start to wait for
	s := bench.OpenSimulation(&opts.Load)
	limits := []algorithms.Limit{opts.Limit}
	if len(opts.sweep.limits) > 0 {
		limits = nil
		for _, n := range opts.sweep.limits {
			l := opts.Limit
			l.Requests = n
			limits = append(limits, l)
		}
	}
	plan := bench.Plan{Algorithms: opts.Algorithms, Workloads: []string{opts.Workload}, Limits: limits, ClockSkews: opts.clockSkews(opts.sweep.skews)}.Runs()
	file := bench.NewFile(&opts.Load, opts.Algorithms, []string{opts.Workload}, s.Info, s.Seed(), toolVersion())
	file.Config.Clock, file.Config.ClockSkewAllowanceUS = "client", 0
	stopProfile, err := startProfile(opts.CPUProfile)
	if err != nil {
		return err
	}
	file.Config.Sweep = opts.sweep.text
	began := time.Now()
	results, err := s.Simulate(ctx, plan, file, start)
	elapsed := time.Since(began)
	if profileErr := stopProfile(); err == nil && profileErr != nil {
		err = profileErr
	}
	if err != nil {
		return err
	}
	printErr := formats.Render(opts.IO.Out, opts.Global.Format, file)
	if !opts.Global.Quiet {
		printSimulated(opts.IO.Err, file.Runs, elapsed, runtime.GOMAXPROCS(0))
	}
	if opts.Output != "" {
		if err := report.WriteFile(opts.Output, file); err != nil {
			return keepResults(err, file)
		}
	}
	if printErr != nil {
		return printErr
	}
	return finish(ctx, results, len(plan))
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// NewCmdRun builds "rlbench run". runF, when not nil, is called with the
// parsed options instead of runRun.
func NewCmdRun(io IO, global *GlobalOptions, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io, Global: global}
	algo := newAlgoFlag("sliding")
	shape := workloadFlag(workloadClosed)

	cmd := &cobra.Command{
		Use:         "run",
		Annotations: map[string]string{usesGlobals: "redis seed format"},
		Short:       "Run algorithms one after another under one workload and print a table",
		Long: `Run drives each algorithm in turn with one workload and prints one row per
algorithm: outcomes, throughput, latency from HdrHistograms, and accuracy: the
most requests admitted for one key in any span of one window, against the bound
the algorithm promises, and how many passed it.

Workloads:
  closed       --concurrency workers send back to back (the default)
  steady       --rate requests per second, on schedule (the open model)
  bursty       --burst-size requests at once every --burst-every, on top of --rate if set
  window-edge  --burst-size requests --edge-offset before each epoch-aligned window
               boundary and as many after: what makes a fixed window admit twice its limit
  poisson      exponential inter-arrival times at mean --rate, from --seed
  ramp         a rate rising linearly from --rate-start to --rate over --duration
  trace        a recorded trace (--trace FILE), each request at its offset with its own
               key and cost, --trace-speed times its pace; the whole trace by default
  synthetic    production-like traffic from the trace generator (--sources, --rate, ...;
               see rlbench trace gen --help), with no file

In the open model latency counts from each request's slot in the schedule, so a
slow limiter or an overloaded generator cannot hide behind fewer requests (no
coordinated omission); requests sent more than --miss-after late are counted as
missed and the table warns. Each run ends after --requests or --duration,
whichever comes first; give only --duration and there is no request cap. The
table says which ended each run.

Each algorithm runs on its own fresh keys, <key>:<algorithm>:<run id>[:<n>], so
runs never share state and nothing is ever deleted from the target Redis.

--target URL load-tests an HTTP API instead: 2xx is an admission, a
--reject-status (429) a rejection, any other status an error of its class, a
timeout an unknown outcome. Each simulated user's key travels in --key-header
or --key-query. --algo then names the promise the API is held to (its bound
for --limit, --window, --burst); without it the run counts what was admitted,
with no verdict. An API gives no decision instants: an admission counts as
surely in a window only when its whole round trip is, so network jitter is
never taken for over-admission.

Algorithms: ` + strings.Join(algorithms.Names(), ", ") + ` ("all" is these), the seed
project's non-atomic variants ` + strings.Join(algorithms.SeedNames(), ", ") + `, and baseline (one PING).`,
		Example: `  rlbench run --algo sliding
  rlbench run --algo all,seed-sliding --concurrency 64 --requests 640 --limit 100 --window 600s
  rlbench run --algo fixed,sliding --workload window-edge --limit 20 --window 1s --duration 5s
  rlbench run --algo all,baseline --workload steady --rate 2000 --duration 10s -o steady.json
  rlbench run --algo token --workload poisson --rate 50 --keys 1000 --key-dist zipf \
      --tier free=100/10m:0.9 --tier premium=500/10m:0.1 --duration 30s
  rlbench run --target http://127.0.0.1:8080/ --algo sliding --limit 100 --window 10m \
      --key-header X-User --keys 10 --workload steady --rate 50 --duration 30s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Workload = string(shape)
			if err := opts.checkTarget(cmd); err != nil {
				return err
			}
			if err := opts.check(cmd, algo, []string{opts.Workload}); err != nil {
				return err
			}
			if opts.HTTP.URL != "" && !cmd.Flags().Changed("algo") {
				opts.Algorithms = []string{bench.NoPromise}
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(opts)
		},
	}

	f := cmd.Flags()
	f.Var(algo, "algo", "algorithms to run: `NAME[,NAME...]` or all")
	f.Var(&shape, "workload", "traffic shape: "+strings.Join(bench.WorkloadNames(), ", "))
	addLoadFlags(f, opts, loadDefaults{window: time.Minute, rate: 100})
	addTargetFlags(f, &opts.HTTP)
	f.StringVarP(&opts.Output, "output", "o", "", "write the results `file` (JSON, schema version 1), also when interrupted")
	return cmd
}

// runRun connects, runs each algorithm in turn, prints the results and
// writes the results file. Results are printed and written even when a run
// had errors or was interrupted, and the error returned then says so.
func runRun(opts *RunOptions) error {
	ctx, stop := opts.IO.Interrupt(context.Background())
	defer stop()
	// After the first signal, the next one kills the process at once.
	context.AfterFunc(ctx, stop)

	if opts.Output != "" {
		if err := report.CheckOutput(opts.Output); err != nil {
			return usageErrorf("cannot write -o %v", err)
		}
	}
	if err := checkProfile(opts.CPUProfile); err != nil {
		return err
	}
	opts.ForgetAdmissions = !opts.writesResults()
	ms, err := startMetrics(opts)
	if err != nil {
		return err
	}
	defer ms.stop()
	s, err := connect(ctx, opts, []string{opts.Workload})
	if err != nil {
		return err
	}
	defer s.Close()

	plan := bench.Plan{Algorithms: opts.Algorithms, Workloads: []string{opts.Workload}, Limits: []algorithms.Limit{opts.Limit}, ClockSkews: opts.clockSkews(nil), Clients: opts.Load.Clients}.Runs()
	file := bench.NewFile(&opts.Load, opts.Algorithms, []string{opts.Workload}, s.Info, s.Seed(), toolVersion())
	if opts.HTTP.URL != "" {
		// An API says no decision instants: admissions count on rlbench's
		// clock, between each send and its answer.
		file.Config.Clock, file.Config.ClockSkewAllowanceUS = "client", 0
	}
	stopProfile, err := startProfile(opts.CPUProfile)
	if err != nil {
		return err
	}
	results, err := s.Execute(ctx, plan, file, ms.watch(s, progressWatch(opts)))
	profileErr := stopProfile()
	if err != nil {
		return partial(opts.IO, opts.Global.Format, file, err, func() error {
			if opts.Output == "" {
				return nil
			}
			if err := report.WriteFile(opts.Output, file); err != nil {
				return keepResults(err, file)
			}
			return nil
		})
	}
	// Printed first: a file that cannot be written must not lose the
	// results, which then go to a fallback file the error names.
	printErr := formats.Render(opts.IO.Out, opts.Global.Format, file)
	if opts.Output != "" {
		if err := report.WriteFile(opts.Output, file); err != nil {
			return keepResults(err, file)
		}
	}
	if printErr != nil {
		return printErr
	}
	if profileErr != nil {
		return profileErr
	}
	return finish(ctx, results, len(plan))
}

// writesResults reports whether the results file is written (-o) or
// printed whole (--format json): only then are admission instants kept.
func (o *RunOptions) writesResults() bool {
	return o.Output != "" || o.Global.Format == report.JSON.Name
}

// partial prints, then writes with write, the results of the runs that
// ended before runErr stopped the rest, and returns runErr (and write's
// error, which says where the results went instead); with no run ended it
// returns runErr alone.
func partial(io IO, format string, file *report.File, runErr error, write func() error) error {
	if len(file.Runs) == 0 {
		return runErr
	}
	_ = formats.Render(io.Out, format, file)
	if err := write(); err != nil {
		return fmt.Errorf("%w; %w", runErr, err)
	}
	return runErr
}

// keepResults saves file in a fallback file in the temporary folder after
// writeErr, and says where; the fallback is removed if it fails too.
func keepResults(writeErr error, file *report.File) error {
	tmp, err := os.CreateTemp("", "rlbench-results-*.json")
	if err != nil {
		return fmt.Errorf("%w; the results are lost: %v", writeErr, err)
	}
	tmp.Close()
	if err := report.WriteFile(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%w; the results are lost: %v", writeErr, err)
	}
	return fmt.Errorf("%w; the results are kept in %s", writeErr, tmp.Name())
}

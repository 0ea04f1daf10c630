package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// burstAlgorithms are the algorithms whose capacity --burst sets; the
// others admit Limit.Requests per window whatever the burst.
func burstAlgorithms() []string { return []string{"token", "leaky", "gcra", "seed-leaky"} }

// Workload names for --workload.
const (
	workloadClosed     = "closed"
	workloadSteady     = "steady"
	workloadBursty     = "bursty"
	workloadWindowEdge = "window-edge"
	workloadPoisson    = "poisson"
	workloadRamp       = "ramp"
)

func workloadNames() []string {
	return []string{workloadClosed, workloadSteady, workloadBursty, workloadWindowEdge, workloadPoisson, workloadRamp}
}

// RunOptions is what "rlbench run" was asked to do, every value checked.
type RunOptions struct {
	IO     IO
	Global *GlobalOptions

	// Algorithms are registry names, in the order to run them.
	Algorithms []string
	// Limit is the limit every key has unless Tiers say otherwise.
	Limit algorithms.Limit
	// Workload is the traffic shape, one of workloadNames.
	Workload string
	// Rate, RateStart, BurstSize, BurstEvery and EdgeOffset shape the open
	// model's schedule; BurstSize and BurstEvery default to the limit and
	// its window when 0.
	Rate       float64
	RateStart  float64
	BurstSize  int64
	BurstEvery time.Duration
	EdgeOffset time.Duration
	// Requests and Duration end each algorithm's run, whichever first; 0
	// means no bound.
	Requests int64
	Duration time.Duration
	// Concurrency is the closed model's workers; MaxInflight bounds the
	// open model's requests in flight.
	Concurrency int
	MaxInflight int
	// Key is the user key; with Keys > 1, keys are Key:0 ... Key:N-1,
	// chosen by KeyDist (uniform or zipf, with ZipfS).
	Key     string
	Keys    int
	KeyDist string
	ZipfS   float64
	// Tiers give shares of the keys their own limits.
	Tiers []workload.Tier
	// Timeout bounds each decision; 0 means none.
	Timeout time.Duration
	// Interval is the width of a time-series point; MissAfter how late a
	// request may leave its slot before it counts as missed.
	Interval  time.Duration
	MissAfter time.Duration
	// ClientClock passes rlbench's clock to the scripts instead of Redis TIME.
	ClientClock bool
	// Output, when set, is where the results file is written.
	Output string
}

// NewCmdRun builds "rlbench run". runF, when not nil, is called with the
// parsed options instead of runRun.
func NewCmdRun(io IO, global *GlobalOptions, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io, Global: global}
	var algoList string
	var tiers []string

	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run algorithms one after another under one workload and print a table",
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

In the open model latency counts from each request's slot in the schedule, so a
slow limiter or an overloaded generator cannot hide behind fewer requests (no
coordinated omission); requests sent more than --miss-after late are counted as
missed and the table warns. Each run ends after --requests or --duration,
whichever comes first.

Each algorithm runs on its own fresh keys, <key>:<algorithm>:<run id>[:<n>], so
runs never share state and nothing is ever deleted from the target Redis.

Algorithms: ` + strings.Join(algorithms.Names(), ", ") + ` ("all" is these), the seed
project's non-atomic variants ` + strings.Join(algorithms.SeedNames(), ", ") + `, and baseline (one PING).`,
		Example: `  rlbench run --algo sliding
  rlbench run --algo all,seed-sliding --concurrency 64 --requests 640 --limit 100 --window 600s
  rlbench run --algo fixed,sliding --workload window-edge --limit 20 --window 1s --duration 5s
  rlbench run --algo all,baseline --workload steady --rate 2000 --duration 10s -o steady.json
  rlbench run --algo token --workload poisson --rate 50 --keys 1000 --key-dist zipf \
      --tier free=100/10m:0.9 --tier premium=500/10m:0.1 --duration 30s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd, algoList, tiers); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runRun(opts)
		},
	}

	f := cmd.Flags()
	f.StringVar(&algoList, "algo", "sliding", "algorithms to run: `NAME[,NAME...]` or all")
	f.Int64Var(&opts.Limit.Requests, "limit", 100, "requests allowed per window")
	f.DurationVar(&opts.Limit.Window, "window", time.Minute, "window `duration`, such as 600s, 1m or 500ms")
	f.Int64Var(&opts.Limit.Burst, "burst", 0, "bucket capacity of "+strings.Join(burstAlgorithms(), ", ")+" (default the limit)")
	f.StringVar(&opts.Workload, "workload", workloadClosed, "traffic shape: "+strings.Join(workloadNames(), ", "))
	f.Float64Var(&opts.Rate, "rate", 100, "requests per second of steady and poisson, the final rate of ramp, the base rate of bursty (default 0 there)")
	f.Float64Var(&opts.RateStart, "rate-start", 0, "the starting rate of ramp")
	f.Int64Var(&opts.BurstSize, "burst-size", 0, "requests in each burst of bursty and window-edge (default the limit)")
	f.DurationVar(&opts.BurstEvery, "burst-every", 0, "time between bursts of bursty (default the window)")
	f.DurationVar(&opts.EdgeOffset, "edge-offset", 5*time.Millisecond, "how far before and after each boundary window-edge bursts go")
	f.Int64Var(&opts.Requests, "requests", 10000, "requests to send to each algorithm; 0 for no bound (then --duration)")
	f.DurationVar(&opts.Duration, "duration", 0, "how long each algorithm's run lasts at most; 0 for no bound")
	f.IntVar(&opts.Concurrency, "concurrency", 10, "workers of the closed model")
	f.IntVar(&opts.MaxInflight, "max-inflight", workload.DefaultMaxInflight, "requests in flight at most in the open model")
	f.StringVar(&opts.Key, "key", "user:1", "user `key` the requests ask for")
	f.IntVar(&opts.Keys, "keys", 1, "number of user keys, <key>:0 to <key>:N-1")
	f.StringVar(&opts.KeyDist, "key-dist", "uniform", "how requests choose keys: uniform or zipf")
	f.Float64Var(&opts.ZipfS, "zipf-s", 1.1, "exponent of the zipf key distribution, above 1")
	f.StringArrayVar(&tiers, "tier", nil, "a share of the keys with its own limit: `NAME=REQUESTS/WINDOW:SHARE`, such as free=100/10m:0.9 (repeat; shares sum to 1)")
	f.DurationVar(&opts.Timeout, "timeout", time.Second, "bound on each decision; 0 for none")
	f.DurationVar(&opts.Interval, "interval", time.Second, "width of one point of the time series")
	f.DurationVar(&opts.MissAfter, "miss-after", workload.DefaultMissAfter, "how late after its slot a request counts as missed")
	f.BoolVar(&opts.ClientClock, "client-clock", false, "pass rlbench's clock to the scripts instead of Redis TIME")
	f.StringVarP(&opts.Output, "output", "o", "", "write the results `file` (JSON, schema version 1), also when interrupted")
	return cmd
}

// check validates the flags and resolves lists and defaults, so that bad
// input stops before any connection is made.
func (o *RunOptions) check(cmd *cobra.Command, algoList string, tiers []string) error {
	names, err := algorithms.ParseNames(algoList)
	if err != nil {
		return usageError{fmt.Errorf("--algo: %w", err)}
	}
	o.Algorithms = names
	changed := cmd.Flags().Changed
	switch {
	case o.Limit.Requests < 1:
		return usageErrorf("invalid --limit %d: must be at least 1", o.Limit.Requests)
	case o.Limit.Window < time.Millisecond:
		return usageErrorf("invalid --window %v: must be at least 1ms, such as 600s, 1m or 500ms", o.Limit.Window)
	case changed("burst") && o.Limit.Burst < 1:
		return usageErrorf("invalid --burst %d: must be at least 1 (leave it out to use the limit)", o.Limit.Burst)
	case changed("burst") && !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(burstAlgorithms(), n) }):
		return usageErrorf("--burst applies only to %s, and --algo %s has none of them", strings.Join(burstAlgorithms(), ", "), algoList)
	case !slices.Contains(workloadNames(), o.Workload):
		return usageErrorf("invalid --workload %q: want one of %s", o.Workload, strings.Join(workloadNames(), ", "))
	case o.Requests < 0 || (o.Requests == 0 && o.Duration == 0):
		return usageErrorf("invalid --requests %d: must be at least 1 (or 0 with a --duration)", o.Requests)
	case o.Duration < 0:
		return usageErrorf("invalid --duration %v: must be positive (or 0 for no bound)", o.Duration)
	case o.Concurrency < 1:
		return usageErrorf("invalid --concurrency %d: must be at least 1", o.Concurrency)
	case o.MaxInflight < 1:
		return usageErrorf("invalid --max-inflight %d: must be at least 1", o.MaxInflight)
	case o.Key == "":
		return usageErrorf("invalid --key \"\": must not be empty")
	case o.Keys < 1:
		return usageErrorf("invalid --keys %d: must be at least 1", o.Keys)
	case o.KeyDist != "uniform" && o.KeyDist != "zipf":
		return usageErrorf("invalid --key-dist %q: want uniform or zipf", o.KeyDist)
	case o.Timeout < 0:
		return usageErrorf("invalid --timeout %v: must be 0 (no timeout) or positive", o.Timeout)
	case o.Interval < time.Millisecond:
		return usageErrorf("invalid --interval %v: must be at least 1ms", o.Interval)
	case o.MissAfter <= 0:
		return usageErrorf("invalid --miss-after %v: must be positive, such as 1ms", o.MissAfter)
	case o.Workload == workloadRamp && o.Duration == 0:
		return usageErrorf("--workload ramp needs a --duration to ramp over")
	}
	for _, s := range tiers {
		tier, err := workload.ParseTier(s)
		if err != nil {
			return usageError{err}
		}
		o.Tiers = append(o.Tiers, tier)
	}
	if len(o.Tiers) > 0 {
		if _, err := workload.AssignTiers(o.Tiers, o.Keys); err != nil {
			return usageError{err}
		}
	}
	if o.BurstSize == 0 {
		o.BurstSize = o.Limit.Requests
	}
	if o.BurstEvery == 0 {
		o.BurstEvery = o.Limit.Window
	}
	if !changed("rate") && o.Workload == workloadBursty {
		o.Rate = 0
	}
	// Build every piece once now, so that a bad rate or size is a usage
	// error before anything connects.
	if _, err := o.pacer(time.Now(), 1); err != nil {
		return usageError{err}
	}
	if _, err := o.keys(1); err != nil {
		return usageError{err}
	}
	return nil
}

// pacer builds the schedule of the open model for a run that starts at
// start; nil for the closed model.
func (o *RunOptions) pacer(start time.Time, seed uint64) (workload.Pacer, error) {
	switch o.Workload {
	case workloadSteady:
		return pacerOf(workload.NewSteady(o.Rate))
	case workloadBursty:
		return pacerOf(workload.NewBursty(o.BurstSize, o.BurstEvery, o.Rate))
	case workloadWindowEdge:
		return pacerOf(workload.NewWindowEdge(o.Limit.Window, o.EdgeOffset, o.BurstSize, start))
	case workloadPoisson:
		return pacerOf(workload.NewPoisson(o.Rate, seed))
	case workloadRamp:
		return pacerOf(workload.NewRamp(o.RateStart, o.Rate, o.Duration))
	}
	return nil, nil
}

// pacerOf turns a constructor's concrete result into a Pacer, nil on error.
func pacerOf[P workload.Pacer](p P, err error) (workload.Pacer, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// keys builds the key chooser; nil means the single key.
func (o *RunOptions) keys(seed uint64) (workload.Keys, error) {
	switch {
	case o.Keys == 1:
		return nil, nil
	case o.KeyDist == "zipf":
		return workload.NewZipfKeys(o.Keys, o.ZipfS, seed)
	}
	return workload.NewUniformKeys(o.Keys, seed)
}

// runRun connects, runs each algorithm in turn, prints the results and
// writes the results file. Results are printed and written even when a run
// had errors or was interrupted, and the error returned then says so.
func runRun(opts *RunOptions) error {
	ctx, stop := opts.IO.Interrupt(context.Background())
	defer stop()
	// After the first signal, the next one kills the process at once.
	context.AfterFunc(ctx, stop)

	poolSize := opts.Concurrency
	if opts.Workload != workloadClosed {
		poolSize = opts.MaxInflight
	}
	target, err := redisconn.Open(ctx, opts.Global.RedisURL, redisconn.Options{PoolSize: poolSize})
	if err != nil {
		if ctx.Err() != nil {
			return interruptedError{"while connecting"}
		}
		return err
	}
	defer target.Close()

	seed := opts.Global.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	algOpts := algorithms.Options{}
	if opts.ClientClock {
		algOpts.Clock = algorithms.ClockFunc(time.Now)
	}
	runID := fmt.Sprintf("%08x", uint32(seed^uint64(time.Now().UnixNano())))
	file := newResultsFile(opts, target, seed)

	var results []workload.Result
	for _, name := range opts.Algorithms {
		limiter, err := algorithms.New(name, target.Client, algOpts)
		if err != nil {
			return err
		}
		key := opts.Key + ":" + name + ":" + runID
		cfg, err := opts.config(limiter, key, seed)
		if err != nil {
			return err
		}
		// One untimed decision on a key of its own loads the script and
		// warms a connection, so the first timed request is not an EVAL.
		_, _ = limiter.AllowN(ctx, key+":warmup", opts.Limit, 1)
		progress := startProgress(opts, name, &cfg)
		res, err := workload.Run(ctx, cfg)
		progress.finish()
		if err != nil {
			return err
		}
		results = append(results, res)
		file.Runs = append(file.Runs, reportRun(res, opts.Workload, opts.Limit, opts.MissAfter))
		if ctx.Err() != nil {
			break
		}
	}
	file.EndedAt = time.Now().UTC()
	if ctx.Err() != nil {
		file.EndReason = report.EndInterrupted
	}

	// The file first: a failure to print must not lose the results.
	if opts.Output != "" {
		if err := report.WriteFile(opts.Output, file); err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
	}
	if err := report.Render(opts.IO.Out, opts.Global.Format, file); err != nil {
		return err
	}

	if ctx.Err() != nil {
		last := results[len(results)-1]
		return interruptedError{fmt.Sprintf("%s sent %d requests; %d of %d algorithms run",
			last.Algorithm, last.Sent, len(results), len(opts.Algorithms))}
	}
	return runErrors(results)
}

// config is one algorithm's workload.Config.
func (o *RunOptions) config(limiter algorithms.Limiter, key string, seed uint64) (workload.Config, error) {
	// Window-edge bursts are aligned to window boundaries from a start a
	// little ahead, so that the first pair is whole.
	start := time.Now().Add(20 * time.Millisecond)
	pacer, err := o.pacer(start, seed)
	if err != nil {
		return workload.Config{}, err
	}
	keys, err := o.keys(seed)
	if err != nil {
		return workload.Config{}, err
	}
	cfg := workload.Config{
		Limiter:     limiter,
		Limit:       o.Limit,
		Key:         key,
		Keys:        keys,
		Pacer:       pacer,
		Concurrency: o.Concurrency,
		MaxInflight: o.MaxInflight,
		Requests:    o.Requests,
		Duration:    o.Duration,
		Timeout:     o.Timeout,
		Interval:    o.Interval,
		MissAfter:   o.MissAfter,
		Start:       start,
	}
	if len(o.Tiers) > 0 {
		cfg.Tiers = o.Tiers
		if cfg.TierOf, err = workload.AssignTiers(o.Tiers, o.Keys); err != nil {
			return workload.Config{}, err
		}
	}
	return cfg, nil
}

// shortDuration drops Go's trailing zero units: 1m, not 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// runErrors is nil when no request failed, else one line that counts the
// failures of each run by class and shows the first error of the first.
func runErrors(results []workload.Result) error {
	var parts []string
	var first error
	for _, r := range results {
		if r.Errors == 0 {
			continue
		}
		var classes []string
		for _, class := range workload.ErrorClasses() {
			if n := r.ErrorsByClass[class]; n > 0 {
				classes = append(classes, fmt.Sprintf("%s %d", class, n))
			}
		}
		parts = append(parts, fmt.Sprintf("%s %d of %d (%s)", r.Algorithm, r.Errors, r.Sent, strings.Join(classes, ", ")))
		if first == nil {
			first = r.FirstError
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("requests failed: %s; first error: %w", strings.Join(parts, "; "), first)
}

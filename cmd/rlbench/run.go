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
	"github.com/rlbench/rlbench/workload"
)

// burstAlgorithms are the algorithms whose capacity --burst sets (those
// that read Limit.Capacity); the others admit Limit.Requests per window
// whatever the burst.
func burstAlgorithms() []string { return []string{"token", "leaky", "gcra", "seed-leaky"} }

// RunOptions is what "rlbench run" was asked to do, every value checked.
type RunOptions struct {
	IO     IO
	Global *GlobalOptions

	// Algorithms are registry names, in the order to run them.
	Algorithms []string
	// Limit is the limit every algorithm enforces.
	Limit algorithms.Limit
	// Requests and Concurrency shape the closed-model run of each algorithm.
	Requests    int64
	Concurrency int
	// Key is the user key; each algorithm runs on a fresh key made from it.
	Key string
	// Timeout bounds each decision; 0 means none.
	Timeout time.Duration
	// ClientClock passes rlbench's clock to the scripts instead of Redis TIME.
	ClientClock bool
}

// NewCmdRun builds "rlbench run". runF, when not nil, is called with the
// parsed options instead of runRun.
func NewCmdRun(io IO, global *GlobalOptions, runF func(*RunOptions) error) *cobra.Command {
	opts := &RunOptions{IO: io, Global: global}
	var algoList string

	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run algorithms one after another against one key and print a table",
		Long: `Run sends --requests requests for one key from --concurrency workers, each
sending its next request as soon as its last is decided (the closed model), to
each algorithm in turn, and prints one row per algorithm: outcomes, decisions
per second and latency per decision from an HdrHistogram.

Each algorithm runs on its own fresh key, <key>:<algorithm>:<run id>, so runs
never share state and nothing is ever deleted from the target Redis.

Algorithms: ` + strings.Join(algorithms.Names(), ", ") + ` ("all" is these), and the
seed project's non-atomic variants ` + strings.Join(algorithms.SeedNames(), ", ") + `.`,
		Example: `  rlbench run --algo sliding
  rlbench run --algo all,seed-sliding --concurrency 64 --requests 640 --limit 100 --window 600s
  rlbench run --redis redis://localhost:6379/0 --algo token --burst 20 --limit 10 --window 1s`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(algoList, cmd.Flags().Changed("burst")); err != nil {
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
	f.Int64Var(&opts.Requests, "requests", 10000, "requests to send to each algorithm")
	f.IntVar(&opts.Concurrency, "concurrency", 10, "workers sending back to back")
	f.StringVar(&opts.Key, "key", "user:1", "user `key` the requests ask for")
	f.DurationVar(&opts.Timeout, "timeout", time.Second, "bound on each decision; 0 for none")
	f.BoolVar(&opts.ClientClock, "client-clock", false, "pass rlbench's clock to the scripts instead of Redis TIME")
	return cmd
}

// check validates the flags and resolves the algorithm list, so that bad
// input stops before any connection is made.
func (o *RunOptions) check(algoList string, burstSet bool) error {
	names, err := algorithms.ParseNames(algoList)
	if err != nil {
		return usageError{fmt.Errorf("--algo: %w", err)}
	}
	o.Algorithms = names
	switch {
	case o.Limit.Requests < 1:
		return usageErrorf("invalid --limit %d: must be at least 1", o.Limit.Requests)
	case o.Limit.Window < time.Millisecond:
		return usageErrorf("invalid --window %v: must be at least 1ms, such as 600s, 1m or 500ms", o.Limit.Window)
	case burstSet && o.Limit.Burst < 1:
		return usageErrorf("invalid --burst %d: must be at least 1 (leave it out to use the limit)", o.Limit.Burst)
	case burstSet && !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(burstAlgorithms(), n) }):
		return usageErrorf("--burst applies only to %s, and --algo %s has none of them", strings.Join(burstAlgorithms(), ", "), algoList)
	case o.Requests < 1:
		return usageErrorf("invalid --requests %d: must be at least 1", o.Requests)
	case o.Concurrency < 1:
		return usageErrorf("invalid --concurrency %d: must be at least 1", o.Concurrency)
	case o.Key == "":
		return usageErrorf("invalid --key \"\": must not be empty")
	case o.Timeout < 0:
		return usageErrorf("invalid --timeout %v: must be 0 (no timeout) or positive", o.Timeout)
	}
	return nil
}

// runRun connects, runs each algorithm in turn and prints the table. The
// table is printed even when a run had errors or was interrupted, and the
// error returned then says so.
func runRun(opts *RunOptions) error {
	ctx, stop := opts.IO.Interrupt(context.Background())
	defer stop()
	// After the first signal, the next one kills the process at once.
	context.AfterFunc(ctx, stop)

	target, err := redisconn.Open(ctx, opts.Global.RedisURL, redisconn.Options{PoolSize: opts.Concurrency})
	if err != nil {
		if ctx.Err() != nil {
			return interruptedError{"while connecting"}
		}
		return err
	}
	defer target.Close()

	algOpts := algorithms.Options{}
	if opts.ClientClock {
		algOpts.Clock = algorithms.ClockFunc(time.Now)
	}
	runID := fmt.Sprintf("%08x", rand.Uint32())
	if !opts.Global.Quiet {
		fmt.Fprintln(opts.IO.Out, describe(opts, target, runID))
	}

	var results []workload.Result
	for _, name := range opts.Algorithms {
		limiter, err := algorithms.New(name, target.Client, algOpts)
		if err != nil {
			return err
		}
		res, err := workload.Run(ctx, workload.Config{
			Limiter:     limiter,
			Limit:       opts.Limit,
			Key:         opts.Key + ":" + name + ":" + runID,
			Concurrency: opts.Concurrency,
			Requests:    opts.Requests,
			Timeout:     opts.Timeout,
		})
		if err != nil {
			return err
		}
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	if err := writeTable(opts.IO.Out, results); err != nil {
		return err
	}

	if ctx.Err() != nil {
		last := results[len(results)-1]
		return interruptedError{fmt.Sprintf("%s sent %d of %d requests; %d of %d algorithms run",
			last.Algorithm, last.Sent, opts.Requests, len(results), len(opts.Algorithms))}
	}
	return runErrors(results)
}

// describe is the line above the table: what was measured, where, how.
func describe(opts *RunOptions, target *redisconn.Target, runID string) string {
	limit := fmt.Sprintf("limit %d per %s", opts.Limit.Requests, shortDuration(opts.Limit.Window))
	if opts.Limit.Burst > 0 {
		limit += fmt.Sprintf(", burst %d for %s", opts.Limit.Burst, strings.Join(burstAlgorithms(), ", "))
	}
	clock := "redis clock"
	if opts.ClientClock {
		clock = "client clock"
	}
	timeout := "timeout " + shortDuration(opts.Timeout)
	if opts.Timeout == 0 {
		timeout = "no timeout"
	}
	workers := "workers"
	if opts.Concurrency == 1 {
		workers = "worker"
	}
	return fmt.Sprintf("%s %s at %s; %s; %d requests from %d %s on %s:<algorithm>:%s; %s; %s",
		target.Kind, target.ServerVersion, target.Address, limit,
		opts.Requests, opts.Concurrency, workers, opts.Key, runID, clock, timeout)
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

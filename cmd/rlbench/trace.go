package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload/trace"
)

// traceHelp describes the trace formats, for --help.
const traceHelp = `A trace is CSV with a header, or JSON lines, gzipped or not (told by its first
bytes). Each request has an offset from the trace's start in one column of
offset_us (whole microseconds), offset_ms (milliseconds, to the microsecond) or
offset (a Go duration such as 1.5s), a key, and optionally a cost in units (1
to 1000000, default 1), which each decision asks for (AllowN). Offsets never
decrease; other CSV columns are ignored:
  offset_us,key,cost           {"offset_us":0,"key":"alice","cost":1}
  0,alice,1                    {"offset_ms":1.5,"key":"bob"}
  1500,bob,2                   {"offset":"2s","key":"alice"}`

// genHelp describes the generator's model, for --help.
const genHelp = `The generator's traffic looks like a production API's: --sources callers, each
one key, src-0 to src-N-1. A well-behaved source alternates on and off periods
of Pareto-distributed lengths (means --on-mean and --off-mean, tail
--pareto-alpha: heavy tailed, most sessions short and a few very long) and sends
Poisson arrivals while on. Rates follow a zipf law over the sources (src-i
weighs 1/(i+1)^--rate-zipf) and add up to --rate on average, swinging over the
day by ±--diurnal (a share of the mean) with period --diurnal-period. A share
--abusive of the sources, chosen at random, are abusive: always on, at
--abusive-rate requests per second each, far over a sensible limit. The same
parameters and --seed give the same requests, byte for byte.`

// addGenFlags registers the generator's flags but --rate, --duration and
// --seed, which each command has its own of.
func addGenFlags(f *pflag.FlagSet, p *trace.Params) {
	d := trace.DefaultParams()
	f.IntVar(&p.Sources, "sources", d.Sources, "sources (keys) of the generated traffic, at most 100000000")
	f.Float64Var(&p.RateZipf, "rate-zipf", d.RateZipf, "exponent of the zipf law of the sources' rates, 0 (all alike) to 10")
	f.DurationVar(&p.OnMean, "on-mean", d.OnMean, "mean length of a source's on periods, 1ms to 8784h")
	f.DurationVar(&p.OffMean, "off-mean", d.OffMean, "mean length of a source's off periods, 0 (always on) to 8784h")
	f.Float64Var(&p.ParetoAlpha, "pareto-alpha", d.ParetoAlpha, "tail exponent of the Pareto on and off periods, above 1 and at most 10 (smaller: heavier)")
	f.Float64Var(&p.Diurnal, "diurnal", d.Diurnal, "amplitude of the daily swing of every well-behaved rate, 0 (flat) to below 1")
	f.DurationVar(&p.DiurnalPeriod, "diurnal-period", d.DiurnalPeriod, "period of the daily swing, 1s to 8784h")
	f.Float64Var(&p.Abusive, "abusive", d.Abusive, "share of abusive sources, 0 to 1")
	f.Float64Var(&p.AbusiveRate, "abusive-rate", d.AbusiveRate, "requests per second of each abusive source, 0 to 1e6")
}

// addTraceFlags registers --trace and --trace-speed.
func addTraceFlags(f *pflag.FlagSet, o *RunOptions) {
	f.StringVar(&o.TracePath, "trace", "", "the trace `file` --workload trace replays: CSV or JSON lines of offset, key and cost, gzip accepted")
	f.Float64Var(&o.TraceSpeed, "trace-speed", 1, "how much faster than recorded to replay the trace, 0.001 to 1e6 (2: twice as fast)")
}

// checkStreams checks the flags of the trace and synthetic workloads:
// the trace is read through once, every line checked, before anything
// connects.
func (o *RunOptions) checkStreams(changed func(string) bool, workloads []string) error {
	streams := slices.ContainsFunc(workloads, isStream)
	if streams && !slices.ContainsFunc(workloads, func(w string) bool { return !isStream(w) }) {
		for _, flag := range []string{"keys", "key-dist", "zipf-s"} {
			if changed(flag) {
				return usageErrorf("--%s does not apply to --workload %s: its requests name their own keys", flag, orList(workloads))
			}
		}
	}
	if slices.Contains(workloads, bench.Synthetic) {
		o.Synthetic.Rate = o.Rate
		o.Synthetic.Seed = 0 // the run's seed
		o.Synthetic.Duration = 0
		if err := o.Synthetic.Check(); err != nil {
			return usageError{err}
		}
	}
	if !slices.Contains(workloads, bench.Trace) {
		return nil
	}
	if o.TracePath == "" {
		return usageErrorf("--workload trace needs --trace FILE: a CSV or JSON lines trace of offset, key and cost")
	}
	f, err := trace.Scan(o.TracePath)
	if err != nil {
		return usageError{err}
	}
	if err := f.CheckSpeed(o.TraceSpeed); err != nil {
		return usageErrorf("invalid --trace-speed %v: %v", o.TraceSpeed, err)
	}
	o.Trace = f
	return nil
}

// isStream reports whether workload w reads its requests from a stream.
func isStream(w string) bool { return w == bench.Trace || w == bench.Synthetic }

// NewCmdTrace builds "rlbench trace" and its subcommand gen.
func NewCmdTrace(io IO, global *GlobalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Make request traces to replay with --workload trace",
		Long:  "Trace makes request traces for --workload trace.\n\n" + traceHelp,
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newCmdTraceGen(io, global, nil))
	return cmd
}

// TraceGenOptions is what "rlbench trace gen" was asked to do.
type TraceGenOptions struct {
	IO     IO
	Global *GlobalOptions
	Output string
	Params trace.Params
}

func newCmdTraceGen(io IO, global *GlobalOptions, runF func(*TraceGenOptions) error) *cobra.Command {
	opts := &TraceGenOptions{IO: io, Global: global}
	cmd := &cobra.Command{
		Use:         "gen -o FILE",
		Annotations: map[string]string{usesGlobals: "seed"},
		Short:       "Write a seeded synthetic trace like production API traffic",
		Long: `Gen writes a synthetic trace, CSV of offset_us and key, to -o FILE (gzipped
when FILE ends in .gz), streaming: memory does not grow with its length. Replay
it with --workload trace --trace FILE, or feed the same generator to a run with
no file with --workload synthetic and the same flags.

` + genHelp,
		Example: `  rlbench trace gen -o api.csv.gz --sources 270000 --rate 20000 --duration 1h --seed 7
  rlbench simulate --algo all --workload trace --trace api.csv.gz --limit 100 --window 1m`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Output == "" {
				return usageErrorf("trace gen needs -o FILE: where to write the trace (.gz to gzip it)")
			}
			if opts.Params.Duration <= 0 {
				return usageErrorf("invalid --duration %v: want a positive duration of at most 8784h, such as 10m", opts.Params.Duration)
			}
			opts.Params.Seed = global.Seed
			if opts.Params.Seed == 0 {
				opts.Params.Seed = 1
				if cmd.Flags().Changed("seed") {
					return usageErrorf("invalid --seed 0: a trace needs a fixed seed, 1 or more (default 1)")
				}
			}
			if err := opts.Params.Check(); err != nil {
				return usageError{err}
			}
			if err := report.CheckOutput(opts.Output); err != nil {
				return usageErrorf("cannot write -o %v", err)
			}
			if runF != nil {
				return runF(opts)
			}
			return runTraceGen(opts)
		},
	}
	f := cmd.Flags()
	d := trace.DefaultParams()
	f.StringVarP(&opts.Output, "output", "o", "", "write the trace to `file` (gzipped when it ends in .gz)")
	f.Float64Var(&opts.Params.Rate, "rate", d.Rate, "mean requests per second of the well-behaved sources together, 0 to 1e7")
	f.DurationVar(&opts.Params.Duration, "duration", d.Duration, "how long the trace lasts, at most 8784h")
	addGenFlags(f, &opts.Params)
	return cmd
}

// runTraceGen writes the trace.
func runTraceGen(opts *TraceGenOptions) error {
	ctx, stop := opts.IO.Interrupt(context.Background())
	defer stop()
	g, err := trace.NewGenerator(opts.Params)
	if err != nil {
		return usageError{err}
	}
	out, err := report.CreateOutput(opts.Output)
	if err != nil {
		return fmt.Errorf("cannot write -o %w", err)
	}
	began := time.Now()
	n, err := trace.Write(ctx, out, g, strings.HasSuffix(opts.Output, ".gz"), false)
	if err != nil {
		out.Abort()
		if errors.Is(err, context.Canceled) {
			return interruptedError{fmt.Sprintf("%d requests generated, nothing written to %s", n, opts.Output)}
		}
		return fmt.Errorf("write trace %s: %w", opts.Output, err)
	}
	if err := out.Commit(); err != nil {
		return fmt.Errorf("write trace %s: %w", opts.Output, err)
	}
	if !opts.Global.Quiet {
		fmt.Fprintf(opts.IO.Err, "wrote %d requests from %d sources (%d abusive) over %s to %s in %s\n",
			n, opts.Params.Sources, opts.Params.AbusiveSources(), shortDuration(opts.Params.Duration), opts.Output,
			time.Since(began).Round(time.Millisecond))
	}
	return nil
}

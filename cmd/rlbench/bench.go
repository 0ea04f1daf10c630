package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// BenchOptions is what "rlbench bench" was asked to do, every value checked.
type BenchOptions struct {
	// Load is the load every run of the matrix gets; its Algorithms are
	// the matrix's rows.
	Load *RunOptions
	// Workloads are the matrix's columns.
	Workloads []string
	// Count repeats every run, for comparisons with statistics.
	Count int
	// Sweep, when set, repeats the matrix for each of SweepLimits in place
	// of --limit (how latency grows with the limit), or for each of
	// SweepSkews in place of --clock-skew (how accuracy suffers when
	// callers' clocks disagree).
	Sweep       string
	SweepLimits []int64
	SweepSkews  []time.Duration
	// OutputDir, when set, receives results.json, report.md and report.html.
	OutputDir string
	// Thresholds are absolute bounds every run must keep, as in
	// over_admitted==0: the results' own gate, with no BASE to compare.
	Thresholds []report.Threshold
	// CI are the JUnit and Markdown reports of the thresholds.
	CI CIOutputs
}

// NewCmdBench builds "rlbench bench". runF, when not nil, is called with the
// parsed options instead of runBench.
func NewCmdBench(io IO, global *GlobalOptions, runF func(*BenchOptions) error) *cobra.Command {
	opts := &BenchOptions{Load: &RunOptions{IO: io, Global: global}}
	algo := newAlgoFlag("all,baseline")
	shapes := workloadsFlag{workloadSteady, workloadBursty, workloadWindowEdge}
	sweep := &sweepFlag{}
	var includeSeed bool
	var thresholds []string

	cmd := &cobra.Command{
		Use:         "bench",
		Annotations: map[string]string{usesGlobals: "redis seed format"},
		Short:       "Run the matrix of algorithms × workloads and print the seed's benchmark table",
		Long: `Bench runs every algorithm (and the PING baseline) under every workload, 10,000
requests or 5 s per run, whichever comes first (the seed's benchmark sent 10,000;
give only --requests or only --duration to lift the other bound), and prints the seed's table in its
own form, with the seed's claimed figures beside the measured ones, then the full
table: latency, throughput, outcomes and accuracy.

--count repeats each run, interleaved, so that "rlbench compare" can tell a
difference from noise. --sweep limit=10,100,1000,10000 repeats the matrix for
each limit: the evidence for the seed's "O(1)" and "O(log n)" claims. Give a
long --window with it, so that a sliding log really holds up to the limit.
--sweep clock-skew=0,1ms,10ms,100ms,1s repeats it for each --clock-skew, and
prints over-admission against skew per algorithm (with --client-clock; under
the server clock the callers' clocks reach no limiter).

-o DIR writes DIR/results.json, DIR/report.md and DIR/report.html.

--threshold (repeatable) holds every run to an absolute bound, such as
over_admitted==0, errors==0 or response_p99_us<=500 (the METRICs of rlbench
compare; relative bounds need a BASE: use compare): the results are printed and
written all the same, the verdicts follow on stderr, and the command exits 1
when one fails. --junit and --summary write them for CI, as compare does; with
thresholds and no --summary, the summary is appended to $GITHUB_STEP_SUMMARY
when that is set.`,
		Example: `  rlbench bench
  rlbench bench --redis redis://127.0.0.1:6379/0 --include-seed -o results/bench
  rlbench bench --algo fixed,sliding --workload steady --sweep limit=10,100,1000,10000 --window 1m
  rlbench bench --algo token --workload steady --count 6 -o base
  rlbench bench --redis local --threshold 'over_admitted==0' --threshold 'errors==0' --junit junit.xml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if includeSeed {
				algo.add(algorithms.SeedNames()...)
			}
			opts.Workloads, opts.Sweep, opts.SweepLimits, opts.SweepSkews = shapes, sweep.text, sweep.limits, sweep.skews
			opts.Load.skewSwept = len(sweep.skews) > 0
			var err error
			if opts.Thresholds, err = parseThresholds(thresholds); err != nil {
				return err
			}
			if err := opts.check(cmd, algo); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runBench(opts)
		},
	}

	f := cmd.Flags()
	f.Var(algo, "algo", "algorithms to run: `NAME[,NAME...]`, all, baseline")
	f.Var(&shapes, "workload", "workloads to run: `NAME[,NAME...]` of "+strings.Join(bench.WorkloadNames(), ", "))
	f.BoolVar(&includeSeed, "include-seed", false, "add the seed's variants: "+strings.Join(algorithms.SeedNames(), ", "))
	f.IntVar(&opts.Count, "count", 1, "run each algorithm and workload this many times, at most 1000")
	f.Var(sweep, "sweep", "repeat the matrix for each value: `limit=N,N,...` or clock-skew=D,D,...")
	f.StringVarP(&opts.OutputDir, "output", "o", "", "write results.json, report.md and report.html into `DIR`")
	f.StringArrayVar(&thresholds, "threshold", nil, "an absolute bound every run must keep: `EXPR` such as 'over_admitted==0' (repeat)")
	addCIFlags(f, &opts.CI)
	addLoadFlags(f, opts.Load, loadDefaults{window: time.Second, rate: 2000, duration: 5 * time.Second, burstEvery: 50 * time.Millisecond})
	return cmd
}

// check validates the bench's own flags, then the load's.
func (o *BenchOptions) check(cmd *cobra.Command, algo *algoFlag) error {
	for _, t := range o.Thresholds {
		if t.Relative {
			return usageErrorf("invalid --threshold %s: a change relative to BASE needs a BASE; bench takes absolute bounds such as "+
				"over_admitted==0 or response_p99_us<=500 (compare a saved run with rlbench compare)", t)
		}
	}
	// A bench without thresholds has no verdict for a job's summary: on
	// GitHub Actions the compare that follows it writes one.
	if err := o.CI.check(o.Load.IO, len(o.Thresholds) > 0); err != nil {
		return err
	}
	switch {
	case o.Count < 1:
		return usageErrorf("invalid --count %d: must be at least 1", o.Count)
	case o.Count > maxCount:
		return usageErrorf("invalid --count %d: out of range, want at most %d", o.Count, maxCount)
	}
	if err := checkSkewSweep(cmd, o.SweepSkews); err != nil {
		return err
	}
	if len(o.SweepLimits) > 0 {
		switch {
		case len(o.Load.Tiers) > 0:
			return usageErrorf("--sweep does not apply with --tier: every key has its tier's limit, which a sweep cannot change")
		case cmd.Flags().Changed("limit"):
			return usageErrorf("--limit does not apply with --sweep %s, which gives each run its limit", o.Sweep)
		}
	}
	return o.Load.check(cmd, algo, o.Workloads)
}

// maxCount bounds --count.
const maxCount = 1000

// plan is the matrix: every algorithm under every workload, for the
// limit or each limit of the sweep, Count times.
func (o *BenchOptions) plan() bench.Plan {
	limits := []algorithms.Limit{o.Load.Limit}
	if len(o.SweepLimits) > 0 {
		limits = nil
		for _, n := range o.SweepLimits {
			l := o.Load.Limit
			l.Requests = n
			limits = append(limits, l)
		}
	}
	return bench.Plan{Algorithms: o.Load.Algorithms, Workloads: o.Workloads, Limits: limits, ClockSkews: o.Load.clockSkews(o.SweepSkews), Count: o.Count, Clients: o.Load.Clients}
}

// runBench runs the matrix, prints it (the table format opens with the
// seed-style table), and writes the reports.
func runBench(opts *BenchOptions) error {
	load := opts.Load
	ctx, stop := load.IO.Interrupt(context.Background())
	defer stop()
	context.AfterFunc(ctx, stop)

	if opts.OutputDir != "" {
		if err := checkOutputDir(opts.OutputDir); err != nil {
			return err
		}
	}
	if err := checkProfile(load.CPUProfile); err != nil {
		return err
	}
	ms, err := startMetrics(load)
	if err != nil {
		return err
	}
	defer ms.stop()
	s, err := connect(ctx, load, opts.Workloads)
	if err != nil {
		return err
	}
	defer s.Close()

	file := bench.NewFile(&load.Load, load.Algorithms, opts.Workloads, s.Info, s.Seed(), toolVersion())
	file.Config.Workloads = opts.Workloads
	file.Config.Count = opts.Count
	file.Config.Sweep = opts.Sweep
	plan := opts.plan().Runs()
	stopProfile, err := startProfile(load.CPUProfile)
	if err != nil {
		return err
	}
	results, err := s.Execute(ctx, plan, file, ms.watch(s, progressWatch(load)))
	profileErr := stopProfile()
	if err != nil {
		return partial(load.IO, load.Global.Format, file, err, func() error {
			if opts.OutputDir == "" {
				return nil
			}
			return writeBenchReports(opts.OutputDir, file)
		})
	}

	if err := formats.Render(load.IO.Out, load.Global.Format, file); err != nil {
		return err
	}
	if profileErr != nil {
		return profileErr
	}
	// Written after printing, so that a folder that cannot be written
	// loses nothing: the results then go to a fallback file.
	if opts.OutputDir != "" {
		if err := writeBenchReports(opts.OutputDir, file); err != nil {
			return err
		}
	}
	return checkBench(load.IO, opts, file, finish(ctx, results, len(plan)))
}

// checkBench holds the runs of file to the thresholds, with no BASE: the
// verdicts go to stderr, beside the results on stdout, and to the CI
// reports. runErr, how the runs ended, wins over a failed threshold: an
// interrupted bench exits 130 whatever its verdicts.
func checkBench(io IO, opts *BenchOptions, file *report.File, runErr error) error {
	c := report.Compare(nil, file, opts.Thresholds, report.DefaultAlpha)
	if len(opts.Thresholds) > 0 {
		if _, err := fmt.Fprintln(io.Err, c.ThresholdSummary()); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if err := opts.CI.write(c, "rlbench bench", file); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr != nil {
		return runErr
	}
	return thresholdsError(c)
}

// checkOutputDir checks -o DIR before the run: DIR is a folder rlbench can
// write in, or its parent is, where DIR will be made. A whole missing tree
// is refused rather than made.
func checkOutputDir(dir string) error {
	probe := filepath.Join(dir, "results.json")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		probe = dir
	}
	if err := report.CheckOutput(probe); err != nil {
		return usageErrorf("cannot write -o %v", err)
	}
	return nil
}

// benchReports are the reports -o DIR writes beside results.json.
var benchReports = []struct{ format, name string }{
	{"markdown", "report.md"},
	{"html", "report.html"},
}

// writeBenchReports writes the results file and its reports into dir; the
// results file first, so that nothing is lost if a report fails.
func writeBenchReports(dir string, file *report.File) error {
	// Only DIR itself is made, 0777 less the umask; its parent was checked.
	made := os.Mkdir(dir, 0o777) == nil
	if err := report.WriteFile(filepath.Join(dir, "results.json"), file); err != nil {
		if made {
			os.Remove(dir) // only when empty
		}
		return keepResults(err, file)
	}
	for _, r := range benchReports {
		var b bytes.Buffer
		if err := formats.Render(&b, r.format, file); err != nil {
			return err
		}
		if err := report.WriteOutput(filepath.Join(dir, r.name), b.Bytes()); err != nil {
			return fmt.Errorf("writing %s: %w", r.name, err)
		}
	}
	return nil
}

// checkSkewSweep refuses --clock-skew beside --sweep clock-skew=..., which
// gives each run its skew.
func checkSkewSweep(cmd *cobra.Command, skews []time.Duration) error {
	if len(skews) > 0 && cmd.Flags().Changed("clock-skew") {
		return usageErrorf("--clock-skew does not apply with --sweep clock-skew=..., which gives each run its skew")
	}
	return nil
}

// clockSkews are the skews of the runs: those swept, or --clock-skew's
// one, or none.
func (o *RunOptions) clockSkews(swept []time.Duration) []time.Duration {
	if len(swept) > 0 {
		return swept
	}
	if o.ClockSkew > 0 {
		return []time.Duration{o.ClockSkew}
	}
	return nil
}

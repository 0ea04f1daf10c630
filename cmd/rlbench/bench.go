package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
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
	// of --limit: how latency grows with the limit.
	Sweep       string
	SweepLimits []int64
	// OutputDir, when set, receives results.json, report.md and report.html.
	OutputDir string
}

// NewCmdBench builds "rlbench bench". runF, when not nil, is called with the
// parsed options instead of runBench.
func NewCmdBench(io IO, global *GlobalOptions, runF func(*BenchOptions) error) *cobra.Command {
	opts := &BenchOptions{Load: &RunOptions{IO: io, Global: global}}
	algo := newAlgoFlag("all,baseline")
	shapes := workloadsFlag{workloadSteady, workloadBursty, workloadWindowEdge}
	sweep := &sweepFlag{}
	var includeSeed bool

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

-o DIR writes DIR/results.json, DIR/report.md and DIR/report.html.`,
		Example: `  rlbench bench
  rlbench bench --redis redis://127.0.0.1:6379/0 --include-seed -o results/bench
  rlbench bench --algo fixed,sliding --workload steady --sweep limit=10,100,1000,10000 --window 1m
  rlbench bench --algo token --workload steady --count 6 -o base`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if includeSeed {
				algo.add(algorithms.SeedNames()...)
			}
			opts.Workloads, opts.Sweep, opts.SweepLimits = shapes, sweep.text, sweep.limits
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
	f.Var(sweep, "sweep", "repeat the matrix for each value: `limit=N,N,...`")
	f.StringVarP(&opts.OutputDir, "output", "o", "", "write results.json, report.md and report.html into `DIR`")
	addLoadFlags(f, opts.Load, loadDefaults{window: time.Second, rate: 2000, duration: 5 * time.Second, burstEvery: 50 * time.Millisecond})
	return cmd
}

// check validates the bench's own flags, then the load's.
func (o *BenchOptions) check(cmd *cobra.Command, algo *algoFlag) error {
	switch {
	case o.Count < 1:
		return usageErrorf("invalid --count %d: must be at least 1", o.Count)
	case o.Count > maxCount:
		return usageErrorf("invalid --count %d: out of range, want at most %d", o.Count, maxCount)
	}
	if o.Sweep != "" {
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
	return bench.Plan{Algorithms: o.Load.Algorithms, Workloads: o.Workloads, Limits: limits, Count: o.Count}
}

// runBench runs the matrix, prints the seed-style table and the full one,
// and writes the reports.
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
	s, err := connect(ctx, load, opts.Workloads)
	if err != nil {
		return err
	}
	defer s.Close()

	file := bench.NewFile(&load.Load, load.Algorithms, opts.Workloads, s.Target, s.Seed(), toolVersion())
	file.Config.Workloads = opts.Workloads
	file.Config.Count = opts.Count
	file.Config.Sweep = opts.Sweep
	plan := opts.plan().Runs()
	results, err := s.Execute(ctx, plan, file, progressWatch(load))
	if err != nil {
		return err
	}

	out := load.IO.Out
	if load.Global.Format == "table" {
		if err := writeSeedTable(out, file); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	if err := report.Render(out, load.Global.Format, file); err != nil {
		return err
	}
	if len(opts.SweepLimits) > 0 && load.Global.Format == "table" {
		fmt.Fprintln(out)
		if err := writeSweepTable(out, file); err != nil {
			return err
		}
	}
	// Written after printing, so that a folder that cannot be written
	// loses nothing: the results then go to a fallback file.
	if opts.OutputDir != "" {
		if err := writeBenchReports(opts.OutputDir, file); err != nil {
			return err
		}
	}
	return finish(ctx, results, len(plan))
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

// writeBenchReports writes the results file and its Markdown and HTML
// reports into dir; the results file first, so that nothing is lost if a
// report fails.
func writeBenchReports(dir string, file *report.File) error {
	// Only DIR itself is made, 0777 less the umask; its parent was checked.
	made := os.Mkdir(dir, 0o777) == nil
	if err := report.WriteFile(filepath.Join(dir, "results.json"), file); err != nil {
		if made {
			os.Remove(dir) // only when empty
		}
		return keepResults(err, file)
	}
	for _, format := range []string{"markdown", "html"} {
		if !slices.Contains(report.Formats(), format) {
			continue
		}
		name := map[string]string{"markdown": "report.md", "html": "report.html"}[format]
		var b strings.Builder
		if format == "markdown" {
			b.WriteString("```\n")
			if err := writeSeedTable(&b, file); err != nil {
				return err
			}
			b.WriteString("```\n\n")
		}
		if err := report.Render(&b, format, file); err != nil {
			return err
		}
		if format == "markdown" && file.Config.Sweep != "" {
			b.WriteString("\n")
			if err := writeSweepMarkdown(&b, file); err != nil {
				return err
			}
		}
		if err := report.WriteOutput(filepath.Join(dir, name), []byte(b.String())); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return nil
}

// seedClaim is what the seed's README claimed for an algorithm: the
// latency, in µs, and where the figure came from when not its README.
type seedClaim struct {
	claimedUS int
	note      string
}

// seedClaims are the seed README's figures (docs/seed.md); an algorithm
// without one shows its measured figure alone.
var seedClaims = map[string]seedClaim{
	"fixed":        {120, ""},
	"sliding":      {150, ""},
	"token":        {140, "an older README"},
	"leaky":        {130, ""},
	"seed-fixed":   {120, "the seed's own code"},
	"seed-sliding": {150, "the seed's own code"},
	"seed-leaky":   {130, "the seed's own code"},
}

// writeSeedTable prints the seed's benchmark table in its own form, from
// the first workload's runs (the median of the repetitions' means), with a
// ✘ where an algorithm admitted more than its bound in any run. Its
// latency is service time, what one decision takes, as the seed's figures
// were; response time, which adds the generator's own lag, is in the table.
func writeSeedTable(w io.Writer, f *report.File) error {
	if len(f.Runs) == 0 {
		return nil
	}
	first := f.Runs[0].Workload
	firstLimit := f.Runs[0].Limit
	var order []string
	means := map[string][]float64{}
	over := map[string]int64{}
	for _, r := range f.Runs {
		over[r.Algorithm] += r.Accuracy.OverAdmitted
		if r.Workload != first || r.Limit != firstLimit || r.Counts.Sent == 0 {
			continue
		}
		if _, ok := means[r.Algorithm]; !ok {
			order = append(order, r.Algorithm)
		}
		means[r.Algorithm] = append(means[r.Algorithm], r.Latency.ServiceUS.Mean)
	}
	fmt.Fprintln(w, seedTableTitle(f, first, firstLimit))
	fmt.Fprintln(w, strings.Repeat("-", 55))
	width := 0
	for _, a := range order {
		width = max(width, len([]rune(seedTitle(a))))
	}
	for _, a := range order {
		claim := seedClaims[a]
		mark := "✔"
		if over[a] > 0 {
			mark = "✘"
		}
		measured := report.Median(means[a])
		line := fmt.Sprintf("%s %-*s → %5.0fμs avg latency, %s", mark, width, seedTitle(a), measured, seedCost(a))
		switch {
		case claim.claimedUS > 0 && claim.note != "":
			line += fmt.Sprintf("   (seed claimed %dμs: %s)", claim.claimedUS, claim.note)
		case claim.claimedUS > 0:
			line += fmt.Sprintf("   (seed claimed %dμs)", claim.claimedUS)
		}
		if over[a] > 0 {
			line += fmt.Sprintf("; admitted %d above its bound", over[a])
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

// seedTableTitle is the seed's title line, "Rate Limiter Performance
// (Benchmark @ 10,000 requests, steady at 2000/s, redis 7.0.15):", saying
// what the table's runs sent and how, and which limit when the runs had
// several (a sweep).
func seedTableTitle(f *report.File, workload string, limit report.Limit) string {
	lo, hi := int64(math.MaxInt64), int64(0)
	var limits []report.Limit
	for _, r := range f.Runs {
		if !slices.Contains(limits, r.Limit) {
			limits = append(limits, r.Limit)
		}
		if r.Workload == workload && r.Limit == limit && r.Counts.Sent > 0 {
			lo, hi = min(lo, r.Counts.Sent), max(hi, r.Counts.Sent)
		}
	}
	sent := thousands(hi) + " " + report.Plural(hi, "request")
	if lo < hi {
		sent = thousands(lo) + " to " + sent
	}
	parts := []string{"Benchmark @ " + sent, f.Config.Shape(workload)}
	if len(limits) > 1 {
		parts = append(parts, "limit "+limit.String())
	}
	parts = append(parts, strings.TrimSpace(f.Target.Kind+" "+f.Target.ServerVersion))
	return "Rate Limiter Performance (" + strings.Join(parts, ", ") + "):"
}

// seedTitle is the algorithm's name in the seed's table.
func seedTitle(algorithm string) string {
	if info, err := algorithms.Lookup(algorithm); err == nil {
		return info.Title
	}
	return algorithm
}

// seedCost is what a decision costs Redis, as the seed's table says it.
func seedCost(algorithm string) string {
	if info, err := algorithms.Lookup(algorithm); err == nil {
		return info.Cost
	}
	return ""
}

// thousands writes 10000 as 10,000, as the seed did.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// sweepRows gathers, for the first workload, each algorithm's mean and p99
// service time per limit (medians over repetitions): what a decision costs
// as its state grows, without the generator's lag.
func sweepRows(f *report.File) (limits []int64, algos []string, cells map[string]map[int64][2]float64) {
	if len(f.Runs) == 0 {
		return nil, nil, nil
	}
	first := f.Runs[0].Workload
	type acc struct{ means, p99s []float64 }
	raw := map[string]map[int64]*acc{}
	for _, r := range f.Runs {
		if r.Workload != first || r.Counts.Sent == 0 {
			continue
		}
		if !slices.Contains(limits, r.Limit.Requests) {
			limits = append(limits, r.Limit.Requests)
		}
		if raw[r.Algorithm] == nil {
			raw[r.Algorithm] = map[int64]*acc{}
			algos = append(algos, r.Algorithm)
		}
		a := raw[r.Algorithm][r.Limit.Requests]
		if a == nil {
			a = &acc{}
			raw[r.Algorithm][r.Limit.Requests] = a
		}
		a.means = append(a.means, r.Latency.ServiceUS.Mean)
		a.p99s = append(a.p99s, r.Latency.ServiceUS.P99)
	}
	cells = map[string]map[int64][2]float64{}
	for algo, byLimit := range raw {
		cells[algo] = map[int64][2]float64{}
		for limit, a := range byLimit {
			cells[algo][limit] = [2]float64{report.Median(a.means), report.Median(a.p99s)}
		}
	}
	return limits, algos, cells
}

// sweepTitle is "Service time against the limit (closed, 1 worker, window
// 10m; mean / p99 µs)": the first workload's runs, whose limits the
// columns give.
func sweepTitle(f *report.File) string {
	first := f.Runs[0]
	return fmt.Sprintf("Service time against the limit (%s, window %s; mean / p99 µs)",
		f.Config.Shape(first.Workload), shortDuration(time.Duration(first.Limit.WindowUS)*time.Microsecond))
}

// writeSweepTable prints mean / p99 µs per algorithm (rows) and limit
// (columns).
func writeSweepTable(w io.Writer, f *report.File) error {
	limits, algos, cells := sweepRows(f)
	fmt.Fprintln(w, sweepTitle(f)+":")
	header := []string{"algorithm"}
	align := []tw.Align{tw.AlignLeft}
	for _, l := range limits {
		header = append(header, "limit "+strconv.FormatInt(l, 10))
		align = append(align, tw.AlignRight)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	for _, a := range algos {
		row := []string{a}
		for _, l := range limits {
			if c, ok := cells[a][l]; ok {
				row = append(row, fmt.Sprintf("%.1f / %.1f", c[0], c[1]))
			} else {
				row = append(row, "-")
			}
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// writeSweepMarkdown is writeSweepTable as a Markdown table.
func writeSweepMarkdown(w io.Writer, f *report.File) error {
	limits, algos, cells := sweepRows(f)
	fmt.Fprintf(w, "%s:\n\n| algorithm |", sweepTitle(f))
	for _, l := range limits {
		fmt.Fprintf(w, " limit %d |", l)
	}
	fmt.Fprint(w, "\n| --- |")
	for range limits {
		fmt.Fprint(w, " ---: |")
	}
	fmt.Fprintln(w)
	for _, a := range algos {
		fmt.Fprintf(w, "| %s |", a)
		for _, l := range limits {
			if c, ok := cells[a][l]; ok {
				fmt.Fprintf(w, " %.1f / %.1f |", c[0], c[1])
			} else {
				fmt.Fprint(w, " - |")
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}

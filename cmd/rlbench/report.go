package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// ReportOptions is what "rlbench report" was asked to do.
type ReportOptions struct {
	IO     IO
	Global *GlobalOptions
	// Files are the results files to render.
	Files []string
	// Output, when set, receives the rendering instead of stdout.
	Output string
}

// NewCmdReport builds "rlbench report" and its "merge" subcommand.
func NewCmdReport(io IO, global *GlobalOptions) *cobra.Command {
	opts := &ReportOptions{IO: io, Global: global}
	cmd := &cobra.Command{
		Use:         "report FILE...",
		Annotations: map[string]string{usesGlobals: "format"},
		Short:       "Render saved results: " + strings.Join(formats.Names(), ", "),
		Long: `Report renders results files written by "rlbench run -o" or "rlbench bench -o"
in the --format you choose:

` + formatList() + `
A bench's results.json renders as the report.md and report.html that -o wrote.`,
		Example: `  rlbench report results.json
  rlbench report --format html results.json -o report.html
  rlbench report --format benchfmt base.json > base.txt   # for benchstat`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			return runReport(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.AddCommand(newCmdMerge(io))
	return cmd
}

// readResults reads every file; a missing, malformed or unknown-version
// file is bad input.
func readResults(paths []string) ([]*report.File, error) {
	var files []*report.File
	for _, p := range paths {
		f, err := report.ReadFile(p)
		if err != nil {
			return nil, usageError{err}
		}
		files = append(files, f)
	}
	return files, nil
}

func runReport(opts *ReportOptions) error {
	if opts.Output != "" {
		if err := report.CheckOutput(opts.Output); err != nil {
			return usageErrorf("cannot write -o %v", err)
		}
	}
	files, err := readResults(opts.Files)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = formats.Render(&b, opts.Global.Format, files...)
	if errors.Is(err, report.ErrOneFile) {
		return usageErrorf("--format %v", err)
	}
	if err != nil {
		return err
	}
	return writeOutput(opts.IO.Out, opts.Output, b.Bytes())
}

// formatList is one line per format for help: its name and what it is.
func formatList() string {
	var b strings.Builder
	for _, f := range formats.All() {
		fmt.Fprintf(&b, "  %-9s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// writeOutput writes data to path, or to w when path is empty.
func writeOutput(w io.Writer, path string, data []byte) error {
	if path == "" {
		_, err := w.Write(data)
		return err
	}
	if err := report.WriteOutput(path, data); err != nil {
		return fmt.Errorf("writing -o %s: %w", path, err)
	}
	return nil
}

// MergeOptions is what "rlbench report merge" was asked to do.
type MergeOptions struct {
	IO     IO
	Files  []string
	Output string
}

func newCmdMerge(io IO) *cobra.Command {
	opts := &MergeOptions{IO: io}
	cmd := &cobra.Command{
		Use:         "merge FILE FILE... -o ALL.json",
		Annotations: map[string]string{usesGlobals: ""},
		Short:       "Merge results of several load generators that ran the same configuration",
		Long: `Merge combines results files from load generators that ran the same
configuration at the same time against the same target: counts add, latency
histograms merge exactly, time series align on their timestamps. Files of
different configurations are refused. The merged busiest-window figure is the
sum of each generator's, an upper bound: the instants themselves are not kept.`,
		Args: usageArgs(cobra.MinimumNArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			if opts.Output == "" {
				return usageErrorf("rlbench report merge needs -o FILE for the merged results")
			}
			return runMerge(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the merged results to `FILE`")
	return cmd
}

func runMerge(opts *MergeOptions) error {
	if err := report.CheckOutput(opts.Output); err != nil {
		return usageErrorf("cannot write -o %v", err)
	}
	files, err := readResults(opts.Files)
	if err != nil {
		return err
	}
	merged, err := report.Merge(files...)
	// Files that do not belong together, or a file without the histogram
	// a merge needs (one from before service_histogram existed), are bad
	// input like any other: exit code 2.
	if errors.Is(err, report.ErrMergeMismatch) || errors.Is(err, report.ErrBadHistogram) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	return report.WriteFile(opts.Output, merged)
}

// CompareOptions is what "rlbench compare" was asked to do.
type CompareOptions struct {
	IO         IO
	Base, New  string
	Thresholds []report.Threshold
	Alpha      float64
}

// NewCmdCompare builds "rlbench compare".
func NewCmdCompare(io IO) *cobra.Command {
	opts := &CompareOptions{IO: io}
	var thresholds []string
	cmd := &cobra.Command{
		Use:         "compare BASE.json NEW.json",
		Annotations: map[string]string{usesGlobals: ""},
		Short:       "Compare two results files, run by run, and check thresholds",
		Long: `Compare matches the runs of two results files by algorithm, workload and limit
and shows the change in each figure. With at least 6 repetitions of a run a
side (rlbench bench --count 6), it compares medians with a Mann-Whitney U test
and calls a difference significant only when p < --alpha; otherwise it prints ~.

Thresholds (repeatable) fail the command with exit code 1:
  METRIC OP VALUE     an absolute bound on NEW:  over_admitted==0, errors==0
  METRIC OP ±VALUE%   relative to BASE:          response_p99_us<+10%
OP is one of < <= > >= == != (relative ones take < <= > >=). With repetitions,
thresholds use medians. METRIC is a figure's name, as in the csv: response_
latencies are from the intended send time and service_ ones from the actual
send, in µs; _per_s figures are rates; the others count requests. A short name
in brackets is read as the name before it:
` + thresholdMetricList(),
		Example: `  rlbench compare base.json new.json
  rlbench compare base.json new.json --threshold 'response_p99_us<+10%' --threshold 'over_admitted==0' --threshold 'accepted_per_s>-5%'`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Base, opts.New = args[0], args[1]
			for _, s := range thresholds {
				t, err := report.ParseThreshold(s)
				if err != nil {
					return usageError{err}
				}
				opts.Thresholds = append(opts.Thresholds, t)
			}
			if !(opts.Alpha > 0 && opts.Alpha < 1) { // NaN fails here too
				return usageErrorf("invalid --alpha %v: want a significance level between 0 and 1, such as 0.05", opts.Alpha)
			}
			return runCompare(opts)
		},
	}
	cmd.Flags().StringArrayVar(&thresholds, "threshold", nil, "a check that fails the command: `EXPR` such as 'over_admitted==0' (repeat)")
	cmd.Flags().Float64Var(&opts.Alpha, "alpha", report.DefaultAlpha, "significance level of the Mann-Whitney test")
	return cmd
}

// thresholdMetricList lists the metrics a threshold may name, each alias
// in brackets after its name, indented and wrapped to 80 columns.
func thresholdMetricList() string {
	metrics := report.MetricsIn(report.InThreshold)
	items := make([]string, len(metrics))
	for i, m := range metrics {
		items[i] = m.Name
		if len(m.Aliases) > 0 {
			items[i] += " (" + strings.Join(m.Aliases, ", ") + ")"
		}
		if i < len(metrics)-1 {
			items[i] += ","
		}
	}
	var lines []string
	line := " "
	for _, item := range items {
		if line != " " && len(line)+1+len(item) > 80 {
			lines = append(lines, line)
			line = " "
		}
		line += " " + item
	}
	return strings.Join(append(lines, line), "\n")
}

// errThresholds is the failure of one or more thresholds: exit code 1.
var errThresholds = errors.New("thresholds failed")

func runCompare(opts *CompareOptions) error {
	files, err := readResults([]string{opts.Base, opts.New})
	if err != nil {
		return err
	}
	c := report.Compare(files[0], files[1], opts.Thresholds, opts.Alpha)
	if err := c.Render(opts.IO.Out); err != nil {
		return err
	}
	// The count is the one the summary above gives: every line of Failed.
	if n := len(c.Failed); n > 0 {
		return fmt.Errorf("%w: %d %s of %d %s (see above)", errThresholds,
			n, report.Plural(n, "failure"), len(opts.Thresholds), report.Plural(len(opts.Thresholds), "threshold"))
	}
	return nil
}

// usageArgs makes a cobra argument check's error a usage error (exit 2),
// with the command's usage line to say what is accepted.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErrorf("%v: usage: %s", err, cmd.UseLine())
		}
		return nil
	}
}

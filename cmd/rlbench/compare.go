package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/report"
)

// CompareOptions is what "rlbench compare" was asked to do.
type CompareOptions struct {
	IO         IO
	Base, New  string
	Thresholds []report.Threshold
	Alpha      float64
	CI         CIOutputs
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

For CI, --junit FILE writes a JUnit test case per threshold and run, and
--summary FILE (or $GITHUB_STEP_SUMMARY, appended to, when set) a Markdown
summary: the verdicts, the changes, NEW's seed-style table. Both are written
whether or not a threshold fails.

Thresholds (repeatable) fail the command with exit code 1. A threshold that
needs a side without the run is skipped (a relative one on a run new in NEW);
a run of BASE that NEW lacks fails.
  METRIC OP VALUE     an absolute bound on NEW:  over_admitted==0, errors==0
  METRIC OP ±VALUE%   relative to BASE:          response_p99_us<+10%
OP is one of < <= > >= == != (relative ones take < <= > >=). With repetitions,
thresholds use medians. METRIC is a figure's name, as in the csv: response_
latencies are from the intended send time and service_ ones from the actual
send, in µs; _per_s figures are rates; the others count requests. A short name
in brackets is read as the name before it:
` + thresholdMetricList(),
		Example: `  rlbench compare base.json new.json
  rlbench compare base.json new.json --threshold 'response_p99_us<+10%' --threshold 'over_admitted==0' --threshold 'accepted_per_s>-5%'
  rlbench compare base.json new.json --threshold 'over_admitted==0' --junit junit.xml --summary summary.md`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Base, opts.New = args[0], args[1]
			var err error
			if opts.Thresholds, err = parseThresholds(thresholds); err != nil {
				return err
			}
			if !(opts.Alpha > 0 && opts.Alpha < 1) { // NaN fails here too
				return usageErrorf("invalid --alpha %v: want a significance level between 0 and 1, such as 0.05", opts.Alpha)
			}
			if err := opts.CI.check(io, true); err != nil {
				return err
			}
			return runCompare(opts)
		},
	}
	cmd.Flags().StringArrayVar(&thresholds, "threshold", nil, "a check that fails the command: `EXPR` such as 'over_admitted==0' (repeat)")
	cmd.Flags().Float64Var(&opts.Alpha, "alpha", report.DefaultAlpha, "significance level of the Mann-Whitney test")
	addCIFlags(cmd.Flags(), &opts.CI)
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

func runCompare(opts *CompareOptions) error {
	files, err := readResults([]string{opts.Base, opts.New})
	if err != nil {
		return err
	}
	c := report.Compare(files[0], files[1], opts.Thresholds, opts.Alpha)
	if err := c.Render(opts.IO.Out); err != nil {
		return err
	}
	// Written whatever the verdict: a failed gate is what CI must show.
	if err := opts.CI.write(c, "rlbench compare "+opts.Base+" "+opts.New, files[1]); err != nil {
		return err
	}
	return thresholdsError(c)
}

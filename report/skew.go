package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// The skew table is over-admission against clock skew, one row per
// algorithm and one column per value of "--sweep clock-skew=...": how much
// more than its promise each algorithm admits when its callers' clocks
// disagree. Table and Markdown print it below the runs when the file holds
// such a sweep.

// hasSkewTable reports whether f holds a clock-skew sweep.
func hasSkewTable(f *File) bool {
	return strings.HasPrefix(f.Config.Sweep, "clock-skew=") && len(f.Runs) > 0
}

// skewCell is one algorithm at one skew: the worst of its repetitions;
// with an oracle, that run's false allows too.
type skewCell struct {
	over, overAtMost int64
	judged           bool
	fa, faAtMost     int64
}

// text is "+3": admitted above the promise (over_admitted), an interval
// when unknown outcomes leave it open; "+3 / 12" when an oracle judged the
// run and found 12 false allows.
func (c skewCell) text() string {
	s := "+" + interval(c.over, c.overAtMost)
	if c.judged {
		s += " / " + interval(c.fa, c.faAtMost)
	}
	return s
}

// skewRows gathers, for the first workload, each algorithm's worst
// over-admission per clock skew.
func skewRows(f *File) (skews []int64, algos []string, cells map[string]map[int64]skewCell) {
	first := f.Runs[0].Workload
	cells = map[string]map[int64]skewCell{}
	for _, r := range f.Runs {
		if r.Workload != first || r.Counts.Sent == 0 {
			continue
		}
		if !slices.Contains(skews, r.ClockSkewUS) {
			skews = append(skews, r.ClockSkewUS)
		}
		if cells[r.Algorithm] == nil {
			cells[r.Algorithm] = map[int64]skewCell{}
			algos = append(algos, r.Algorithm)
		}
		c, seen := cells[r.Algorithm][r.ClockSkewUS]
		a := r.Accuracy
		if !seen || a.OverAdmitted > c.over {
			c = skewCell{over: a.OverAdmitted, overAtMost: max(a.OverAdmitted, a.OverAdmittedAtMost)}
			if o := r.Oracle; o != nil {
				c.judged, c.fa, c.faAtMost = true, o.FalseAllows, max(o.FalseAllows, o.FalseAllowsAtMost)
			}
		}
		cells[r.Algorithm][r.ClockSkewUS] = c
	}
	return skews, algos, cells
}

// skewTitle names what the columns vary and what a cell says.
func skewTitle(f *File) string {
	first := f.Runs[0]
	groups := max(f.Config.ClockGroups, 2)
	block := max(f.Config.ClockBlock, 1)
	what := "requests admitted above the promise, over_admitted"
	if f.Config.Oracle != "" && f.Config.Oracle != "none" {
		what += ", then false allows by the " + f.Config.Oracle + " oracle"
	}
	return fmt.Sprintf("Over-admission against clock skew (%s, limit %s, %d clock groups, blocks of %d requests; %s)",
		f.Config.Shape(first.Workload), limit(first.Limit), groups, block, what)
}

// skewHeader is the column of one skew: "skew 0", "skew 10ms".
func skewHeader(us int64) string {
	if us == 0 {
		return "skew 0"
	}
	return "skew " + skewName(us)
}

// skewName is a skew as run keys and tables write it: 10ms, 1s, 500us.
func skewName(us int64) string { return strings.Replace(window(us), "µs", "us", 1) }

// writeSkewTable prints the over-admission per algorithm (rows) and skew
// (columns).
func writeSkewTable(w io.Writer, f *File) error {
	skews, algos, cells := skewRows(f)
	if _, err := fmt.Fprintln(w, skewTitle(f)+":"); err != nil {
		return err
	}
	header := []string{"algorithm"}
	align := []tw.Align{tw.AlignLeft}
	for _, us := range skews {
		header = append(header, skewHeader(us))
		align = append(align, tw.AlignRight)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	for _, a := range algos {
		if err := t.Append(skewRow(a, skews, cells)); err != nil {
			return err
		}
	}
	return t.Render()
}

func skewRow(algo string, skews []int64, cells map[string]map[int64]skewCell) []string {
	row := []string{algo}
	for _, us := range skews {
		if c, ok := cells[algo][us]; ok {
			row = append(row, c.text())
		} else {
			row = append(row, "-")
		}
	}
	return row
}

// writeSkewMarkdown is writeSkewTable as a Markdown table.
func writeSkewMarkdown(w io.Writer, f *File) error {
	skews, algos, cells := skewRows(f)
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n\n| algorithm |", skewTitle(f))
	for _, us := range skews {
		fmt.Fprintf(&b, " %s |", skewHeader(us))
	}
	b.WriteString("\n| --- |")
	for range skews {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, a := range algos {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(skewRow(a, skews, cells), " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// The sweep table is service time against the limit, one row per
// algorithm and one column per limit of "rlbench bench --sweep": the
// evidence for the seed's "O(1)" and "O(log n)" claims. Table and Markdown
// print it below the runs when the file holds a sweep.

// hasSweepTable reports whether f holds a sweep of limits.
func hasSweepTable(f *File) bool {
	return f.Config.Sweep != "" && !hasSkewTable(f) && len(f.Runs) > 0
}

// sweepRows gathers, for the first workload, each algorithm's mean and p99
// service time per limit (medians over repetitions): what a decision costs
// as its state grows, without the generator's lag.
func sweepRows(f *File) (requests []int64, algos []string, cells map[string]map[int64][2]float64) {
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
		if !slices.Contains(requests, r.Limit.Requests) {
			requests = append(requests, r.Limit.Requests)
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
		for n, a := range byLimit {
			cells[algo][n] = [2]float64{Median(a.means), Median(a.p99s)}
		}
	}
	return requests, algos, cells
}

// sweepTitle is "Service time against the limit (closed, 1 worker, window
// 10m; mean / p99 µs)": the first workload's runs, whose limits the
// columns give.
func sweepTitle(f *File) string {
	first := f.Runs[0]
	return fmt.Sprintf("Service time against the limit (%s, window %s; mean / p99 µs)",
		f.Config.Shape(first.Workload), window(first.Limit.WindowUS))
}

// writeSweepTable prints mean / p99 µs per algorithm (rows) and limit
// (columns).
func writeSweepTable(w io.Writer, f *File) error {
	requests, algos, cells := sweepRows(f)
	if _, err := fmt.Fprintln(w, sweepTitle(f)+":"); err != nil {
		return err
	}
	header := []string{"algorithm"}
	align := []tw.Align{tw.AlignLeft}
	for _, n := range requests {
		header = append(header, "limit "+strconv.FormatInt(n, 10))
		align = append(align, tw.AlignRight)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	for _, a := range algos {
		row := []string{a}
		for _, n := range requests {
			if c, ok := cells[a][n]; ok {
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
func writeSweepMarkdown(w io.Writer, f *File) error {
	requests, algos, cells := sweepRows(f)
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n\n| algorithm |", sweepTitle(f))
	for _, n := range requests {
		fmt.Fprintf(&b, " limit %d |", n)
	}
	b.WriteString("\n| --- |")
	for range requests {
		b.WriteString(" ---: |")
	}
	b.WriteString("\n")
	for _, a := range algos {
		fmt.Fprintf(&b, "| %s |", a)
		for _, n := range requests {
			if c, ok := cells[a][n]; ok {
				fmt.Fprintf(&b, " %.1f / %.1f |", c[0], c[1])
			} else {
				b.WriteString(" - |")
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/rlbench/rlbench/workload"
)

// writeTable prints one row per run: outcomes, decisions per second and
// service-time latency in microseconds from the merged histogram.
func writeTable(w io.Writer, results []workload.Result) error {
	right := tw.AlignRight
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{
			PerColumn: []tw.Align{tw.AlignLeft, right, right, right, right, right, right, right, right, right},
		}),
	)
	t.Header("algorithm", "requests", "accepted", "rejected", "errors", "decisions/s", "mean µs", "p50 µs", "p99 µs", "max µs")
	for _, r := range results {
		row := []string{
			r.Algorithm,
			strconv.FormatInt(r.Sent, 10),
			strconv.FormatInt(r.Accepted, 10),
			strconv.FormatInt(r.Rejected, 10),
			strconv.FormatInt(r.Errors, 10),
			fmt.Sprintf("%.0f", r.Throughput()),
		}
		if h := r.Latency; h != nil && h.TotalCount() > 0 {
			row = append(row, micros(h.Mean()), micros(float64(h.ValueAtQuantile(50))),
				micros(float64(h.ValueAtQuantile(99))), micros(float64(h.Max())))
		} else {
			row = append(row, "-", "-", "-", "-")
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// micros formats nanoseconds as microseconds with one decimal.
func micros(ns float64) string {
	return strconv.FormatFloat(ns/1e3, 'f', 1, 64)
}

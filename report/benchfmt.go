package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Benchfmt is the Go benchmark format, for benchstat (WriteBenchfmt).
var Benchfmt = Format{
	Name:        "benchfmt",
	Description: "Go benchmark format, one line per run, for benchstat",
	Render:      fileByFile("", WriteBenchfmt),
}

// WriteBenchfmt writes f in the Go benchmark format, so that benchstat
// (golang.org/x/perf/cmd/benchstat) can compare rlbench results with the
// statistics Go developers already trust:
//
//	goos: linux
//	goarch: amd64
//	pkg: rlbench
//	BenchmarkDecision/algo=fixed/workload=steady/limit=100per1s 10000 52345 ns/op 1900.5 decisions/s 120.0 p99-µs 0 over-admitted
//
// One line per run: the iterations are the requests sent, then the
// InBenchfmt metrics, each in its Bench unit. ns/op is the mean response
// time, so benchstat's "sec/op" is latency per decision.
// Repetitions of a run (bench --count) give repeated lines with one name,
// which is how benchstat expects samples. Runs that sent nothing have no
// figures and are left out.
//
// Only the host's OS and architecture go into the configuration lines:
// benchstat puts results whose configuration differs into separate
// tables, so the rlbench version or the target, which a comparison is
// often about, would keep BASE and NEW apart. The results file has no CPU
// model, so there is no "cpu:" line.
func WriteBenchfmt(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("write benchfmt: no results")
	}
	bw := bufio.NewWriter(w)
	if f.Host.OS != "" {
		fmt.Fprintf(bw, "goos: %s\n", f.Host.OS)
	}
	if f.Host.Arch != "" {
		fmt.Fprintf(bw, "goarch: %s\n", f.Host.Arch)
	}
	fmt.Fprintln(bw, "pkg: rlbench")
	// Unit metadata (a part of the format that benchstat reads) says
	// which way is better for the units Go does not know.
	// A figure only some runs have (the oracle's) is on the lines of those
	// runs, and its unit is declared only when one has it.
	var ms []Metric
	for _, m := range MetricsIn(InBenchfmt) {
		if m.absent == nil || hasFigure(m, f) {
			ms = append(ms, m)
		}
	}
	for _, m := range ms {
		if m.Bench.Better != "" {
			fmt.Fprintf(bw, "Unit %s better=%s\n", m.Bench.Unit, m.Bench.Better)
		}
	}
	for i := range f.Runs {
		r := &f.Runs[i]
		if r.Counts.Sent == 0 {
			continue
		}
		fmt.Fprintf(bw, "%s %d", benchmarkName(*r), r.Counts.Sent)
		for _, m := range ms {
			if m.absent == nil || !m.absent(r) {
				fmt.Fprintf(bw, " %s %s", benchValue(m, r), m.Bench.Unit)
			}
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

// benchValue writes m's figure of r in its benchfmt unit: counts as
// integers, measurements to six significant figures, as whole numbers
// from 100000 up: more than the measurement holds, never so few that a
// low rate such as 39.96/s is rounded away.
func benchValue(m Metric, r *Run) string {
	if m.count != nil && m.Bench.Scale == 1 {
		return integer(m.count(r))
	}
	v := m.Value(r) * m.Bench.Scale
	if math.Abs(v) >= 1e5 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// benchmarkName is "BenchmarkDecision/algo=fixed/workload=steady/limit=100per1s":
// key=value sub-names, which benchstat can group by (-row /algo), made of
// RunKey's parts with any space or slash in them replaced, since a space
// would end the name and a slash start another part. The limit part never
// ends in "-" and digits, which benchstat would read as GOMAXPROCS.
func benchmarkName(r Run) string {
	clean := func(s string) string {
		return strings.Map(func(c rune) rune {
			if unicode.IsSpace(c) || c == '/' {
				return '_'
			}
			return c
		}, s)
	}
	name := "BenchmarkDecision/algo=" + clean(r.Algorithm) + "/workload=" + clean(r.Workload) +
		"/limit=" + clean(limitName(r.Limit))
	if r.ClockSkewUS > 0 {
		name += "/skew=" + skewName(r.ClockSkewUS) // a run of --sweep clock-skew=...
	}
	return name
}

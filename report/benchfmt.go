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
// One line per run: the iterations are the requests sent and ns/op the
// mean response time, so benchstat's "sec/op" is latency per decision.
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
	fmt.Fprintln(bw, "Unit decisions/s better=higher")
	fmt.Fprintln(bw, "Unit p99-µs better=lower")
	fmt.Fprintln(bw, "Unit over-admitted better=lower")
	for _, r := range f.Runs {
		if r.Counts.Sent == 0 {
			continue
		}
		fmt.Fprintf(bw, "%s %d %s ns/op %s decisions/s %s p99-µs %d over-admitted\n",
			benchmarkName(r), r.Counts.Sent, benchValue(r.Latency.ResponseUS.Mean*1e3),
			benchValue(r.Rates.AchievedPerS), benchValue(r.Latency.ResponseUS.P99), r.Accuracy.OverAdmitted)
	}
	return bw.Flush()
}

// benchValue writes a measurement to six significant figures, as whole
// numbers from 100000 up: more than the measurement holds, never so few
// that a low rate such as 39.96/s is rounded away.
func benchValue(v float64) string {
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
	return "BenchmarkDecision/algo=" + clean(r.Algorithm) + "/workload=" + clean(r.Workload) +
		"/limit=" + clean(limitName(r.Limit))
}

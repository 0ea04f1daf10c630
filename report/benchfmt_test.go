package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

// TestWriteBenchfmtParses reads WriteBenchfmt's output back with
// benchstat's own parser, golang.org/x/perf/benchfmt.
func TestWriteBenchfmtParses(t *testing.T) {
	f := fixture()
	repeat := f.Runs[0]
	repeat.Repeat = 1
	repeat.Latency.ResponseUS.Mean = 220.6
	f.Runs = append(f.Runs, repeat, Run{Algorithm: "gcra", Workload: "window-edge"}) // gcra sent nothing

	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, f); err != nil {
		t.Fatal(err)
	}
	type value struct {
		unit string
		v    float64
	}
	type result struct {
		name   string
		iters  int
		values []value
		config map[string]string
	}
	var got []result
	r := benchfmt.NewReader(&buf, "rlbench.txt")
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			res := result{name: rec.Name.String(), iters: rec.Iters, config: map[string]string{}}
			for _, v := range rec.Values {
				// Reader tidies ns/op into sec/op; the original is
				// what was written.
				unit, x := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, x = v.OrigUnit, v.OrigValue
				}
				res.values = append(res.values, value{unit, x})
			}
			for _, c := range rec.Config {
				res.config[c.Key] = string(c.Value)
			}
			got = append(got, res)
		case *benchfmt.SyntaxError:
			t.Errorf("syntax error: %v", rec)
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}

	name := "Decision/algo=fixed/workload=window-edge/limit=20per1s"
	want := []result{
		{name, 400, []value{{"ns/op", 212400}, {"decisions/s", 39.96}, {"p99-µs", 1250.75}, {"over-admitted", 20}}, nil},
		{"Decision/algo=token/workload=window-edge/limit=20per1s-burst30", 400,
			[]value{{"ns/op", 15321900}, {"decisions/s", 38.5}, {"p99-µs", 153400}, {"over-admitted", 0}}, nil},
		{name, 400, []value{{"ns/op", 220600}, {"decisions/s", 39.96}, {"p99-µs", 1250.75}, {"over-admitted", 20}}, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.name != w.name || g.iters != w.iters {
			t.Errorf("result %d: %s %d, want %s %d", i, g.name, g.iters, w.name, w.iters)
		}
		if len(g.values) != len(w.values) {
			t.Errorf("result %d: values %v, want %v", i, g.values, w.values)
			continue
		}
		for j := range w.values {
			if g.values[j] != w.values[j] {
				t.Errorf("result %d: value %v, want %v", i, g.values[j], w.values[j])
			}
		}
		for k, v := range map[string]string{"goos": "linux", "goarch": "amd64", "pkg": "rlbench"} {
			if g.config[k] != v {
				t.Errorf("result %d: config %s = %q, want %q", i, k, g.config[k], v)
			}
		}
	}

	// benchstat's sub-name keys, for -row /algo and the like.
	var res benchfmt.Result
	res.Name = benchfmt.Name(name)
	base, parts := res.Name.Parts()
	if string(base) != "Decision" || len(parts) != 3 || string(parts[0]) != "/algo=fixed" || string(parts[2]) != "/limit=20per1s" {
		t.Errorf("name parts %q %q", base, parts)
	}
	if u := r.Units(); len(u) == 0 {
		t.Error("no unit metadata")
	}
}

func TestWriteBenchfmtNames(t *testing.T) {
	run := Run{Algorithm: "my algo", Workload: "a/b", Limit: Limit{Requests: 5, WindowUS: 500}}
	if got, want := benchmarkName(run), "BenchmarkDecision/algo=my_algo/workload=a_b/limit=5per500µs"; got != want {
		t.Errorf("benchmarkName = %q, want %q", got, want)
	}
	run.ClockSkewUS = 1500
	if got, want := benchmarkName(run), "BenchmarkDecision/algo=my_algo/workload=a_b/limit=5per500µs/skew=1500us"; got != want {
		t.Errorf("benchmarkName of a skewed run = %q, want %q", got, want)
	}
}

// TestRunKeySkew: runs of a clock-skew sweep have keys of their own, so
// that compare and merge never mix two skews.
func TestRunKeySkew(t *testing.T) {
	r := Run{Algorithm: "token", Workload: "steady", Limit: Limit{Requests: 100, WindowUS: 1e6}}
	for us, want := range map[int64]string{0: "token/steady/100per1s", 10e3: "token/steady/100per1s-skew10ms", 1500: "token/steady/100per1s-skew1500us"} {
		r.ClockSkewUS = us
		if got := RunKey(r); got != want {
			t.Errorf("RunKey at skew %dus = %q, want %q", us, got, want)
		}
	}
}

func TestWriteBenchfmtErrors(t *testing.T) {
	if err := WriteBenchfmt(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteBenchfmt(nil) succeeded")
	}
	if err := WriteBenchfmt(failingWriter{}, fixture()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteBenchfmt to a failing writer: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

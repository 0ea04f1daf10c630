package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

func TestNewCmdBench(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o *BenchOptions)
	}{
		{"defaults", nil, func(t *testing.T, o *BenchOptions) {
			if got := strings.Join(o.Load.Algorithms, ","); got != strings.Join(append(algorithms.Names(), "baseline"), ",") {
				t.Errorf("algorithms %s, want all and baseline", got)
			}
			if got := strings.Join(o.Workloads, ","); got != "steady,bursty,window-edge" {
				t.Errorf("workloads %s", got)
			}
			if o.Load.Requests != 10000 || o.Count != 1 || o.Load.Limit.Window != time.Second || o.Load.Rate != 2000 || o.Load.Duration != 5*time.Second {
				t.Errorf("requests %d count %d window %v rate %v duration %v; want 10000, 1, 1s, 2000, 5s",
					o.Load.Requests, o.Count, o.Load.Limit.Window, o.Load.Rate, o.Load.Duration)
			}
		}},
		{"duration alone", []string{"--duration", "30s"}, func(t *testing.T, o *BenchOptions) {
			if o.Load.Requests != 0 || o.Load.Duration != 30*time.Second {
				t.Errorf("requests %d duration %v; want no request cap and 30s", o.Load.Requests, o.Load.Duration)
			}
		}},
		{"requests alone", []string{"--requests", "50000"}, func(t *testing.T, o *BenchOptions) {
			if o.Load.Requests != 50000 || o.Load.Duration != 0 {
				t.Errorf("requests %d duration %v; want 50000 and no time cap", o.Load.Requests, o.Load.Duration)
			}
		}},
		{"include seed", []string{"--algo", "fixed", "--include-seed"}, func(t *testing.T, o *BenchOptions) {
			if got := strings.Join(o.Load.Algorithms, ","); got != "fixed,seed-fixed,seed-sliding,seed-leaky" {
				t.Errorf("algorithms %s", got)
			}
		}},
		{"sweep and count", []string{"--sweep", "limit=10,100,1000", "--count", "6", "-o", "out"}, func(t *testing.T, o *BenchOptions) {
			if len(o.SweepLimits) != 3 || o.SweepLimits[2] != 1000 || o.Count != 6 || o.OutputDir != "out" {
				t.Errorf("sweep %v count %d output %q", o.SweepLimits, o.Count, o.OutputDir)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _ := newTestIO(nil)
			var got *BenchOptions
			cmd := NewCmdBench(io, &GlobalOptions{Format: "table"}, func(o *BenchOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestMainBenchBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--count", "0"}, "invalid --count 0: must be at least 1"},
		{[]string{"bench", "--sweep", "burst=1,2"}, `invalid --sweep "burst=1,2": want limit=N,N,...`},
		{[]string{"bench", "--sweep", "limit=10,x"}, `invalid --sweep "limit=10,x": "x" is not a limit of at least 1`},
		{[]string{"bench", "--sweep", "limit=10,100,10"}, `invalid --sweep "limit=10,100,10": limit 10 is given twice; want each limit once`},
		{[]string{"bench", "--workload", "steady,spiky"}, `invalid --workload "steady,spiky": "spiky" is not a workload; want one of closed, steady`},
		{[]string{"bench", "--algo", "nope"}, `invalid --algo "nope": unknown algorithm "nope"`},
		{[]string{"bench", "--threshold", "p99<+10%"}, "invalid --threshold response_p99_us<+10%: a change relative to BASE needs a BASE; " +
			"bench takes absolute bounds such as over_admitted==0 or response_p99_us<=500 (compare a saved run with rlbench compare)"},
		{[]string{"bench", "--threshold", "p98<=5"}, `bad threshold "p98<=5": unknown metric "p98"`},
		{[]string{"bench", "--junit", "/nonexistent/junit.xml"}, "cannot write --junit /nonexistent/junit.xml: no such directory /nonexistent"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io, out, errOut := newTestIO(nil, tt.args...)
			if code := Main(io); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if msg := errOut.String(); !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", msg, tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestMainBenchEmbedded runs a small matrix on the embedded Redis and
// checks the printed tables and the files of -o.
func TestMainBenchEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	io, out, errOut := newTestIO(nil, "bench", "--algo", "fixed,sliding", "--workload", "steady,window-edge",
		"--requests", "200", "--duration", "1200ms", "--rate", "400", "--limit", "20", "--window", "1s", "-o", dir,
		"--timeout", "30s") // a loaded machine may take more than the 1s default
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"Rate Limiter Performance (Benchmark @ 200 requests, steady at 400/s, miniredis",
		" · workloads steady at 400/s; window-edge, bursts of 20 5ms before and after each 1s boundary · limit 20/1s · 1 key · ",
		"✔ Fixed Window   →", "(seed claimed 120μs)", "✔ Sliding Window →", "(seed claimed 150μs)",
		"│ sliding   │ window-edge │",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	f, err := report.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 4 || strings.Join(f.Config.Workloads, ",") != "steady,window-edge" {
		t.Errorf("%d runs, workloads %v; want 4 over steady and window-edge", len(f.Runs), f.Config.Workloads)
	}
	// What bench printed and wrote is what "rlbench report" renders from
	// the results file it wrote: one registry of formats for both.
	results := filepath.Join(dir, "results.json")
	for _, c := range []struct{ format, want, name string }{
		{"table", out.String(), "stdout"},
		{"markdown", "", "report.md"},
		{"html", "", "report.html"},
	} {
		want := c.want
		if c.name != "stdout" {
			b, err := os.ReadFile(filepath.Join(dir, c.name))
			if err != nil {
				t.Fatal(err)
			}
			want = string(b)
		}
		io, rendered, errOut := newTestIO(nil, "--format", c.format, "report", results)
		if code := Main(io); code != 0 {
			t.Fatalf("report --format %s: exit %d, stderr %q", c.format, code, errOut)
		}
		if rendered.String() != want {
			t.Errorf("rlbench report --format %s results.json differs from bench's %s:\n%s\nwant:\n%s", c.format, c.name, rendered, want)
		}
	}
	if md, err := os.ReadFile(filepath.Join(dir, "report.md")); err != nil || !strings.HasPrefix(string(md), "```\nRate Limiter Performance (") {
		t.Errorf("report.md does not open with the seed-style table: %v\n%s", err, md)
	}
}

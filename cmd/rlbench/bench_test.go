package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\nwant:\n%s", name, got, want)
	}
}

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

// benchFixture is a hand-made bench results file: two algorithms, two
// limits, two repetitions, one of them over its bound.
func benchFixture() *report.File {
	f := &report.File{
		Target: report.Target{Kind: "redis", Address: "127.0.0.1:6379", ServerVersion: "7.0.15"},
		Config: report.Config{Requests: 10000, Workload: "steady", Workloads: []string{"steady"}, Sweep: "limit=10,100",
			Rate: 2000, Concurrency: 10},
	}
	add := func(algo string, limit int64, repeat int, mean, p99 float64, over int64) {
		f.Runs = append(f.Runs, report.Run{
			Algorithm: algo, Workload: "steady", Repeat: repeat,
			Limit:    report.Limit{Requests: limit, WindowUS: 1_000_000},
			Counts:   report.Counts{Sent: 10000},
			Latency:  report.Latency{ServiceUS: report.Percentiles{Mean: mean, P99: p99}, ResponseUS: report.Percentiles{Mean: mean + 1, P99: p99 + 1}},
			Accuracy: report.Accuracy{OverAdmitted: over},
		})
	}
	add("fixed", 10, 0, 61.2, 150, 0)
	add("seed-sliding", 10, 0, 180.4, 400, 12)
	add("fixed", 100, 0, 62.8, 155, 0)
	add("seed-sliding", 100, 0, 185.0, 420, 0)
	add("fixed", 10, 1, 59.0, 149, 0)
	add("seed-sliding", 10, 1, 170.0, 390, 30)
	add("fixed", 100, 1, 64.0, 160, 0)
	add("seed-sliding", 100, 1, 190.0, 430, 0)
	return f
}

func TestSeedTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeSeedTable(&b, benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "seed_table.golden", b.Bytes())
}

func TestSweepTablesGolden(t *testing.T) {
	var table, md bytes.Buffer
	if err := writeSweepTable(&table, benchFixture()); err != nil {
		t.Fatal(err)
	}
	if err := writeSweepMarkdown(&md, benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep_table.golden", table.Bytes())
	golden(t, "sweep_markdown.golden", md.Bytes())
}

// TestSweepRunsGolden: the full table of a sweep says which limit and
// which repetition each row ran, and its header line gives every limit.
func TestSweepRunsGolden(t *testing.T) {
	var b bytes.Buffer
	if err := report.Render(&b, "table", benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep_runs.golden", b.Bytes())
}

// TestMainBenchEmbedded runs a small matrix on the embedded Redis and
// checks the printed tables and the files of -o.
func TestMainBenchEmbedded(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	io, out, errOut := newTestIO(nil, "bench", "--algo", "fixed,sliding", "--workload", "steady,window-edge",
		"--requests", "200", "--duration", "1200ms", "--rate", "400", "--limit", "20", "--window", "1s", "-o", dir)
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
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil || !strings.Contains(string(md), "✔ Fixed Window") {
		t.Errorf("report.md: %v\n%s", err, md)
	}
}

package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload/trace"
)

// TestMainTraceGen writes the same bytes for the same seed, gzips a .gz
// file, and refuses bad parameters with one line and exit 2.
func TestMainTraceGen(t *testing.T) {
	dir := t.TempDir()
	gen := func(name string, extra ...string) []byte {
		t.Helper()
		path := filepath.Join(dir, name)
		args := append([]string{"trace", "gen", "-o", path, "--sources", "30", "--rate", "50", "--duration", "20s", "--seed", "5"}, extra...)
		io, _, errOut := newTestIO(nil, args...)
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.HasPrefix(errOut.String(), "wrote ") {
			t.Errorf("stderr %q", errOut)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	a, b := gen("a.csv"), gen("b.csv")
	if !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("offset_us,key\n")) {
		t.Errorf("two traces of one seed differ, or lack the header: %q...", a[:min(len(a), 40)])
	}
	z := gen("c.csv.gz")
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("c.csv.gz is not gzip: %v", err)
	}
	var plain bytes.Buffer
	plain.ReadFrom(zr)
	if !bytes.Equal(plain.Bytes(), a) {
		t.Error("the gzipped trace holds other requests")
	}
	if bytes.Equal(gen("d.csv", "--abusive", "0.5"), a) {
		t.Error("another --abusive share gave the same trace")
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"trace", "gen"}, "trace gen needs -o FILE"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--sources", "0"}, "invalid --sources 0: want 1 to 100000000"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--sources", "99999999999999999999"}, "--sources"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--rate", "1e400"}, "--rate"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--pareto-alpha", "1"}, "invalid --pareto-alpha 1: want a tail exponent above 1"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--duration", "0"}, "invalid --duration 0s"},
		{[]string{"trace", "gen", "-o", filepath.Join(dir, "x.csv"), "--seed", "0"}, "invalid --seed 0"},
		{[]string{"trace", "gen", "-o", dir}, "cannot write -o " + dir + " is a directory"},
	} {
		io, _, errOut := newTestIO(nil, tt.args...)
		if code := Main(io); code != 2 || !strings.Contains(errOut.String(), tt.want) || strings.Count(errOut.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tt.args, code, errOut, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.csv")); err == nil {
		t.Error("a refused gen left a file")
	}
}

// TestMainSimulateTrace replays a trace in virtual time: every line is a
// decision, costs count, and the results file names the trace.
func TestMainSimulateTrace(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "t.csv")
	os.WriteFile(tr, []byte("offset_ms,key,cost\n0,alice,1\n0,alice,4\n10,bob,1\n500,alice,1\n1500,alice,5\n"), 0o644)
	path := filepath.Join(dir, "sim.json")
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "fixed", "--limit", "5", "--window", "1s",
		"--workload", "trace", "--trace", tr, "--trace-speed", "2", "--start-at", "2026-01-01T00:00:00Z", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := tableRows(t, out.String())
	// alice asks 1+4 at 0 (admitted), 1 at 250ms (over 5: rejected), 5 at
	// 750ms (rejected), all in one aligned second; bob 1 (admitted).
	if sent, acc := cell(t, rows["fixed"], 2), cell(t, rows["fixed"], 3); sent != 5 || acc != 3 {
		t.Errorf("sent %d, accepted %d; want 5 and 3\n%s", sent, acc, out)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Config.Trace
	if c == nil || c.Path != tr || len(c.SHA256) != 64 || c.Lines != 5 || c.Keys != 2 || c.Speed != 2 {
		t.Fatalf("config.trace %+v", c)
	}
	if f.Config.Keys != 2 || f.Config.Requests != 0 || f.Config.DurationUS != 0 {
		t.Errorf("config keys %d, requests %d, duration %d: want 2 keys and the whole trace", f.Config.Keys, f.Config.Requests, f.Config.DurationUS)
	}
	if got := f.Runs[0].Schedule; !strings.Contains(got, "t.csv (5 requests) at 2x") {
		t.Errorf("schedule %q", got)
	}
}

// TestMainTraceBad refuses a bad trace before anything runs: one line
// naming the file and line, exit 2.
func TestMainTraceBad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("offset_us,key\n0,a\n5,b\n3,c\n"), 0o644)
	good := filepath.Join(dir, "good.csv")
	os.WriteFile(good, []byte("offset_us,key\n0,a\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--workload", "trace", "--trace", bad}, bad + ":4: offset 3µs is before the previous line's 5µs; want offsets that never decrease"},
		{[]string{"simulate", "--workload", "trace", "--trace", bad}, bad + ":4: offset"},
		{[]string{"bench", "--workload", "steady,trace", "--trace", bad}, bad + ":4: offset"},
		{[]string{"run", "--workload", "trace"}, "--workload trace needs --trace FILE"},
		{[]string{"run", "--workload", "trace", "--trace", filepath.Join(dir, "none.csv")}, "no such file"},
		{[]string{"run", "--workload", "trace", "--trace", good, "--trace-speed", "0"}, "invalid --trace-speed 0: speed 0 is out of range; want 0.001 to 1e+06"},
		{[]string{"run", "--workload", "trace", "--trace", good, "--keys", "10"}, "--keys does not apply to --workload trace"},
		{[]string{"run", "--workload", "steady", "--trace", good}, "--trace applies to --workload trace, not steady"},
		{[]string{"run", "--workload", "steady", "--sources", "10"}, "--sources applies to --workload synthetic, not steady"},
		{[]string{"simulate", "--workload", "synthetic", "--sources", "0"}, "invalid --sources 0"},
		{[]string{"simulate", "--workload", "synthetic", "--abusive", "2"}, "invalid --abusive 2"},
	} {
		io, out, errOut := newTestIO(nil, tt.args...)
		if code := Main(io); code != 2 || !strings.Contains(errOut.String(), tt.want) || strings.Count(errOut.String(), "\n") != 1 || out.Len() > 0 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestMainRunTrace replays a trace against the embedded Redis in real
// time: every request is sent, each key its own.
func TestMainRunTrace(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "t.jsonl")
	var b strings.Builder
	for i := range 20 {
		b.WriteString(`{"offset_us":` + []string{"0", "1000", "2000", "3000"}[i%4] + `,"key":"u` + string(rune('a'+i%3)) + `"}` + "\n")
	}
	// Offsets must not decrease: sort them by writing in order.
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var sorted []string
	for _, off := range []string{"0", "1000", "2000", "3000"} {
		for _, l := range lines {
			if strings.Contains(l, `"offset_us":`+off+`,`) {
				sorted = append(sorted, l)
			}
		}
	}
	os.WriteFile(tr, []byte(strings.Join(sorted, "\n")+"\n"), 0o644)
	path := filepath.Join(dir, "run.json")
	io, out, errOut := newTestIO(nil, "run", "--algo", "sliding", "--limit", "4", "--window", "1m",
		"--workload", "trace", "--trace", tr, "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := tableRows(t, out.String())
	// Three keys, 7, 7 and 6 requests, 4 admitted each.
	if sent, acc := cell(t, rows["sliding"], 2), cell(t, rows["sliding"], 3); sent != 20 || acc != 12 {
		t.Errorf("sent %d, accepted %d; want 20 and 12\n%s", sent, acc, out)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Config.Trace == nil || f.Config.Trace.Lines != 20 || f.Runs[0].Accuracy.Keys != 3 {
		t.Errorf("config.trace %+v, keys %d", f.Config.Trace, f.Runs[0].Accuracy.Keys)
	}
}

// TestMainSimulateSynthetic feeds the generator to a simulation with no
// file and records its parameters.
func TestMainSimulateSynthetic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "sliding", "--workload", "synthetic", "--sources", "500",
		"--rate", "200", "--abusive", "0.02", "--abusive-rate", "20", "--requests", "3000", "--limit", "10", "--window", "1s",
		"--seed", "9", "--start-at", "2026-01-01T00:00:00Z", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows := tableRows(t, out.String())
	if sent := cell(t, rows["sliding"], 2); sent != 3000 {
		t.Errorf("sent %d, want 3000", sent)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Config.Synthetic
	if s == nil || s.Seed != 9 || s.Sources != 500 || s.Rate != 200 || s.Abusive != 0.02 || s.AbusiveRate != 20 || f.Config.Keys != 500 {
		t.Errorf("config.synthetic %+v, keys %d", s, f.Config.Keys)
	}
}

// syntheticDefaults is the generator's parameters as run's flags leave
// them before checking: its defaults, with --rate, --duration and --seed
// left to run's own flags.
func syntheticDefaults() trace.Params {
	p := trace.DefaultParams()
	p.Seed, p.Rate, p.Duration = 0, 0, 0
	return p
}

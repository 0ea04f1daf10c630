package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// knownSkewCase is the known case of clock skew: a bucket of capacity 4
// refilling 1/s, whose first caller's clock is 10 s slow. Each caller
// sends 4 requests in turn (--clock-block 4) within one second.
var knownSkewCase = []string{"--limit", "1", "--window", "1s", "--burst", "4", "--workload", "steady", "--rate", "10",
	"--requests", "8", "--clock-skew", "10s", "--clock-block", "4", "--seed", "1"}

// knownSkewAdmitted is what each algorithm admits in the known case: the
// buckets refill in full over the 10 s between the callers' clocks, so
// they admit their capacity twice (8, promising 5 in one second); the
// windows admit one per caller, since each caller's window is its own.
var knownSkewAdmitted = map[string]int64{"fixed": 2, "sliding": 2, "sliding-counter": 2, "token": 8, "leaky": 8, "gcra": 8}

// runFile runs rlbench with args and -o, and reads the results file.
func runFile(t *testing.T, env map[string]string, args ...string) *report.File {
	t.Helper()
	dir := t.TempDir()
	path, o := filepath.Join(dir, "results.json"), dir // bench -o writes into a folder
	if args[0] != "bench" {
		o = path
	}
	io, out, errOut := newTestIO(env, append(slices.Clone(args), "-o", o)...)
	if code := Main(io); code != 0 {
		t.Fatalf("%s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out)
	return f
}

// TestMainSimulateKnownSkewCase: simulated, the bucket with one caller's
// clock 10 s slow admits 8 in one second, the windows 2, each counted at
// true time.
func TestMainSimulateKnownSkewCase(t *testing.T) {
	f := runFile(t, nil, append([]string{"simulate", "--algo", "all", "--start-at", "2026-12-02T16:00:00Z"}, knownSkewCase...)...)
	if len(f.Runs) != len(knownSkewAdmitted) {
		t.Fatalf("%d runs, want %d", len(f.Runs), len(knownSkewAdmitted))
	}
	for _, r := range f.Runs {
		want := knownSkewAdmitted[r.Algorithm]
		if r.Counts.Accepted != want || r.Accuracy.MaxAdmittedInWindow != want {
			t.Errorf("%s: accepted %d, %d in one window; want %d", r.Algorithm, r.Counts.Accepted, r.Accuracy.MaxAdmittedInWindow, want)
		}
		if r.ClockSkewUS != 10e6 || !strings.HasSuffix(report.RunKey(r), "-skew10s") {
			t.Errorf("%s: clock_skew_us %d, key %q; want 10000000 and a key ending in -skew10s", r.Algorithm, r.ClockSkewUS, report.RunKey(r))
		}
	}
	if c := f.Config; c.ClockSkewUS != 10e6 || c.ClockGroups != 2 || c.ClockBlock != 4 {
		t.Errorf("config clock_skew_us %d, clock_groups %d, clock_block %d; want 10000000, 2, 4", c.ClockSkewUS, c.ClockGroups, c.ClockBlock)
	}
	for _, r := range f.Runs {
		if r.Algorithm == "token" && (r.Accuracy.Bound != 5 || r.Accuracy.OverAdmitted != 3) {
			t.Errorf("token: bound %d, over-admitted %d; want 5 and 3", r.Accuracy.Bound, r.Accuracy.OverAdmitted)
		}
	}
}

// TestMainSimulateWithoutSkew is the same traffic on one clock: every
// algorithm keeps its promise, so what the known case admits above it is
// the skew's doing.
func TestMainSimulateWithoutSkew(t *testing.T) {
	args := []string{"simulate", "--algo", "all", "--start-at", "2026-12-02T16:00:00Z", "--limit", "1", "--window", "1s", "--burst", "4",
		"--rate", "10", "--requests", "8", "--seed", "1"}
	for _, r := range runFile(t, nil, args...).Runs {
		if r.Accuracy.OverAdmitted != 0 || r.Counts.Accepted >= knownSkewAdmitted[r.Algorithm] {
			t.Errorf("%s: accepted %d, over-admitted %d; want fewer than %d and none over", r.Algorithm, r.Counts.Accepted, r.Accuracy.OverAdmitted, knownSkewAdmitted[r.Algorithm])
		}
	}
}

// TestMainKnownSkewCaseRedis is the known case on a real redis-server with
// the client clock, each algorithm's run anchored on a whole second (as
// the simulation's is), so that no caller's requests straddle a window.
func TestMainKnownSkewCaseRedis(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"REDIS_URL": srv.URL}
	for _, name := range algorithms.Names() {
		start := time.Now().Truncate(time.Second).Add(2 * time.Second).UTC().Format(time.RFC3339)
		args := append([]string{"run", "--algo", name, "--client-clock", "--start-at", start}, knownSkewCase...)
		if !slices.Contains(algorithms.BurstNames(), name) {
			i := slices.Index(args, "--burst")
			args = slices.Delete(args, i, i+2)
		}
		f := runFile(t, env, args...)
		r := f.Runs[0]
		if r.Counts.Accepted != knownSkewAdmitted[name] || r.Counts.Errors != 0 {
			t.Errorf("%s: accepted %d, errors %d; want %d admitted", name, r.Counts.Accepted, r.Counts.Errors, knownSkewAdmitted[name])
		}
		// Keys are padded by the 10 s skew, and measured against that.
		if c := r.RedisCost; c == nil || c.KeysPastTTL != 0 || c.KeysWithoutTTL != 0 || c.LongestTTLUS < 10e6 {
			t.Errorf("%s: redis cost %+v, want every key's TTL within a longest TTL padded by 10s", name, c)
		}
	}
}

// TestServerClockIgnoresSkew: under the server clock (Redis TIME) the same
// sweep that makes the buckets admit twice their capacity under the client
// clock changes nothing: every algorithm keeps its promise at every skew.
func TestServerClockIgnoresSkew(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"REDIS_URL": srv.URL}
	sweep := []string{"bench", "--algo", "all", "--workload", "steady", "--limit", "1", "--window", "1s", "--burst", "4",
		"--rate", "20", "--requests", "8", "--clock-block", "4", "--sweep", "clock-skew=0,10s"}
	for _, clock := range []string{"server", "client"} {
		args := sweep
		if clock == "client" {
			args = append(slices.Clone(sweep), "--client-clock")
		}
		f := runFile(t, env, args...)
		if len(f.Runs) != 2*len(algorithms.Names()) {
			t.Fatalf("%s clock: %d runs, want %d", clock, len(f.Runs), 2*len(algorithms.Names()))
		}
		for _, r := range f.Runs {
			bucket := r.Algorithm == "token" || r.Algorithm == "leaky" || r.Algorithm == "gcra"
			switch {
			case clock == "server" && r.Accuracy.OverAdmitted != 0:
				t.Errorf("server clock, %s at skew %dus: over-admitted %d, want 0", r.Algorithm, r.ClockSkewUS, r.Accuracy.OverAdmitted)
			case clock == "server" && bucket && r.Counts.Accepted != 4:
				t.Errorf("server clock, %s at skew %dus: accepted %d, want its capacity, 4", r.Algorithm, r.ClockSkewUS, r.Counts.Accepted)
			case clock == "client" && bucket && r.ClockSkewUS > 0 && r.Counts.Accepted != 8:
				t.Errorf("client clock, %s at skew %dus: accepted %d, want 8", r.Algorithm, r.ClockSkewUS, r.Counts.Accepted)
			}
		}
	}
}

// TestMainSkewSweepTable: a simulated sweep prints the skew table, one
// column per skew, and each run carries its skew. Under steady saturating
// traffic the late callers' requests fall into windows the true clock has
// left, so the fixed window admits up to its limit again per aligned
// window; a bucket never refills for a clock that steps back, and the
// sliding log counts admissions ahead of a late clock, so both hold.
func TestMainSkewSweepTable(t *testing.T) {
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "fixed,sliding,token", "--limit", "100", "--window", "1s", "--rate", "200",
		"--duration", "10s", "--start-at", "2026-12-02T16:00:00Z", "--sweep", "clock-skew=0,1ms,1s", "--clock-groups", "4", "--format", "markdown")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	table := out.String()
	_, skewTable, ok := strings.Cut(table, "Over-admission against clock skew (steady at 200/s, limit 100/1s, 4 clock groups, blocks of 1 requests;")
	if !ok {
		t.Fatalf("no skew table:\n%s", table)
	}
	for _, row := range []string{
		"| algorithm | skew 0 | skew 1ms | skew 1s |",
		"| fixed | +0 | +1 | +99 |",
		"| sliding | +0 | +0 | +0 |",
		"| token | +0 | +0 | +0 |",
	} {
		if !strings.Contains(skewTable, row+"\n") {
			t.Errorf("skew table has no row %q:\n%s", row, skewTable)
		}
	}
}

// TestMainSkewSweepOracle: with --oracle each cell also holds the run's
// false allows, and the sliding log judged by the sliding policy has none
// at any skew (its decisions are counted at true time).
func TestMainSkewSweepOracle(t *testing.T) {
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "fixed,sliding,token", "--limit", "100", "--window", "1s", "--rate", "200",
		"--duration", "10s", "--start-at", "2026-12-02T16:00:00Z", "--sweep", "clock-skew=0,1ms,1s", "--clock-groups", "4",
		"--format", "markdown", "--oracle")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	_, skewTable, ok := strings.Cut(out.String(), "over_admitted, then false allows by the sliding oracle):")
	if !ok {
		t.Fatalf("no skew table with the oracle:\n%s", out)
	}
	for _, row := range []string{
		"| fixed | +0 / 0 | +1 / 1 | +99 / 193 |",
		"| sliding | +0 / 0 | +0 / 0 | +0 / 0 |",
		"| token | +0 / 198 | +0 / 198 | +0 / 199 |",
	} {
		if !strings.Contains(skewTable, row+"\n") {
			t.Errorf("skew table has no row %q:\n%s", row, skewTable)
		}
	}
}

func TestMainSkewBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--clock-skew", "-1s"}, "invalid --clock-skew -1s: want 0 to 24h"},
		{[]string{"simulate", "--clock-skew", "25h"}, "invalid --clock-skew 25h0m0s: want 0 to 24h"},
		{[]string{"simulate", "--clock-skew", "99999999999h"}, `invalid --clock-skew "99999999999h": out of range, want at most 24h`},
		{[]string{"simulate", "--clock-skew", "1s", "--clock-groups", "1"}, "invalid --clock-groups 1: want 2 to 1000"},
		{[]string{"simulate", "--clock-skew", "1s", "--clock-groups", "99999999999999999999"}, "invalid --clock-groups"},
		{[]string{"simulate", "--clock-skew", "1s", "--clock-block", "0"}, "invalid --clock-block 0: want 1 to 1e12"},
		{[]string{"simulate", "--clock-groups", "3"}, "--clock-groups and --clock-block apply with --clock-skew"},
		{[]string{"simulate", "--sweep", "clock-skew=0,1x"}, `invalid --sweep "clock-skew=0,1x": "1x" is not a clock skew`},
		{[]string{"simulate", "--sweep", "clock-skew=0,25h"}, `"25h" is out of range, want clock skews up to 24h`},
		{[]string{"simulate", "--sweep", "clock-skew=0,99999999999h"}, `"99999999999h" is out of range`},
		{[]string{"simulate", "--sweep", "clock-skew=1s,1000ms"}, "clock skew 1s is given twice"},
		{[]string{"simulate", "--sweep", "clock-skew=1s", "--clock-skew", "1s"}, "--clock-skew does not apply with --sweep clock-skew="},
		{[]string{"bench", "--sweep", "clock-skew=1s", "--clock-skew", "1s"}, "--clock-skew does not apply with --sweep clock-skew="},
		{[]string{"simulate", "--sweep", "limit=1,2", "--limit", "3"}, "--limit does not apply with --sweep limit=1,2"},
		{[]string{"simulate", "--start-at", "1970-01-01T00:00:01Z", "--clock-skew", "2s"}, "the slowest clock would read before 1970"},
		{[]string{"run", "--target", "http://127.0.0.1:1", "--clock-skew", "1s"}, "--clock-skew does not apply with --target"},
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

// FuzzSweepFlag: --sweep either refuses a value or holds distinct limits
// in 1..1e15, or distinct skews in 0..24h, never both.
func FuzzSweepFlag(f *testing.F) {
	for _, s := range []string{"limit=10,100", "clock-skew=0,1ms,10ms,100ms,1s", "clock-skew=-1s", "clock-skew=99999999999h", "clock-skew=1s,1000ms", "limit=", "clock-skew=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var sf sweepFlag
		if err := sf.Set(s); err != nil {
			return
		}
		if (len(sf.limits) == 0) == (len(sf.skews) == 0) {
			t.Fatalf("%q: limits %v, skews %v; want one of them", s, sf.limits, sf.skews)
		}
		for i, n := range sf.limits {
			if n < 1 || n > maxLimit || slices.Contains(sf.limits[:i], n) {
				t.Fatalf("%q: limit %d out of range or repeated", s, n)
			}
		}
		for i, d := range sf.skews {
			if d < 0 || d > maxClockSkew || slices.Contains(sf.skews[:i], d) {
				t.Fatalf("%q: skew %v out of range or repeated", s, d)
			}
		}
	})
}

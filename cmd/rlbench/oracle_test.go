package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/report"
)

func TestMainOracleBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--oracle=exact"}, `invalid --oracle "exact": want sliding, fixed, token, gcra or none`},
		{[]string{"simulate", "--oracle=leaky"}, `invalid --oracle "leaky": want sliding`},
		{[]string{"simulate", "--oracle", "fixed"}, `unexpected argument "fixed": name the oracle's policy with an equals sign, --oracle=fixed`},
		{[]string{"run", "--oracle", "token"}, `--oracle=token`},
		{[]string{"bench", "--oracle=1e99"}, `invalid --oracle "1e99": want sliding`},
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

// TestMainSimulateOracle judges window-edge traffic by the sliding
// policy: a fixed window admits each boundary's second burst of 20 at
// 1.005 s, all false allows; at 2 s it rejects the burst before the
// boundary (right: the window still holds 20) and admits the one after
// (right: the trailing second holds none). The sliding log is never
// wrong.
func TestMainSimulateOracle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "fixed,sliding", "--workload", "window-edge", "--limit", "20", "--window", "1s",
		"--duration", "2500ms", "--start-at", "2026-01-01T00:00:00Z", "--seed", "1", "--oracle", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Config.Oracle != "sliding" {
		t.Errorf("config.oracle %q, want sliding", f.Config.Oracle)
	}
	want := map[string][2]int64{"fixed": {20, 0}, "sliding": {0, 0}}
	for _, r := range f.Runs {
		o := r.Oracle
		if o == nil {
			t.Fatalf("%s: no oracle", r.Algorithm)
		}
		if got := [2]int64{o.FalseAllows, o.FalseDenies}; got != want[r.Algorithm] || o.Judged != r.Counts.Sent {
			t.Errorf("%s: false allows and denies %v of %d judged, want %v of %d", r.Algorithm, got, o.Judged, want[r.Algorithm], r.Counts.Sent)
		}
	}
	for _, s := range []string{"false allows", "oracle sliding", "oracle: fixed/window-edge: by sliding: false allows 20, false denies 0"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("the table does not say %q:\n%s", s, out)
		}
	}

	// The fixed window's own rule finds nothing wrong with it.
	io, _, errOut = newTestIO(nil, "simulate", "--algo", "fixed", "--workload", "window-edge", "--limit", "20", "--window", "1s",
		"--duration", "2500ms", "--start-at", "2026-01-01T00:00:00Z", "--oracle=fixed", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if f, err = report.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if o := f.Runs[0].Oracle; o == nil || o.Policy != "fixed" || o.FalseAllows+o.FalseDenies != 0 {
		t.Errorf("fixed by fixed: %+v, want no wrong decision", o)
	}
}

// TestMainOracleThreshold gates on the oracle's figures in compare.
func TestMainOracleThreshold(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.json")
	io, _, errOut := newTestIO(nil, "simulate", "--algo", "fixed", "--workload", "window-edge", "--limit", "20", "--window", "1s",
		"--duration", "2500ms", "--start-at", "2026-01-01T00:00:00Z", "--oracle", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	io, out, _ := newTestIO(nil, "compare", path, path, "--threshold", "false_allows==0")
	if code := Main(io); code != 1 {
		t.Errorf("compare with false_allows==0: exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out.String(), "false_allows==0 on fixed") {
		t.Errorf("compare does not name the failed threshold:\n%s", out)
	}
	io, out, _ = newTestIO(nil, "compare", path, path, "--threshold", "false_allows<=20", "--threshold", "false_denies==0")
	if code := Main(io); code != 0 {
		t.Errorf("compare with false_allows<=20: exit %d, want 0:\n%s", code, out)
	}
}

// TestMainRunOracle judges a run of the sliding log on the embedded
// Redis, 8 workers racing for one key, by the sliding policy: every
// decision judged, none wrong, and the file says so.
func TestMainRunOracle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	io, out, errOut := newTestIO(nil, "run", "--algo", "sliding", "--limit", "50", "--window", "100ms",
		"--requests", "300", "--concurrency", "8", "--oracle", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Runs[0]
	if o := r.Oracle; o == nil || o.Judged != r.Counts.Sent || o.FalseAllows+o.FalseDenies != 0 || o.Late != 0 {
		t.Fatalf("oracle %+v of %d sent; want all judged, none wrong", o, r.Counts.Sent)
	}
	if !strings.Contains(out.String(), "oracle: sliding/closed: by sliding: false allows 0, false denies 0 of 300 decisions") {
		t.Errorf("no oracle note:\n%s", out)
	}
}

package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/report"
)

func TestMainSimulateBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--workload", "closed"}, "invalid --workload closed: a simulation has no service times"},
		{[]string{"simulate", "--algo", "seed-fixed"}, "invalid --algo seed-fixed: a simulation has reference models of fixed, sliding"},
		{[]string{"simulate", "--algo", "baseline"}, "invalid --algo baseline"},
		{[]string{"simulate", "--concurrency", "4"}, "unknown flag: --concurrency"},
		{[]string{"simulate", "--rate", "0"}, "--rate"},
		{[]string{"simulate", "--start-at", "1969-12-31T00:00:00Z"}, "invalid --start-at 1969-12-31T00:00:00Z: want an instant after 1970"},
		{[]string{"simulate", "--workload", "ramp", "--requests", "10"}, "--workload ramp needs a --duration"},
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

// TestMainSimulate prints a table, says the decisions per second on
// stderr, and writes a results file of kind simulation that validates.
func TestMainSimulate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	io, out, errOut := newTestIO(nil, "simulate", "--algo", "fixed,token", "--limit", "10", "--window", "1s",
		"--rate", "100", "--duration", "3s", "--start-at", "2026-01-01T00:00:00Z", "--seed", "1", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	rows := tableRows(t, out.String())
	if got := cell(t, rows["fixed"], 3); got != 30 {
		t.Errorf("fixed accepted %d, want 30", got)
	}
	if got := cell(t, rows["token"], 3); got != 39 {
		t.Errorf("token accepted %d, want 39", got)
	}
	if !strings.Contains(out.String(), "target simulation") {
		t.Errorf("header does not name the simulation:\n%s", out)
	}
	if msg := errOut.String(); !strings.HasPrefix(msg, "simulated 600 decisions in ") || !strings.Contains(msg, "decisions/s") {
		t.Errorf("stderr %q, want the decisions per second", msg)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Target.Kind != "simulation" || len(f.Runs) != 2 || f.Runs[0].Simulation == nil || f.Runs[0].Simulation.DecisionsPerS <= 0 {
		t.Errorf("file: kind %q, %d runs, simulation %+v", f.Target.Kind, len(f.Runs), f.Runs[0].Simulation)
	}
	for _, format := range []string{"markdown", "csv", "json", "benchfmt", "html"} {
		io, out, errOut := newTestIO(nil, "report", "--format", format, path)
		if code := Main(io); code != 0 || out.Len() == 0 {
			t.Errorf("report --format %s: exit %d, %d bytes, stderr %q", format, code, out.Len(), errOut)
		}
	}
}

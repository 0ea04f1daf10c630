package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// simStart is an instant on a boundary of every window the tests use.
var simStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// simulate runs each algorithm under workload with load, from simStart.
func simulate(t testing.TB, load *Load, workload string, algos ...string) *report.File {
	t.Helper()
	s := OpenSimulation(load)
	plan := Plan{Algorithms: algos, Workloads: []string{workload}, Limits: []algorithms.Limit{load.Limit}}.Runs()
	file := NewFile(load, algos, []string{workload}, s.Info, s.Seed(), "test")
	if _, err := s.Simulate(context.Background(), plan, file, simStart); err != nil {
		t.Fatal(err)
	}
	if len(file.Runs) != len(algos) {
		t.Fatalf("%d runs, want %d", len(file.Runs), len(algos))
	}
	return file
}

// overLimit is one key, steady at 10 times a limit of 10/s, for 3 windows.
func overLimit() *Load {
	return &Load{
		Limit: algorithms.Limit{Requests: 10, Window: time.Second}, Rate: 100, Duration: 3 * time.Second,
		Key: "user:1", Keys: 1, KeyDist: "uniform", Seed: 7, Interval: time.Second, MissAfter: 10 * time.Millisecond,
	}
}

// TestSimulateAgreesWithScripts holds a simulation to the closed-form
// counts, and to each algorithm's own script on redis-server asked at the
// same instants with a client clock: requests at 0, 10ms, ... 2.99s.
func TestSimulateAgreesWithScripts(t *testing.T) {
	rdb := redistest.Start(t).Client(t)
	closedForm := map[string]int64{
		"fixed":   30, // L per aligned window, 3 windows
		"sliding": 30, // L per window span
		"token":   39, // C + ⌊r·t⌋, t = 2.99s of the last request
		"leaky":   39,
		"gcra":    39, // C + ⌊t/T⌋
		// sliding-counter: its weighted estimate, checked against its script only.
	}
	load := overLimit()
	file := simulate(t, load, Steady, algorithms.Names()...)
	for i, name := range algorithms.Names() {
		run := file.Runs[i]
		if run.Algorithm != name || run.Counts.Sent != 300 || run.Counts.Accepted+run.Counts.Rejected != 300 {
			t.Fatalf("run %d: %s sent %d, decided %d; want %s, 300 decided", i, run.Algorithm, run.Counts.Sent, run.Counts.Accepted+run.Counts.Rejected, name)
		}
		if want, ok := closedForm[name]; ok && run.Counts.Accepted != want {
			t.Errorf("%s accepted %d, want %d", name, run.Counts.Accepted, want)
		}
		now := simStart
		l, err := algorithms.New(name, rdb, algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return now })})
		if err != nil {
			t.Fatal(err)
		}
		var accepted int64
		for n := range 300 {
			now = simStart.Add(time.Duration(n) * 10 * time.Millisecond)
			d, err := l.AllowN(t.Context(), fmt.Sprintf("script:%s", name), load.Limit, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				accepted++
			}
		}
		if run.Counts.Accepted != accepted {
			t.Errorf("%s: simulated %d accepted, its script on redis-server %d", name, run.Counts.Accepted, accepted)
		}
		if run.Accuracy.OverAdmitted != 0 {
			t.Errorf("%s over-admitted %d", name, run.Accuracy.OverAdmitted)
		}
	}
	if file.Target.Kind != KindSimulation || file.Runs[0].Simulation == nil {
		t.Errorf("target %q, simulation %v: want kind simulation and its decisions per second", file.Target.Kind, file.Runs[0].Simulation)
	}
}

// TestSimulateWindowEdge shows a fixed window's 2L across a boundary,
// never more than L in one aligned window, and a sliding log's L.
func TestSimulateWindowEdge(t *testing.T) {
	load := overLimit()
	load.Limit.Requests, load.BurstSize, load.EdgeOffset = 20, 20, 5*time.Millisecond
	file := simulate(t, load, WindowEdge, "fixed", "sliding")
	fixed, sliding := file.Runs[0].Accuracy, file.Runs[1].Accuracy
	if fixed.MaxAdmittedInWindow != 40 || fixed.Bound != 40 || fixed.MaxAdmittedInAlignedWindow != 20 || fixed.OverAdmitted != 0 {
		t.Errorf("fixed: %d in a window (bound %d), %d in an aligned one, %d over; want 40 (40), 20, 0",
			fixed.MaxAdmittedInWindow, fixed.Bound, fixed.MaxAdmittedInAlignedWindow, fixed.OverAdmitted)
	}
	if sliding.MaxAdmittedInWindow != 20 || sliding.OverAdmitted != 0 {
		t.Errorf("sliding: %d in a window, %d over; want 20, 0", sliding.MaxAdmittedInWindow, sliding.OverAdmitted)
	}
}

// BenchmarkSimulate measures decisions per second: one key per thousand
// requests, steady far over the limit, every algorithm in turn.
func BenchmarkSimulate(b *testing.B) {
	for _, name := range algorithms.Names() {
		b.Run(name, func(b *testing.B) {
			load := overLimit()
			load.Rate, load.Duration, load.Requests = 1e6, 0, int64(b.N)
			load.Keys = max(b.N/1000, 2)
			b.ReportAllocs()
			b.ResetTimer()
			simulate(b, load, Steady, name)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
		})
	}
}

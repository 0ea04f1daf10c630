package bench

import (
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// TestPlanInterleavesRepetitions checks that every run of the first
// repetition comes before any of the second, limits outside workloads
// outside algorithms.
func TestPlanInterleavesRepetitions(t *testing.T) {
	limit := func(n int64) algorithms.Limit { return algorithms.Limit{Requests: n, Window: time.Second} }
	plan := Plan{
		Algorithms: []string{"fixed", "gcra"},
		Workloads:  []string{"steady", "bursty"},
		Limits:     []algorithms.Limit{limit(10), limit(100)},
		Count:      2,
	}.Runs()
	if len(plan) != 2*2*2*2 {
		t.Fatalf("%d runs, want 16", len(plan))
	}
	for i, p := range plan {
		if p.Repeat != i/8 {
			t.Errorf("run %d (%+v) is repetition %d, want %d", i, p, p.Repeat, i/8)
		}
	}
	if plan[0].Limit.Requests != 10 || plan[4].Limit.Requests != 100 || plan[1].Algorithm != "gcra" || plan[2].Workload != "bursty" {
		t.Errorf("plan order %+v", plan[:5])
	}
}

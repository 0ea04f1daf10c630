package bench

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
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

// TestPlanAlternatesClients: with several clients, each algorithm runs
// through each in turn, clients innermost.
func TestPlanAlternatesClients(t *testing.T) {
	plan := Plan{
		Algorithms: []string{"fixed", "gcra"},
		Workloads:  []string{"closed"},
		Limits:     []algorithms.Limit{{Requests: 10, Window: time.Second}},
		Count:      2,
		Clients:    []string{"go-redis", "rueidis"},
	}.Runs()
	var got []string
	for _, r := range plan {
		got = append(got, fmt.Sprintf("%d:%s:%s", r.Repeat, r.Client, r.Algorithm))
	}
	want := []string{"0:go-redis:fixed", "0:rueidis:fixed", "0:go-redis:gcra", "0:rueidis:gcra",
		"1:go-redis:fixed", "1:rueidis:fixed", "1:go-redis:gcra", "1:rueidis:gcra"}
	if !slices.Equal(got, want) {
		t.Errorf("runs %v\nwant %v", got, want)
	}
}

// TestClientNames: the results file accepts the clients rlbench has.
func TestClientNames(t *testing.T) {
	if !slices.Equal(report.Clients, redisconn.Clients()) {
		t.Errorf("report.Clients %v, redisconn.Clients() %v: a results file would refuse a client rlbench has", report.Clients, redisconn.Clients())
	}
}

// TestFailuresNameEveryClass: a target's own classes (an HTTP API's
// http-5xx) are counted in the failure line after the shared ones.
func TestFailuresNameEveryClass(t *testing.T) {
	r := workload.Result{Algorithm: "http", Sent: 9, Errors: 7, Unknown: 2,
		ErrorsByClass:  map[string]int64{"timeout": 0, "http-5xx": 4, "connection": 1, "http-4xx": 2},
		UnknownByClass: map[string]int64{"timeout": 2},
		FirstError:     errors.New("503 Service Unavailable")}
	want := "requests failed: http 9 of 9 (timeout 2, connection 1, http-4xx 2, http-5xx 4); first error: 503 Service Unavailable"
	if err := Failures([]workload.Result{r}); err == nil || err.Error() != want {
		t.Errorf("Failures = %v\nwant %s", err, want)
	}
}

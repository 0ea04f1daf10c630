package bench

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// acceptAll admits every request.
type acceptAll struct{}

func (acceptAll) Decide(context.Context, target.Request) target.Outcome {
	return target.Outcome{Kind: target.Accepted}
}

// A run that cannot start ends the session in error, and the runs before
// it stay in the file, marked partial.
func TestExecuteKeepsRunsBeforeAnError(t *testing.T) {
	load := &Load{Limit: algorithms.Limit{Requests: 10, Window: time.Hour}, Requests: 20, Concurrency: 2,
		Key: "k", Keys: 1, KeyDist: "uniform", Interval: time.Second, MissAfter: 10 * time.Millisecond, Seed: 1}
	s := OpenTarget(acceptAll{}, report.Target{Kind: "test"}, load, nil)
	file := NewFile(load, []string{"fixed", "nope"}, []string{Closed}, s.Info, s.Seed(), "test")
	runs := []Run{
		{Algorithm: "fixed", Workload: Closed, Limit: load.Limit},
		{Algorithm: "nope", Workload: Closed, Limit: load.Limit},
	}
	_, err := s.Execute(t.Context(), runs, file, nil)
	if err == nil {
		t.Fatal("Execute of an unknown algorithm: no error")
	}
	if len(file.Runs) != 1 || file.Runs[0].Counts.Accepted != 20 {
		t.Fatalf("file holds %d runs (%+v), want the first, 20 accepted", len(file.Runs), file.Runs)
	}
	if file.EndReason != report.EndError || file.Error != err.Error() {
		t.Errorf("end %q, error %q; want %q, %q", file.EndReason, file.Error, report.EndError, err)
	}
	// A partial file is a valid one.
	path := filepath.Join(t.TempDir(), "results.json")
	if err := report.WriteFile(path, file); err != nil {
		t.Fatal(err)
	}
	if _, err := report.ReadFile(path); err != nil {
		t.Errorf("the partial file does not read back: %v", err)
	}
}

package bench

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

func TestCheckStartAt(t *testing.T) {
	now := time.Date(2026, 12, 2, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   time.Time
		want string // "" for nil
	}{
		{"ahead", now.Add(30 * time.Second), ""},
		{"now", now, ""},
		{"late within the grace", now.Add(-StartAtGrace), ""},
		{"a day ahead", now.Add(MaxStartAhead), ""},
		{"late past the grace", now.Add(-StartAtGrace - 200*time.Millisecond),
			"invalid start-at 2026-12-02T15:59:58.8Z: 1.2s in the past; want from 1s past to 24h ahead"},
		{"an hour ago", now.Add(-time.Hour - 3*time.Second),
			"invalid start-at 2026-12-02T14:59:57Z: 1h0m3s in the past; want from 1s past to 24h ahead"},
		{"next year", now.AddDate(1, 0, 0),
			"invalid start-at 2027-12-02T16:00:00Z: 8760h0m0s ahead; want from 1s past to 24h ahead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckStartAt(tt.at, now)
			var field *workload.FieldError
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckStartAt = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want || !errors.As(err, &field) || !errors.Is(err, ErrStartAt)):
				t.Errorf("CheckStartAt = %v, want a FieldError of ErrStartAt saying %q", err, tt.want)
			}
		})
	}
}

// startAtLoad is a small closed load on one key of an embedded miniredis.
func startAtLoad(at time.Time) *Load {
	return &Load{
		Limit:       algorithms.Limit{Requests: 10, Window: time.Hour},
		Requests:    20,
		Concurrency: 2,
		Key:         "user:1",
		Keys:        1,
		KeyDist:     "uniform",
		Interval:    time.Second,
		MissAfter:   workload.DefaultMissAfter,
		Timeout:     10 * time.Second,
		Seed:        1,
		StartAt:     at,
	}
}

// TestStartAtAnchorsTheFirstRun: the first run of a plan starts at
// StartAt exactly, whenever Execute got there, and the next one after it.
func TestStartAtAnchorsTheFirstRun(t *testing.T) {
	load := startAtLoad(time.Time{})
	s, err := Open(t.Context(), "", redisconn.Options{PoolSize: 2}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	at := time.Now().Add(300 * time.Millisecond).Truncate(time.Millisecond)
	load.StartAt = at
	algos := []string{"sliding", "token"}
	plan := Plan{Algorithms: algos, Workloads: []string{Closed}, Limits: []algorithms.Limit{load.Limit}}.Runs()
	file := NewFile(load, algos, []string{Closed}, s.Info, s.Seed(), "test")
	if _, err := s.Execute(t.Context(), plan, file, nil); err != nil {
		t.Fatal(err)
	}
	if len(file.Runs) != 2 || !file.Runs[0].StartedAt.Equal(at) || !file.Runs[1].StartedAt.After(at) {
		t.Fatalf("%d runs; want the first to start at %s and the second later: %+v", len(file.Runs), at, file.Runs)
	}
	if !file.Config.StartAt.Equal(at) || file.Config.StartAt.Location() != time.UTC {
		t.Errorf("config.start_at %s, want %s in UTC", file.Config.StartAt, at)
	}
}

// TestStartAtInterrupted: interrupted while waiting, nothing runs and the
// file says it was interrupted.
func TestStartAtInterrupted(t *testing.T) {
	load := startAtLoad(time.Now().Add(time.Hour))
	s, err := Open(t.Context(), "", redisconn.Options{PoolSize: 2}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	plan := Plan{Algorithms: []string{"sliding"}, Workloads: []string{Closed}, Limits: []algorithms.Limit{load.Limit}}.Runs()
	file := NewFile(load, []string{"sliding"}, []string{Closed}, s.Info, s.Seed(), "test")
	results, err := s.Execute(ctx, plan, file, nil)
	if err != nil || len(results) != 0 || len(file.Runs) != 0 || file.EndReason != report.EndInterrupted {
		t.Errorf("Execute = %d results, %v; file has %d runs, ended %q; want none, nil, none, interrupted",
			len(results), err, len(file.Runs), file.EndReason)
	}
}

// TestStartAtMissed: a start already past the grace when the first run
// would begin (connecting took too long) runs nothing.
func TestStartAtMissed(t *testing.T) {
	load := startAtLoad(time.Now().Add(-time.Minute))
	s, err := Open(t.Context(), "", redisconn.Options{PoolSize: 2}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	plan := Plan{Algorithms: []string{"sliding"}, Workloads: []string{Closed}, Limits: []algorithms.Limit{load.Limit}}.Runs()
	file := NewFile(load, []string{"sliding"}, []string{Closed}, s.Info, s.Seed(), "test")
	if _, err := s.Execute(t.Context(), plan, file, nil); !errors.Is(err, ErrStartAt) || len(file.Runs) != 0 {
		t.Errorf("Execute = %v with %d runs, want ErrStartAt and none", err, len(file.Runs))
	}
}

// TestGeneratorIDNamesTheFile: a named generator's file carries its name
// both as its id and in its config; an unnamed one gets a random id.
func TestGeneratorIDNamesTheFile(t *testing.T) {
	load := startAtLoad(time.Time{})
	load.GeneratorID = "east-1"
	if f := NewFile(load, []string{"sliding"}, []string{Closed}, report.Target{}, 1, "test"); f.GeneratorID != "east-1" || f.Config.GeneratorID != "east-1" {
		t.Errorf("named: generator_id %q, config.generator_id %q; want east-1 for both", f.GeneratorID, f.Config.GeneratorID)
	}
	load.GeneratorID = ""
	if f := NewFile(load, []string{"sliding"}, []string{Closed}, report.Target{}, 1, "test"); len(f.GeneratorID) != 16 || f.Config.GeneratorID != "" || !f.Config.StartAt.IsZero() {
		t.Errorf("unnamed: generator_id %q, config.generator_id %q, start_at %s; want 16 random hex digits, none, none",
			f.GeneratorID, f.Config.GeneratorID, f.Config.StartAt)
	}
}

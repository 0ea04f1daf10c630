package workload

import (
	"context"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// TestRunEndedBy: each cap ends the run it should, and the Result says which.
func TestRunEndedBy(t *testing.T) {
	rdb := newClient(t)
	limit := algorithms.Limit{Requests: 100, Window: time.Hour}
	steady, err := NewSteady(2000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cfg      Config
		want     string
		moreThan int64
	}{
		{"closed requests", Config{Concurrency: 2, Requests: 30}, EndedByRequests, 29},
		{"closed duration only", Config{Concurrency: 2, Duration: 100 * time.Millisecond}, EndedByDuration, 0},
		{"open requests", Config{Pacer: steady, Requests: 30, Duration: time.Hour}, EndedByRequests, 29},
		// 2000/s for 100ms is 200 slots: more than a small default cap.
		{"open duration only", Config{Pacer: steady, Duration: 100 * time.Millisecond}, EndedByDuration, 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			l := newLimiter(t, "fixed", rdb, time.Time{})
			cfg.Target, cfg.Promise, cfg.Name = target.Limiter(l), l, l.Name()
			cfg.Limit, cfg.Key = limit, "ended:"+tt.name
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.EndedBy != tt.want || res.Sent <= tt.moreThan {
				t.Errorf("ended by %q after %d sent, want %q after more than %d", res.EndedBy, res.Sent, tt.want, tt.moreThan)
			}
		})
	}
}

package workload

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/rlbench/rlbench/target"
)

// TestRunEndedBy: each cap ends the run it should, after exactly the
// requests it allows, and the Result says which. The limiter takes 1 ms a
// call, on synctest's fake clock.
func TestRunEndedBy(t *testing.T) {
	steady, err := NewSteady(2000) // a slot every 500 µs
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		cfg         Config
		want        string
		wantSent    int64
		wantElapsed time.Duration
	}{
		// 15 rounds of two calls.
		{"closed requests", Config{Concurrency: 2, Requests: 30}, EndedByRequests, 30, 15 * time.Millisecond},
		// Both workers send from 0 to 99 ms.
		{"closed duration only", Config{Concurrency: 2, Duration: 100 * time.Millisecond}, EndedByDuration, 200, 100 * time.Millisecond},
		// The last slot at 14.5 ms.
		{"open requests", Config{Pacer: steady, Requests: 30, Duration: time.Hour}, EndedByRequests, 30, 15500 * time.Microsecond},
		// 200 slots, more than a small default cap; the last at 99.5 ms.
		{"open duration only", Config{Pacer: steady, Duration: 100 * time.Millisecond}, EndedByDuration, 200, 100500 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &probeLimiter{delay: time.Millisecond}
				cfg := tt.cfg
				cfg.Target, cfg.Promise, cfg.Name = target.Limiter(f), f, f.Name()
				cfg.Limit, cfg.Key = hundredAMinute, "ended"
				res := runChecked(t, t.Context(), cfg, f)
				if res.EndedBy != tt.want || res.Sent != tt.wantSent || res.Elapsed != tt.wantElapsed {
					t.Errorf("ended by %q after %d sent in %v, want %q after %d in %v",
						res.EndedBy, res.Sent, res.Elapsed, tt.want, tt.wantSent, tt.wantElapsed)
				}
			})
		})
	}
}

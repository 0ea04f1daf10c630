package workload

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// everyTenth admits one request per 100 ms and tells a rejected caller
// exactly when the next will pass.
type everyTenth struct {
	mu   sync.Mutex
	next time.Time
}

func (e *everyTenth) Decide(context.Context, target.Request) target.Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if now.Before(e.next) {
		return target.Outcome{Kind: target.Rejected, Said: target.Said{RetryAfter: e.next.Sub(now), Has: target.HasRetryAfter}}
	}
	e.next = now.Add(100 * time.Millisecond)
	return target.Outcome{Kind: target.Accepted}
}

// TestHonorRetryAfter: against a target that admits one request per 100
// ms, an aggressive client sending back to back wastes nine requests of
// ten; a polite one, waiting each Retry-After out, has every other request
// admitted, waits four times 100 ms, and its waits are not schedule lag.
func TestHonorRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		name                       string
		polite                     bool
		accepted, rejected, waited int64
		waitedFor                  time.Duration
	}{
		{"aggressive", false, 1, 9, 0, 0},
		{"polite", true, 5, 5, 4, 400 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res, err := Run(t.Context(), Config{
					Target: &everyTenth{}, Name: "api", Limit: algorithms.Limit{Requests: 10, Window: time.Second},
					Key: "k", Concurrency: 1, Requests: 10, HonorRetryAfter: tt.polite,
				})
				if err != nil {
					t.Fatal(err)
				}
				if res.Accepted != tt.accepted || res.Rejected != tt.rejected || res.Waited != tt.waited || res.WaitedFor != tt.waitedFor {
					t.Errorf("accepted %d, rejected %d, waited %d for %v; want %d, %d, %d for %v",
						res.Accepted, res.Rejected, res.Waited, res.WaitedFor, tt.accepted, tt.rejected, tt.waited, tt.waitedFor)
				}
				if res.Lag.Max() != 0 || res.Missed != 0 {
					t.Errorf("lag up to %v, %d missed; a wait for Retry-After is not lag", time.Duration(res.Lag.Max()), res.Missed)
				}
			})
		})
	}
}

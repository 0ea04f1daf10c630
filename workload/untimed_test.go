package workload

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// delayedTarget admits every request at once and answers it after
// delay(i), giving no decision instant, as an HTTP API does.
type delayedTarget struct {
	delay func(i int64) time.Duration
	n     atomic.Int64
}

func (d *delayedTarget) Decide(ctx context.Context, _ target.Request) target.Outcome {
	time.Sleep(d.delay(d.n.Add(1) - 1))
	return target.Outcome{Kind: target.Accepted}
}

// slidingPromise is a sliding log's promise: the limit in any window.
type slidingPromise struct{}

func (slidingPromise) Bound(limit algorithms.Limit, span time.Duration) int64 {
	return limit.Requests * int64((span+limit.Window-1)/limit.Window)
}

// TestUntimedAdmissionsBlameNoJitter: a target that decides at each send,
// one a millisecond (exactly 100 in any 100 ms), but whose answers are
// held back unevenly, is not blamed for the bunching of its answers; one
// that admits twice its promise is caught. The figures are exact under the
// bubble's clock: the sends counted over the window shortened and
// lengthened by the longest round trip.
func TestUntimedAdmissionsBlameNoJitter(t *testing.T) {
	limit := algorithms.Limit{Requests: 100, Window: 100 * time.Millisecond}
	tests := []struct {
		name            string
		rate            float64
		delay           func(i int64) time.Duration
		most, atMost    int64
		over, overAtMay int64
	}{
		// Answers of the first 50 ms of every 200 ms held 50 ms: with the
		// answers of the 100 ms after them, 150 arrive within 100 ms, and
		// an answer-time count would call 50 of them over the promise.
		{"jitter", 1000, func(i int64) time.Duration {
			if i%200 < 50 {
				return 50 * time.Millisecond
			}
			return 0
		}, 50, 150, 0, 50},
		{"steady answers", 1000, func(int64) time.Duration { return 2 * time.Millisecond }, 98, 102, 0, 2},
		{"twice the promise", 2000, func(int64) time.Duration { return 2 * time.Millisecond }, 196, 204, 96, 104},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res, err := Run(t.Context(), Config{
					Target: &delayedTarget{delay: tt.delay}, Promise: slidingPromise{}, Name: "api",
					Limit: limit, Key: "k", Pacer: steadyPacer(t, tt.rate), MaxInflight: 200,
					Requests: int64(tt.rate / 2), // half a second
				})
				if err != nil {
					t.Fatal(err)
				}
				k := res.Accuracy.PerKey[0]
				if k.MaxAdmittedInWindow != tt.most || k.MaxAdmittedInWindowAtMost != tt.atMost ||
					k.OverAdmitted != tt.over || k.OverAdmittedAtMost != tt.overAtMay {
					t.Errorf("most in a window %d (at most %d), over %d (at most %d); want %d (%d), %d (%d)",
						k.MaxAdmittedInWindow, k.MaxAdmittedInWindowAtMost, k.OverAdmitted, k.OverAdmittedAtMost,
						tt.most, tt.atMost, tt.over, tt.overAtMay)
				}
				if k.AlignedBound != algorithms.NoBound {
					t.Errorf("aligned bound %d, want none: aligned windows need decision instants", k.AlignedBound)
				}
			})
		})
	}
}

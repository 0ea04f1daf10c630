package algorithms_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// TestMillisecondWindowKeepsItsBoundRedis hammers one key with a 1 ms
// window on real Redis. Redis 7.0 deletes a key at once when a script's
// PEXPIRE 1 crosses a millisecond boundary, which let sliding admit 6 of 3
// and token and leaky 7 of 6 before the TTL floor in clock.lua.
func TestMillisecondWindowKeepsItsBoundRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := stormClient(t, srv)
	limits := map[string]algorithms.Limit{
		"fixed":           {Requests: 3, Window: time.Millisecond},
		"sliding":         {Requests: 3, Window: time.Millisecond},
		"sliding-counter": {Requests: 3, Window: time.Millisecond},
		"token":           {Requests: 3, Window: time.Millisecond, Burst: 6},
		"leaky":           {Requests: 3, Window: time.Millisecond, Burst: 6},
		"gcra":            {Requests: 3, Window: time.Millisecond, Burst: 6},
	}
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			limit := limits[name]
			l, err := algorithms.New(name, rdb, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var adm []int64
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var mine []int64
					for range 5000 {
						d, err := l.AllowN(context.Background(), "ms", limit, 1)
						if err != nil {
							t.Error(err)
							return
						}
						if d.Allowed {
							mine = append(mine, d.At.UnixMicro())
						}
					}
					mu.Lock()
					adm = append(adm, mine...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			adm = slices.Sorted(slices.Values(adm))
			if most, from := report.MaxInSpan(adm, limit.Window.Microseconds()); int64(most) > l.Bound(limit, limit.Window) {
				t.Errorf("%d admitted in the 1ms from %dµs, bound %d", most, from, l.Bound(limit, limit.Window))
			}
		})
	}
}

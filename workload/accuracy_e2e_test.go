package workload

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/target"
)

// The end-to-end accuracy checks of issue 3, on a real redis-server and its
// clock: the window-edge traffic that makes a fixed window admit twice its
// limit, and the 64-worker storm that no atomic algorithm may over-admit.

// e2eClient starts a redis-server with a pool of 64 connections, all of
// them dialled before the test begins, so that a burst does not wait for
// dials.
func e2eClient(t *testing.T) *redis.Client {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	t.Cleanup(func() { rdb.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() { errs <- rdb.Ping(t.Context()).Err() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("PING %s: %v", srv.Addr, err)
		}
	}
	return rdb
}

// e2eLimiter builds algorithm name on the server's clock and has it load
// its script, on a key of its own, so that the run sends no script.
func e2eLimiter(t *testing.T, name string, rdb redis.Cmdable, limit algorithms.Limit) algorithms.Limiter {
	t.Helper()
	l, err := algorithms.New(name, rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.AllowN(t.Context(), "warm-up", limit, 1); err != nil {
		t.Fatalf("%s: warm-up decision: %v", name, err)
	}
	return l
}

// runE2E runs cfg and fails the test on any error of the run or a request.
func runE2E(t *testing.T, cfg Config) Result {
	t.Helper()
	cfg.Timeout = 5 * time.Second
	res := runChecked(t, t.Context(), cfg, nil)
	if res.Errors != 0 {
		t.Fatalf("%s: %d errors, the first: %v", res.Algorithm, res.Errors, res.FirstError)
	}
	return res
}

// TestE2EWindowEdge sends 20 requests 50 ms before a one-second boundary
// and 20 more 50 ms after it, at a limit of 20 a second. A fixed window
// admits both bursts, 40 within 100 ms, which is its bound of twice the
// limit; the sliding log admits the first burst and nothing more.
//
// The edge offset is 50 ms, not a few: what counts is when the script reads
// TIME, and on two busy cores under -race a burst of 20 reaches Redis up to
// 30 ms after its slot (lag and Redis's own scheduling), so that with 5 ms
// the whole first burst often fell after the boundary and fixed showed 20.
func TestE2EWindowEdge(t *testing.T) {
	rdb := e2eClient(t)
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	tests := []struct {
		name string
		// edgeMissed says when a run's timing kept it from showing the
		// edge, so that it is worth another attempt.
		edgeMissed func(res Result) bool
		check      func(t *testing.T, res Result)
	}{
		{"fixed", func(res Result) bool { return res.Accuracy.Busiest.MostInWindow < 36 }, func(t *testing.T, res Result) {
			acc := res.Accuracy
			// 40 when each burst lands on its side of the boundary; a
			// first burst that takes more than 50 ms would lose a few to
			// the next window, where the limit turns them away.
			if acc.Busiest.MostInWindow < 36 {
				t.Errorf("most in a window %d, want near 2x the limit (at least 36 of 40)", acc.Busiest.MostInWindow)
			}
			if acc.Busiest.Bound != 40 || acc.OverAdmitted != 0 {
				t.Errorf("bound %d, over-admitted %d; want 40, 0", acc.Busiest.Bound, acc.OverAdmitted)
			}
		}},
		{"sliding", func(Result) bool { return false }, func(t *testing.T, res Result) {
			acc := res.Accuracy
			if acc.Busiest.MostInWindow > 20 || res.Accepted != 20 {
				t.Errorf("most in a window %d, accepted %d; want at most 20 and exactly 20", acc.Busiest.MostInWindow, res.Accepted)
			}
			if acc.Busiest.Bound != 20 || acc.OverAdmitted != 0 {
				t.Errorf("bound %d, over-admitted %d; want 20, 0", acc.Busiest.Bound, acc.OverAdmitted)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // both at the same boundary: a second in all
			l := e2eLimiter(t, tt.name, rdb, limit)
			// On two cores shared with other test binaries, a first burst
			// can still reach Redis after the boundary; then the pair shows
			// nothing about the edge, and it is tried again at a later
			// boundary, on a fresh key. A fixed window that never admits
			// both bursts fails every attempt.
			const attempts = 3
			for attempt := 1; ; attempt++ {
				res := edgePair(t, l, limit, attempt)
				if attempt == attempts || !tt.edgeMissed(res) {
					tt.check(t, res)
					return
				}
				t.Logf("attempt %d: the first burst missed its side of the boundary; trying again", attempt)
			}
		})
	}
}

// edgePair sends one pair of bursts of limit.Requests around the next
// boundary but one, on key edge-attempt.
func edgePair(t *testing.T, l algorithms.Limiter, limit algorithms.Limit, attempt int) Result {
	t.Helper()
	start := time.Now().Add(20 * time.Millisecond)
	p, err := NewWindowEdge(time.Second, 50*time.Millisecond, limit.Requests, start)
	if err != nil {
		t.Fatal(err)
	}
	res := runE2E(t, Config{
		Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit, Key: fmt.Sprintf("edge-%d", attempt), Pacer: p, Start: start,
		Requests: 2 * limit.Requests, MaxInflight: 64,
	})
	acc := res.Accuracy
	t.Logf("%s: accepted %d of %d, most in a window %d, bound %d, over %d; lag max %v",
		l.Name(), res.Accepted, res.Sent, acc.Busiest.MostInWindow, acc.Busiest.Bound, acc.OverAdmitted,
		time.Duration(res.Lag.Max()))
	if res.Sent != 2*limit.Requests {
		t.Fatalf("sent %d, want the %d of one pair of bursts", res.Sent, 2*limit.Requests)
	}
	return res
}

// stormE2E is the seed's hot-key storm on algorithm name: 64 workers, 640
// requests, one key, 100 requests per 10 minutes (so that no refill and,
// but for a rare boundary, no new window falls within the run).
func stormE2E(t *testing.T, rdb redis.Cmdable, name string) Result {
	t.Helper()
	limit := algorithms.Limit{Requests: 100, Window: 10 * time.Minute}
	l := e2eLimiter(t, name, rdb, limit)
	return runE2E(t, Config{
		Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit, Key: "storm",
		Concurrency: 64, Requests: 640,
	})
}

// TestE2EStorm: no atomic algorithm admits more than its promise under the
// storm, and each admits exactly its limit in the busiest window.
func TestE2EStorm(t *testing.T) {
	rdb := e2eClient(t)
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			res := stormE2E(t, rdb, name)
			acc := res.Accuracy
			if acc.OverAdmitted != 0 || acc.KeysOverBound != 0 {
				t.Errorf("over-admitted %d (most in a window %d, bound %d), want 0", acc.OverAdmitted, acc.Busiest.MostInWindow, acc.Busiest.Bound)
			}
			if acc.Busiest.MostInWindow != 100 {
				t.Errorf("most in a window %d, want the limit 100", acc.Busiest.MostInWindow)
			}
		})
	}
}

// TestE2EStormSeedSliding runs the storm on the seed's sliding log, which
// reads and writes in separate round trips: it usually over-admits, and
// this test only reports by how much.
func TestE2EStormSeedSliding(t *testing.T) {
	res := stormE2E(t, e2eClient(t), "seed-sliding")
	acc := res.Accuracy
	t.Logf("seed-sliding: accepted %d of %d, most in a window %d, bound %d, over-admitted %d",
		res.Accepted, res.Sent, acc.Busiest.MostInWindow, acc.Busiest.Bound, acc.OverAdmitted)
}

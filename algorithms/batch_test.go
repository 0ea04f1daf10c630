package algorithms_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// batchers are every Batcher of the registry: the atomic algorithms and
// the baseline.
func batchers(t *testing.T) []string {
	t.Helper()
	names := append(algorithms.Names(), algorithms.BaselineName)
	for _, name := range append(names, algorithms.SeedNames()...) {
		l, err := algorithms.New(name, nil, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := l.(algorithms.Batcher); ok != (name != "seed-fixed" && name != "seed-sliding" && name != "seed-leaky") {
			t.Fatalf("%s: Batcher %v, want the atomic algorithms and the baseline only", name, ok)
		}
	}
	return names
}

// batchEnvs are the Redis servers AllowBatch is checked on, each with a
// client clock standing still, so that decisions are exact.
func batchEnvs(t *testing.T) map[string]func(t *testing.T) redis.UniversalClient {
	return map[string]func(t *testing.T) redis.UniversalClient{
		"miniredis": func(t *testing.T) redis.UniversalClient {
			_, rdb := startMini(t)
			return rdb
		},
		"redis-server": func(t *testing.T) redis.UniversalClient {
			return redistest.Start(t).Client(t)
		},
	}
}

// TestAllowBatchIsAllowN: a batch of 12 at one key decides exactly as 12
// calls of AllowN at another, every field alike, on miniredis and on
// redis-server; the requests of a batch are decided in order.
func TestAllowBatchIsAllowN(t *testing.T) {
	limit := algorithms.Limit{Requests: 5, Window: time.Second, Burst: 4}
	for envName, open := range batchEnvs(t) {
		t.Run(envName, func(t *testing.T) {
			rdb := open(t)
			for _, name := range batchers(t) {
				t.Run(name, func(t *testing.T) {
					opts := algorithms.Options{Clock: &fakeClock{t: epoch.Add(250 * time.Millisecond)}}
					l, err := algorithms.New(name, rdb, opts)
					if err != nil {
						t.Fatal(err)
					}
					want := ask(t, l, "one:"+envName, limit, 12)
					reqs := make([]algorithms.Request, 12)
					for i := range reqs {
						reqs[i] = algorithms.Request{Key: "batch:" + envName, Limit: limit, N: 1}
					}
					got := make([]algorithms.Result, len(reqs))
					l.(algorithms.Batcher).AllowBatch(context.Background(), reqs, got)
					for i, r := range got {
						if r.Err != nil {
							t.Fatalf("request %d: %v", i, r.Err)
						}
						if r.Decision != want[i] {
							t.Errorf("request %d: AllowBatch %+v, AllowN %+v", i, r.Decision, want[i])
						}
					}
					if name != algorithms.BaselineName && admitted(want) == 12 {
						t.Errorf("every request passed: the test asks too few to see a rejection")
					}
				})
			}
		})
	}
}

// TestAllowBatchRequestErrors: a request AllowN would refuse before any
// round trip gets the same error in its place; the others are decided.
func TestAllowBatchRequestErrors(t *testing.T) {
	_, rdb := startMini(t)
	limit := algorithms.Limit{Requests: 5, Window: time.Second}
	for _, name := range batchers(t) {
		l, _ := algorithms.New(name, rdb, algorithms.Options{})
		reqs := []algorithms.Request{
			{Key: "a", Limit: limit, N: 1},
			{Key: "a", Limit: limit, N: 0},
			{Key: "a", Limit: algorithms.Limit{Requests: 5}, N: 1},
			{Key: "a", Limit: limit, N: 1},
		}
		out := make([]algorithms.Result, len(reqs))
		l.(algorithms.Batcher).AllowBatch(context.Background(), reqs, out)
		if out[0].Err != nil || !out[0].Decision.Allowed || out[3].Err != nil || !out[3].Decision.Allowed {
			t.Errorf("%s: valid requests got %+v and %+v, want both allowed", name, out[0], out[3])
		}
		if !errors.Is(out[1].Err, algorithms.ErrInvalidCost) || !errors.Is(out[2].Err, algorithms.ErrInvalidLimit) {
			t.Errorf("%s: invalid requests got %v and %v, want ErrInvalidCost and ErrInvalidLimit", name, out[1].Err, out[2].Err)
		}
	}
}

// TestAllowBatchNoScript: after SCRIPT FLUSH every request of a batch
// finds its script missing; the batch sends them again as EVAL, which
// loads the script for the next batch, and decides each once: 3 of 5
// admitted, then none.
func TestAllowBatchNoScript(t *testing.T) {
	for envName, open := range batchEnvs(t) {
		t.Run(envName, func(t *testing.T) {
			rdb := open(t)
			limit := algorithms.Limit{Requests: 3, Window: time.Minute}
			for _, name := range algorithms.Names() {
				l, _ := algorithms.New(name, rdb, algorithms.Options{Clock: &fakeClock{t: epoch}})
				if err := algorithms.Preload(context.Background(), rdb); err != nil {
					t.Fatal(err)
				}
				if err := rdb.ScriptFlush(context.Background()).Err(); err != nil {
					t.Fatal(err)
				}
				reqs := make([]algorithms.Request, 5)
				for i := range reqs {
					reqs[i] = algorithms.Request{Key: "noscript", Limit: limit, N: 1}
				}
				for round, want := range []int{3, 0} {
					out := make([]algorithms.Result, len(reqs))
					l.(algorithms.Batcher).AllowBatch(context.Background(), reqs, out)
					passed := 0
					for i, r := range out {
						if r.Err != nil {
							t.Fatalf("%s round %d request %d: %v", name, round, i, r.Err)
						}
						if r.Decision.Allowed {
							passed++
						}
					}
					if passed != want {
						t.Errorf("%s round %d: %d admitted, want %d", name, round, passed, want)
					}
				}
			}
		})
	}
}

// TestAllowBatchFailedRoundTrip: a batch that cannot reach Redis fails
// every request with the client's error, wrapped with the algorithm's
// name.
func TestAllowBatchFailedRoundTrip(t *testing.T) {
	m, _ := startMini(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	m.Close()
	limit := algorithms.Limit{Requests: 3, Window: time.Minute}
	for _, name := range batchers(t) {
		l, _ := algorithms.New(name, rdb, algorithms.Options{})
		out := make([]algorithms.Result, 4)
		reqs := []algorithms.Request{{"k", limit, 1}, {"k", limit, 1}, {"k", limit, 1}, {"k", limit, 1}}
		l.(algorithms.Batcher).AllowBatch(context.Background(), reqs, out)
		for i, r := range out {
			if r.Err == nil {
				t.Errorf("%s request %d: decided %+v by a closed server", name, i, r.Decision)
			}
		}
	}
}

// TestAllowBatchStormRedis is the storm pipelined: 16 goroutines send 8
// batches of 16 at one key with limit 100, on the server clock; every
// atomic algorithm admits exactly 100, three rounds over.
func TestAllowBatchStormRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := stormClient(t, srv)
	limit := algorithms.Limit{Requests: 100, Window: 600 * time.Second}
	for _, name := range algorithms.Names() {
		l, _ := algorithms.New(name, rdb, algorithms.Options{})
		for round := range 3 {
			key := fmt.Sprintf("batchstorm:%d", round)
			var passed, failed atomic.Int64
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					reqs := make([]algorithms.Request, 16)
					for i := range reqs {
						reqs[i] = algorithms.Request{Key: key, Limit: limit, N: 1}
					}
					out := make([]algorithms.Result, len(reqs))
					for range 8 {
						l.(algorithms.Batcher).AllowBatch(context.Background(), reqs, out)
						for _, r := range out {
							switch {
							case r.Err != nil:
								failed.Add(1)
							case r.Decision.Allowed:
								passed.Add(1)
							}
						}
					}
				})
			}
			wg.Wait()
			if failed.Load() != 0 || passed.Load() != 100 {
				t.Errorf("%s round %d: %d admitted, %d failed; want exactly 100 and none", name, round, passed.Load(), failed.Load())
			}
		}
	}
}

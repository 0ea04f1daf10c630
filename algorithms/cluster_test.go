package algorithms_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/internal/redistest"
)

// The package's tests share one Redis Cluster; Main stops it.
func TestMain(m *testing.M) { redistest.Main(m) }

// clusterClient is a client of the shared cluster with pool connections
// per node, all dialled up front.
func clusterClient(t *testing.T, c *redistest.Cluster, pool int) *redis.ClusterClient {
	t.Helper()
	opts, err := redis.ParseClusterURL(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.PoolSize, opts.MinIdleConns = pool, pool
	rdb := redis.NewClusterClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// masterOf is the address of the master serving the slot of userKey's
// hash tag: where every key of its decisions lives.
func masterOf(t *testing.T, rdb *redis.ClusterClient, userKey string) string {
	t.Helper()
	m, err := rdb.MasterForKey(context.Background(), "{"+userKey+"}")
	if err != nil {
		t.Fatal(err)
	}
	return m.Options().Addr
}

// TestConformanceCluster runs the conformance table on a cluster of three
// masters and three replicas: the same exact admissions as on one server.
func TestConformanceCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	for _, client := range redisconn.Clients() {
		t.Run(client, func(t *testing.T) {
			decide := through(t, client, nil, c.URL)
			runConformance(t, func(t *testing.T) env {
				redistest.StartCluster(t) // every master emptied
				clock := &fakeClock{t: epoch}
				return env{rdb: c.Client(t), decide: decide, opts: algorithms.Options{Clock: clock}, setNow: clock.Set, slack: time.Second}
			})
		})
	}
}

// TestStormCluster is TestStormRedis on the cluster, with keys on every
// master: exactly 100 admitted every round. Fewer rounds than on one
// server: the atomicity is the script's, and one round per key's master
// shows it holds there.
func TestStormCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb := clusterClient(t, c, 64)
	limit := algorithms.Limit{Requests: 100, Window: 600 * time.Second}
	keys := []string{"storm:a", "storm:b", "storm:c", "storm:d", "storm:e", "storm:f"}
	masters := map[string]bool{}
	for _, k := range keys {
		masters[masterOf(t, rdb, k)] = true
	}
	if len(masters) != 3 {
		t.Fatalf("storm keys %v reach %d masters, want 3", keys, len(masters))
	}
	for _, client := range redisconn.Clients() {
		redistest.StartCluster(t) // every master emptied: the same keys again
		decide := through(t, client, rdb, c.URL)
		for _, name := range algorithms.Names() {
			t.Run(client+"/"+name, func(t *testing.T) {
				l, err := algorithms.New(name, decide, algorithms.Options{})
				if err != nil {
					t.Fatal(err)
				}
				for _, key := range keys {
					if got := storm(t, l, key, limit, 64, 10); got != 100 {
						t.Errorf("key %s on %s: %d admitted, want exactly 100", key, masterOf(t, rdb, key), got)
					}
				}
			})
		}
	}
}

// everyLimiter is every registered limiter: the atomic ones, the seed
// replays and the baseline.
func everyLimiter() []string {
	return slices.Concat(algorithms.Names(), algorithms.SeedNames(), []string{algorithms.BaselineName})
}

// TestNoCrossSlot decides for 600 user keys, spread over every slot range,
// with every limiter and both clocks: no CROSSSLOT or non-local-key error,
// and every key an atomic decision wrote lives on the master of its user
// key's hash tag, on every master.
func TestNoCrossSlot(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb := clusterClient(t, c, 4)
	ctx := context.Background()
	limit := algorithms.Limit{Requests: 5, Window: time.Minute}
	users := make([]string, 600)
	for i := range users {
		users[i] = fmt.Sprintf("user:%d", i)
	}
	for _, clock := range []struct {
		name string
		opts algorithms.Options
	}{{"server-clock", algorithms.Options{}}, {"client-clock", algorithms.Options{Clock: algorithms.ClockFunc(time.Now)}}} {
		for _, name := range everyLimiter() {
			t.Run(clock.name+"/"+name, func(t *testing.T) {
				redistest.StartCluster(t) // the seed replays share key names
				l, err := algorithms.New(name, rdb, clock.opts)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range users {
					for range 2 {
						if _, err := l.AllowN(ctx, u, limit, 1); err != nil {
							t.Fatalf("%s for %s (on %s): %v", name, u, masterOf(t, rdb, u), err)
						}
					}
				}
				if slices.Contains(algorithms.Names(), name) {
					checkKeysOnTheirMaster(t, rdb)
				}
			})
		}
	}
}

// checkKeysOnTheirMaster asserts that each rl:{u}:... key is on u's
// master, and that every master holds some.
func checkKeysOnTheirMaster(t *testing.T, rdb *redis.ClusterClient) {
	t.Helper()
	var mu sync.Mutex
	held := map[string]int{}
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		keys, err := m.Keys(ctx, "rl:{*").Result()
		for _, k := range keys {
			u, _, _ := strings.Cut(strings.TrimPrefix(k, "rl:{"), "}")
			if want := masterOf(t, rdb, u); want != m.Options().Addr {
				t.Errorf("key %s is on %s, its user key's master is %s", k, m.Options().Addr, want)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		held[m.Options().Addr] = len(keys)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for m, n := range held {
		if n == 0 {
			t.Errorf("master %s holds no limiter key: the keys did not spread (%v)", m, held)
		}
	}
}

// TestScriptFlushCluster makes every master forget the scripts in mid-test:
// first one master, then all of them. The next decision on every master
// gets NOSCRIPT, falls back to EVAL and carries on from the state it left.
func TestScriptFlushCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	rdb := clusterClient(t, c, 4)
	ctx := context.Background()
	users := []string{"flush:a", "flush:b", "flush:c", "flush:d", "flush:e", "flush:f"}
	masters := c.MasterClients(t)
	reached := map[string]bool{}
	for _, u := range users {
		reached[masterOf(t, rdb, u)] = true
	}
	if len(reached) != len(masters) {
		t.Fatalf("users %v reach %d masters, want %d", users, len(reached), len(masters))
	}
	flushes := []struct {
		name  string
		nodes []*redis.Client
	}{{"one master", masters[:1]}, {"every master", masters}}
	for _, client := range redisconn.Clients() {
		redistest.StartCluster(t) // every master emptied: the same users again
		decide := through(t, client, rdb, c.URL)
		if err := algorithms.Preload(ctx, rdb); err != nil {
			t.Fatal(err)
		}
		scriptFlushes(t, client, decide, rdb, users, flushes)
	}
}

// scriptFlushes is TestScriptFlushCluster through the client named client,
// decide: rdb reads where keys live.
func scriptFlushes(t *testing.T, client string, decide redis.UniversalClient, rdb *redis.ClusterClient, users []string, flushes []struct {
	name  string
	nodes []*redis.Client
}) {
	ctx := context.Background()
	limit := algorithms.Limit{Requests: 10, Window: time.Minute}
	for _, name := range algorithms.Names() {
		t.Run(client+"/"+name, func(t *testing.T) {
			l, err := algorithms.New(name, decide, algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return epoch })})
			if err != nil {
				t.Fatal(err)
			}
			decide := func(u string, want int64) {
				t.Helper()
				d, err := l.AllowN(ctx, u, limit, 1)
				if err != nil {
					t.Fatalf("%s on %s: %v", u, masterOf(t, rdb, u), err)
				}
				if !d.Allowed || d.Remaining != want {
					t.Errorf("%s: allowed %v, remaining %d; want allowed with %d", u, d.Allowed, d.Remaining, want)
				}
			}
			for _, u := range users {
				decide(u, 9)
			}
			for i, f := range flushes {
				for _, m := range f.nodes {
					if err := m.ScriptFlush(ctx).Err(); err != nil {
						t.Fatal(err)
					}
					if err := m.ConfigResetStat(ctx).Err(); err != nil {
						t.Fatal(err)
					}
				}
				for _, u := range users {
					decide(u, int64(8-i))
				}
				// The fallback really ran: each flushed master answered
				// NOSCRIPT to an EVALSHA.
				for _, m := range f.nodes {
					info, err := m.Info(ctx, "errorstats").Result()
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(info, "errorstat_NOSCRIPT:count=") {
						t.Errorf("after flushing %s, %s answered no NOSCRIPT:\n%s", f.name, m.Options().Addr, info)
					}
				}
			}
		})
	}
}

package algorithms_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
)

// TestConformanceSentinel runs the conformance table through one go-redis
// failover client on a Sentinel deployment, fails the master over with
// SENTINEL FAILOVER, and runs the table and the storm again through the
// same client: it follows the new master, whose script cache is empty
// (EVALSHA's NOSCRIPT, then EVAL), and every decision is as exact as
// before.
//
// It runs through each client, on a deployment of its own: rueidis
// follows the master through its own sentinel client.
func TestConformanceSentinel(t *testing.T) {
	for _, client := range redisconn.Clients() {
		t.Run(client, func(t *testing.T) { sentinelConformance(t, client) })
	}
}

func sentinelConformance(t *testing.T, client string) {
	d := redistest.StartSentinel(t)
	base := d.Client(t)
	rdb := through(t, client, base, d.URL)
	newEnv := func(t *testing.T) env {
		if err := base.FlushAll(t.Context()).Err(); err != nil {
			t.Fatalf("FLUSHALL: %v", err)
		}
		clock := &fakeClock{t: epoch}
		return env{rdb: base, decide: rdb, opts: algorithms.Options{Clock: clock}, setNow: clock.Set, slack: time.Second}
	}
	t.Run("before failover", func(t *testing.T) {
		checkServedBy(t, rdb, d.Master)
		runConformance(t, newEnv)
	})

	promoted := d.Failover(t)
	// Statistics from here on are the new master's own, not those of the
	// writes it replicated.
	direct := redis.NewClient(&redis.Options{Addr: promoted.Addr})
	t.Cleanup(func() { _ = direct.Close() })
	if err := direct.ConfigResetStat(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	// The client may have pooled connections to the old master, now a
	// read-only replica: it drops each on its READONLY error and asks the
	// sentinels again. Decisions go on once it has.
	l, err := algorithms.New("gcra", rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	failed := 0
	for {
		_, err := l.AllowN(t.Context(), "after-failover", limit10, 1)
		if err == nil {
			break
		}
		failed++
		if time.Now().After(deadline) {
			t.Fatalf("no decision through the failover client 30s after the failover (%d failed; last: %v)", failed, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d decisions failed while the client found the new master", failed)
	// The go-redis client that reads and empties the keys finds it too.
	for base.Set(t.Context(), "after-failover:probe", 1, time.Minute).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("the go-redis failover client found no writable master 30s after the failover")
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkServedBy(t, rdb, promoted)
	stats, err := direct.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	f := redisserver.ParseInfo(stats)
	if !strings.Contains(f["cmdstat_evalsha"], "failed_calls=1") || !strings.HasPrefix(f["cmdstat_eval"], "calls=1,") {
		t.Errorf("on the new master: evalsha %q, eval %q; want an EVALSHA refused with NOSCRIPT, then an EVAL", f["cmdstat_evalsha"], f["cmdstat_eval"])
	}
	t.Logf("new master's commandstats: evalsha %s; eval %s", f["cmdstat_evalsha"], f["cmdstat_eval"])

	t.Run("after failover", func(t *testing.T) { runConformance(t, newEnv) })
	t.Run("storm after failover", func(t *testing.T) {
		limit := algorithms.Limit{Requests: 100, Window: 600 * time.Second}
		for _, name := range algorithms.Names() {
			l, err := algorithms.New(name, rdb, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := storm(t, l, "storm", limit, 64, 10); got != 100 {
				t.Errorf("%s: %d admitted, want exactly 100", name, got)
			}
		}
	})
}

// checkServedBy asserts that rdb's commands reach s.
func checkServedBy(t *testing.T, rdb redis.UniversalClient, s *redisserver.Server) {
	t.Helper()
	info, err := rdb.Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if port := redisserver.ParseInfo(info)["tcp_port"]; port != strconv.Itoa(s.Port) {
		t.Fatalf("the failover client talks to port %s, want %d", port, s.Port)
	}
}

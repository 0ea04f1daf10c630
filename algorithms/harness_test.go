package algorithms_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
)

// epoch is where simulated time starts: aligned to every window the tests use.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is an algorithms.Clock that tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is one Redis and one way of telling it the time: what the
// conformance table runs on.
type env struct {
	// rdb is where the test reads keys; decide, when set, is the client
	// the limiters decide through (rueidis), else rdb.
	rdb    redis.UniversalClient
	decide redis.UniversalClient
	opts   algorithms.Options
	// setNow moves the time the limiters see.
	setNow func(time.Time)
	// slack is how much real time may pass between a write and a PTTL read.
	slack time.Duration
}

// miniEnvs gives the two clock modes on miniredis: the client's clock in
// ARGV, and the server's TIME (miniredis.SetTime).
func miniEnvs(t *testing.T) map[string]func(t *testing.T) env {
	return map[string]func(t *testing.T) env{
		"client-clock": func(t *testing.T) env {
			_, rdb := startMini(t)
			clock := &fakeClock{t: epoch}
			return env{rdb: rdb, opts: algorithms.Options{Clock: clock}, setNow: clock.Set}
		},
		"server-clock": func(t *testing.T) env {
			m, rdb := startMini(t)
			m.SetTime(epoch)
			return env{rdb: rdb, setNow: m.SetTime}
		},
	}
}

func startMini(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return m, rdb
}

// through is a client of the deployment at rawURL (a redis://, cluster or
// redis-sentinel:// URL) that decides through client: base itself for
// go-redis, a rueidis client behind go-redis's interface for rueidis,
// opened as rlbench opens it and closed with the test. Parameterizing a
// test by it runs the same checks on every client rlbench has.
func through(t *testing.T, client string, base redis.UniversalClient, rawURL string) redis.UniversalClient {
	t.Helper()
	if client == redisconn.ClientGoRedis {
		return base
	}
	tgt, err := redisconn.Open(t.Context(), rawURL, redisconn.Options{})
	if err != nil {
		t.Fatalf("redisconn.Open: %v", err)
	}
	t.Cleanup(func() { _ = tgt.Close() })
	c, err := tgt.Driver(t.Context(), client)
	if err != nil {
		t.Fatalf("Driver(%s): %v", client, err)
	}
	return c
}

// ask sends count requests of cost 1 at one instant and returns the decisions.
func ask(t *testing.T, l algorithms.Limiter, key string, limit algorithms.Limit, count int) []algorithms.Decision {
	t.Helper()
	out := make([]algorithms.Decision, count)
	for i := range out {
		d, err := l.AllowN(context.Background(), key, limit, 1)
		if err != nil {
			t.Fatalf("%s AllowN #%d: %v", l.Name(), i, err)
		}
		out[i] = d
	}
	return out
}

func admitted(ds []algorithms.Decision) int {
	n := 0
	for _, d := range ds {
		if d.Allowed {
			n++
		}
	}
	return n
}

// snapshot renders every key of the database with its value, for checking
// that a decision changed nothing.
func snapshot(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	ctx := context.Background()
	keys := keysOf(t, rdb, "*")
	var b strings.Builder
	for _, k := range keys {
		typ := rdb.Type(ctx, k).Val()
		var v any
		switch typ {
		case "string":
			v = rdb.Get(ctx, k).Val()
		case "hash":
			v = rdb.HGetAll(ctx, k).Val()
		case "zset":
			v = rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "list":
			v = rdb.LRange(ctx, k, 0, -1).Val()
		default:
			t.Fatalf("key %s has unexpected type %s", k, typ)
		}
		fmt.Fprintf(&b, "%s %s %v\n", k, typ, v)
	}
	return b.String()
}

// pttls returns the remaining TTL of every key whose name holds the user
// key's hash tag.
func pttls(t *testing.T, rdb redis.UniversalClient, userKey string) map[string]time.Duration {
	t.Helper()
	ctx := context.Background()
	keys := keysOf(t, rdb, "*{"+userKey+"}*")
	out := map[string]time.Duration{}
	for _, k := range keys {
		out[k] = rdb.PTTL(ctx, k).Val()
	}
	return out
}

// keysOf lists the keys matching pattern, sorted: from every master of a
// cluster, since KEYS on a cluster client reaches one node only.
func keysOf(t *testing.T, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var keys []string
	add := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, pattern).Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, ks...)
		return err
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, add)
	case *redis.Client:
		err = add(ctx, c)
	default:
		t.Fatalf("keysOf: %T", rdb)
	}
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

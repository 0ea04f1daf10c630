package redisconn

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// info is a reply of redis-server 7.0.15 to INFO commandstats cpu memory
// keyspace, shortened.
const info = "# Commandstats\r\n" +
	"cmdstat_evalsha:calls=2000,usec=30000,usec_per_call=15.00,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_client|setinfo:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n" +
	"cmdstat_get:calls=4000,usec=4000,usec_per_call=1.00,rejected_calls=3,failed_calls=0\r\n" +
	"\r\n# CPU\r\nused_cpu_sys:1.250007\r\nused_cpu_user:0.5\r\n" +
	"used_cpu_sys_children:9.000000\r\nused_cpu_user_children:9.000000\r\n" +
	"\r\n# Memory\r\nused_memory:1038632\r\nused_memory_human:1014.29K\r\nused_memory_lua:31744\r\n" +
	"\r\n# Keyspace\r\ndb0:keys=12,expires=11,avg_ttl=3000\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"

func TestParseStats(t *testing.T) {
	s, err := ParseStats(info)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{
		Calls:     map[string]int64{"evalsha": 2000, "client|setinfo": 2, "get": 4000},
		CPUMicros: 1_750_007, UsedMemory: 1038632, Keys: 13, Masters: 1,
	}
	if !maps.Equal(s.Calls, want.Calls) || s.CPUMicros != want.CPUMicros || s.UsedMemory != want.UsedMemory || s.Keys != want.Keys || s.Masters != 1 {
		t.Errorf("ParseStats = %+v\nwant %+v", s, want)
	}
	d := s.Sub(Stats{Calls: map[string]int64{"evalsha": 1500, "get": 4000}, CPUMicros: 750_000, UsedMemory: 1038000, Keys: 10})
	if !maps.Equal(d.Calls, map[string]int64{"evalsha": 500, "client|setinfo": 2}) || d.CPUMicros != 1_000_007 || d.UsedMemory != 632 || d.Keys != 3 {
		t.Errorf("Sub = %+v", d)
	}
}

func TestParseStatsRefuses(t *testing.T) {
	for name, reply := range map[string]string{
		"no cpu":         "used_memory:100\r\n",
		"no memory":      "used_cpu_sys:1.0\r\nused_cpu_user:1.0\r\n",
		"bad calls":      "cmdstat_get:calls=x\r\nused_memory:1\r\nused_cpu_sys:1.0\r\nused_cpu_user:1.0\r\n",
		"no calls":       "cmdstat_get:usec=1\r\nused_memory:1\r\nused_cpu_sys:1.0\r\nused_cpu_user:1.0\r\n",
		"bad cpu":        "used_memory:1\r\nused_cpu_sys:1.x\r\nused_cpu_user:1.0\r\n",
		"bad keyspace":   "used_memory:1\r\nused_cpu_sys:1\r\nused_cpu_user:1\r\ndb0:expires=1\r\n",
		"memory as text": "used_memory:lots\r\nused_cpu_sys:1\r\nused_cpu_user:1\r\n",
	} {
		if s, err := ParseStats(reply); err == nil {
			t.Errorf("%s: ParseStats = %+v, want an error", name, s)
		}
	}
}

// TestStatsRealRedis: a command run on a real server shows in the next
// snapshot, counted once, and a script's commands count as their own.
func TestStatsRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	srv.Client(t)
	ctx := t.Context()
	tgt, err := Open(ctx, srv.URL, Options{PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	before, err := tgt.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tgt.Client.Eval(ctx, "redis.call('SET', KEYS[1], 1, 'PX', 60000); return redis.call('GET', KEYS[1])", []string{"k"}).Err(); err != nil {
		t.Fatal(err)
	}
	after, err := tgt.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := after.Sub(before)
	// The INFO of the first snapshot is counted by the second.
	want := map[string]int64{"eval": 1, "set": 1, "get": 1, "info": 1}
	if !maps.Equal(d.Calls, want) || d.Keys != 1 || d.Masters != 1 {
		t.Errorf("delta %+v, want calls %v and 1 key", d, want)
	}

	n, err := tgt.Census(ctx, "*", func(k string) bool { return k == "k" }, time.Minute, 5)
	if err != nil {
		t.Fatal(err)
	}
	if n.Keys != 1 || n.WithoutTTL != 0 || n.PastTTL != 0 || n.Sampled != 1 || n.SampledBytes <= 0 {
		t.Errorf("census %+v, want 1 key, measured", n)
	}
	if n, _ := tgt.Census(ctx, "*", func(string) bool { return true }, 30*time.Second, 5); n.PastTTL != 1 {
		t.Errorf("census %+v, want the key past a 30s TTL", n)
	}
}

// TestForEachMasterSingle: a single server is its own one master.
func TestForEachMasterSingle(t *testing.T) {
	tgt, err := Open(t.Context(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var seen []*redis.Client
	if err := tgt.ForEachMaster(t.Context(), func(_ context.Context, c *redis.Client) error {
		seen = append(seen, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != tgt.Client {
		t.Errorf("ForEachMaster visited %v, want the target's client", seen)
	}
	stop := errors.New("stop")
	if err := tgt.ForEachMaster(t.Context(), func(context.Context, *redis.Client) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ForEachMaster = %v, want fn's error", err)
	}
	if _, err := tgt.Stats(t.Context()); !errors.Is(err, ErrNoStats) {
		t.Errorf("Stats on miniredis = %v, want ErrNoStats", err)
	}
}

func TestGlobEscape(t *testing.T) {
	if got, want := GlobEscape(`a*b?[c]\d`), `a\*b\?\[c\]\\d`; got != want {
		t.Errorf("GlobEscape = %q, want %q", got, want)
	}
}

// TestForEachMasterCluster: on a cluster, fn sees each of the 3 masters
// once, and Stats and Census sum over them.
func TestForEachMasterCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	tgt, err := Open(t.Context(), c.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	var mu sync.Mutex
	seen := map[string]int{}
	if err := tgt.ForEachMaster(t.Context(), func(_ context.Context, m *redis.Client) error {
		mu.Lock()
		defer mu.Unlock()
		seen[m.Options().Addr]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("ForEachMaster visited %v, want 3 masters once each", seen)
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		if err := tgt.Client.Set(t.Context(), "census:"+k, 1, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := tgt.Stats(t.Context())
	if err != nil || s.Masters != 3 {
		t.Fatalf("Stats = %+v, %v; want 3 masters", s, err)
	}
	n, err := tgt.Census(t.Context(), "census:*", func(string) bool { return true }, time.Minute, 20)
	if err != nil || n.Keys != 12 || n.Sampled != 12 || n.WithoutTTL != 0 || n.PastTTL != 0 {
		t.Errorf("Census = %+v, %v; want 12 keys, all measured, all with a TTL", n, err)
	}
}

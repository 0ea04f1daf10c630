package bench

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// TestMain stops the Redis Cluster that the package's tests share.
func TestMain(m *testing.M) { redistest.Main(m) }

// costLoad is a closed load of n requests from 8 workers at one key or
// many, under limit.
func costLoad(n int64, keys int, limit algorithms.Limit) *Load {
	return &Load{
		Limit: limit, Requests: n, Concurrency: 8, MaxInflight: 8,
		Key: "user:1", Keys: keys, KeyDist: "uniform", Seed: 7,
		Timeout: 5 * time.Second, Interval: 100 * time.Millisecond, MissAfter: 10 * time.Millisecond,
	}
}

// execute runs each algorithm once under load on the Redis at url.
func execute(t *testing.T, url string, load *Load, algos ...string) *report.File {
	t.Helper()
	ctx := t.Context()
	s, err := Open(ctx, url, redisconn.Options{PoolSize: load.Concurrency}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	plan := Plan{Algorithms: algos, Workloads: []string{Closed}, Limits: []algorithms.Limit{load.Limit}}
	var f report.File
	if _, err := s.Execute(ctx, plan.Runs(), &f, nil); err != nil {
		t.Fatal(err)
	}
	return &f
}

// commandsOf is what one run of each algorithm sends Redis, given its
// decisions (sent), its admissions and the keys it left: the client's
// commands and those its script runs, command for command. Every decision
// here costs 1.
var commandsOf = map[string]func(sent, accepted, keys int64) map[string]int64{
	"fixed": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "get": s, "incrby": a, "pexpire": a}
	},
	// LINDEX 0 reads the newest entry; past a key's first decision LLEN
	// counts and LRANGE -1 -1 finds the oldest still in the window (the
	// hour expires nothing); a rejection also reads the entry in its way.
	"sliding": func(s, a, k int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "lindex": s + (s - a), "llen": s - k, "lrange": s - k, "lpush": a, "pexpire": a}
	},
	"sliding-counter": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "get": 2 * s, "incrby": a, "pexpire": a}
	},
	"token": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "hmget": s, "hset": a, "pexpire": a}
	},
	"leaky": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "hmget": s, "hset": a, "pexpire": a}
	},
	"gcra": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"evalsha": s, "time": s, "get": s, "set": a}
	},
	// EXPIRE once per key, when its count is new.
	"seed-fixed": func(s, _, keys int64) map[string]int64 {
		return map[string]int64{"incrby": s, "expire": keys}
	},
	"seed-sliding": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"zremrangebyscore": s, "zcard": s, "zadd": a, "expire": a}
	},
	"seed-leaky": func(s, a, _ int64) map[string]int64 {
		return map[string]int64{"ltrim": s, "llen": s, "lpush": a, "expire": a}
	},
	"baseline": func(s, _, _ int64) map[string]int64 { return map[string]int64{"ping": s} },
}

// TestRedisCostExact: on a real redis-server, every command of every
// algorithm's run is counted, exactly: one script call per decision for
// the atomic algorithms, 2 + 2 per admission for the seed's sliding
// window and leaky bucket, 1 + 1 per key for its fixed window. No key is
// left without a TTL or with one longer than its algorithm sets.
func TestRedisCostExact(t *testing.T) {
	srv := redistest.Start(t)
	srv.Client(t) // FLUSHALL
	const sent = 300
	for _, keys := range []int{1, 20} {
		algos := append(append(algorithms.Names(), algorithms.SeedNames()...), algorithms.BaselineName)
		f := execute(t, srv.URL, costLoad(sent, keys, algorithms.Limit{Requests: 100, Window: time.Hour}), algos...)
		for _, r := range f.Runs {
			c := r.RedisCost
			if c == nil {
				t.Fatalf("%s, %d keys: no Redis cost: %s", r.Algorithm, keys, r.RedisCostUnavailable)
			}
			if r.Counts.Sent != sent || r.Counts.Errors+r.Counts.Unknown != 0 {
				t.Fatalf("%s, %d keys: counts %+v, want %d sent without errors", r.Algorithm, keys, r.Counts, sent)
			}
			want := commandsOf[r.Algorithm](r.Counts.Sent, r.Counts.Accepted, c.Keys)
			if !maps.Equal(c.CommandsByName, want) {
				t.Errorf("%s, %d keys: commands %v\nwant %v", r.Algorithm, keys, c.CommandsByName, want)
			}
			if c.Masters != 1 {
				t.Errorf("%s: masters %d, want 1", r.Algorithm, c.Masters)
			}
			script := strings.HasPrefix(r.Algorithm, "seed-") || r.Algorithm == algorithms.BaselineName
			if !script && (c.ScriptCalls != sent || c.CommandsPerDecision != 1) {
				t.Errorf("%s: %d script calls, %v commands per decision; want %d, 1", r.Algorithm, c.ScriptCalls, c.CommandsPerDecision, sent)
			}
			if script && (c.ScriptCalls != 0 || c.ScriptCommands != 0) {
				t.Errorf("%s: %d script calls running %d commands, want none", r.Algorithm, c.ScriptCalls, c.ScriptCommands)
			}
			wantKeys := int64(keys)
			if r.Algorithm == algorithms.BaselineName {
				wantKeys = 0
			}
			// An hour's aligned window may end during the run: one more key.
			if c.Keys < wantKeys || c.Keys > 2*wantKeys {
				t.Errorf("%s, %d keys: census found %d keys", r.Algorithm, keys, c.Keys)
			}
			if c.KeysWithoutTTL != 0 || c.KeysPastTTL != 0 {
				t.Errorf("%s, %d keys: %d keys without a TTL, %d past the longest (%dµs), want 0", r.Algorithm, keys, c.KeysWithoutTTL, c.KeysPastTTL, c.LongestTTLUS)
			}
		}
	}
}

// TestRedisCostCluster: on a cluster of 3 masters the cost is summed over
// them, command for command, and the census finds every key on whichever
// master holds it. The cluster client's own topology commands (CLUSTER
// SLOTS, COMMAND) are no decision's and are left out.
func TestRedisCostCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	const sent = 300
	algos := []string{"fixed", "sliding", "seed-sliding", "seed-leaky"}
	f := execute(t, c.URL, costLoad(sent, 30, algorithms.Limit{Requests: 5, Window: time.Hour}), algos...)
	for _, r := range f.Runs {
		cost := r.RedisCost
		if cost == nil {
			t.Fatalf("%s: no Redis cost: %s", r.Algorithm, r.RedisCostUnavailable)
		}
		want := commandsOf[r.Algorithm](r.Counts.Sent, r.Counts.Accepted, cost.Keys)
		if !maps.Equal(cost.CommandsByName, want) {
			t.Errorf("%s: commands %v\nwant %v", r.Algorithm, cost.CommandsByName, want)
		}
		if cost.Masters != 3 || cost.Keys != 30 || cost.KeysWithoutTTL != 0 || cost.KeysPastTTL != 0 {
			t.Errorf("%s: %d masters, %d keys (%d without a TTL, %d past it); want 3 masters, 30 keys, none",
				r.Algorithm, cost.Masters, cost.Keys, cost.KeysWithoutTTL, cost.KeysPastTTL)
		}
		if cost.MemoryUsageSampled != 30 {
			t.Errorf("%s: MEMORY USAGE of %d keys, want all 30 (at most %d per master)", r.Algorithm, cost.MemoryUsageSampled, report.MaxMemoryUsageSample)
		}
	}
}

// TestRedisCostTiers: with tiers, the keys' TTLs are held to the longest
// that any tier's limit needs (the census cannot tell a key's tier), so
// the premium tier's hour does not count as outliving the free tier's
// minute.
func TestRedisCostTiers(t *testing.T) {
	srv := redistest.Start(t)
	srv.Client(t)
	free := algorithms.Limit{Requests: 10, Window: time.Minute}
	premium := algorithms.Limit{Requests: 100, Window: time.Hour}
	load := costLoad(200, 8, free)
	load.Tiers = []workload.Tier{{Name: "free", Limit: free, Share: 0.5}, {Name: "premium", Limit: premium, Share: 0.5}}
	f := execute(t, srv.URL, load, "fixed")
	c := f.Runs[0].RedisCost
	if c == nil {
		t.Fatal(f.Runs[0].RedisCostUnavailable)
	}
	want, _ := algorithms.LongestTTL("fixed", premium, algorithms.Options{})
	if c.Keys < 8 || c.KeysPastTTL != 0 || c.LongestTTLUS != want.Microseconds() {
		t.Errorf("%d keys, %d past a longest TTL of %dµs; want 8 or more, none past %dµs", c.Keys, c.KeysPastTTL, c.LongestTTLUS, want.Microseconds())
	}
}

// TestRedisCostSlidingMembers: the sliding log's MEMORY USAGE over its
// members is what a list element holding an instant costs: about ten
// bytes, not the hundred and more of a sorted-set member.
func TestRedisCostSlidingMembers(t *testing.T) {
	srv := redistest.Start(t)
	srv.Client(t)
	f := execute(t, srv.URL, costLoad(500, 1, algorithms.Limit{Requests: 400, Window: time.Hour}), "sliding")
	c := f.Runs[0].RedisCost
	if c == nil {
		t.Fatal(f.Runs[0].RedisCostUnavailable)
	}
	if c.Members != 400 || c.MemoryUsageSampled != 1 {
		t.Fatalf("sampled %d keys with %d members, want 1 with 400", c.MemoryUsageSampled, c.Members)
	}
	// A listpack integer (9 bytes and its length) and a share of the
	// quicklist node: about 10 bytes on Redis 7, where a sorted set's
	// skiplist node, dict entry and member took 129.
	if c.MemoryPerMember < 8 || c.MemoryPerMember > 16 {
		t.Errorf("%.1f bytes per member, want 8 to 16", c.MemoryPerMember)
	}
	if c.MemoryUsagePerKey != c.MemoryPerMember*400 {
		t.Errorf("MEMORY USAGE %v, want members × %v", c.MemoryUsagePerKey, c.MemoryPerMember)
	}
}

// TestRedisCostLostExpire: the seed's fixed window sets its TTL in a
// second command; when that command is refused (here by an ACL that
// forbids EXPIRE), the key it counts in never expires, and the census
// says so. The atomic fixed window, which expires inside its script, is
// refused whole and leaves nothing behind.
func TestRedisCostLostExpire(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.Client(t)
	ctx := context.Background()
	if err := admin.Do(ctx, "ACL", "SETUSER", "noexpire", "on", ">secret", "~*", "+@all", "-expire").Err(); err != nil {
		t.Fatal(err)
	}
	url := "redis://noexpire:secret@" + srv.Addr + "/0"
	f := execute(t, url, costLoad(50, 5, algorithms.Limit{Requests: 100, Window: time.Hour}), "seed-fixed")
	c := f.Runs[0].RedisCost
	if c == nil {
		t.Fatal(f.Runs[0].RedisCostUnavailable)
	}
	if c.Keys == 0 || c.KeysWithoutTTL != c.Keys {
		t.Errorf("%d of %d keys without a TTL, want all", c.KeysWithoutTTL, c.Keys)
	}
	// The refused EXPIREs are rejected_calls, not calls.
	if c.CommandsByName["expire"] != 0 || c.CommandsByName["incrby"] != 50 {
		t.Errorf("commands %v, want 50 INCRBY and no EXPIRE", c.CommandsByName)
	}
	var out strings.Builder
	if err := report.Table.Render(&out, f); err != nil {
		t.Fatal(err)
	}
	want := "ttl: seed-fixed/closed: no TTL on 5 of 5 keys: they never expire"
	if c.Keys != 5 {
		want = "ttl: seed-fixed/closed: no TTL on" // an hour's window ended during the run
	}
	if !strings.Contains(out.String(), want) {
		t.Errorf("table has no %q:\n%s", want, out.String())
	}
}

// TestRedisCostMiniredis: the embedded server cannot say what a decision
// costs; the run says why instead of giving zeros.
func TestRedisCostMiniredis(t *testing.T) {
	f := execute(t, "", costLoad(20, 1, algorithms.Limit{Requests: 10, Window: time.Hour}), "fixed")
	r := f.Runs[0]
	if r.RedisCost != nil || r.RedisCostUnavailable != noCostOnMiniredis {
		t.Fatalf("cost %+v, %q; want none, %q", r.RedisCost, r.RedisCostUnavailable, noCostOnMiniredis)
	}
	var out strings.Builder
	if err := report.Table.Render(&out, f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "│      n/a │") || !strings.Contains(out.String(), "redis cost: n/a: "+noCostOnMiniredis) {
		t.Errorf("table shows no n/a and no reason:\n%s", out.String())
	}
}

package algorithms

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestDecisionAllocs holds a decision to the allocations of go-redis
// alone: AllowN on one connection allocates no more than the same EVALSHA
// sent by go-redis with its KEYS and ARGV built beforehand, the least any
// caller of go-redis can do. On a real redis-server, which allocates
// nothing in this process.
func TestDecisionAllocs(t *testing.T) {
	srv := redistest.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = client.Close() })
	ctx := context.Background()
	if err := Preload(ctx, client); err != nil {
		t.Fatal(err)
	}
	conn := client.Conn()
	t.Cleanup(func() { _ = conn.Close() })
	// So high that every request passes and writes; Remaining and the
	// instant are large numbers either way, which go-redis boxes alike.
	limit := Limit{Requests: 1_000_000_000, Window: time.Minute}
	for _, name := range []string{"fixed", "sliding-counter", "token", "leaky", "gcra"} {
		t.Run(name, func(t *testing.T) {
			l, err := New(name, conn, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s := scriptedOf(t, l)
			key := "allocs:" + name
			keys := []string{s.key(key)}
			argv := []any{""}
			for _, v := range s.params(limit, 1) {
				argv = append(argv, v)
			}
			argv = append(argv, int64(0))
			plain := func() {
				if _, err := s.script.Run(ctx, conn, keys, argv...).Result(); err != nil {
					t.Fatal(err)
				}
			}
			allow := func() {
				if _, err := l.AllowN(ctx, key, limit, 1); err != nil {
					t.Fatal(err)
				}
			}
			allow() // fills the caches, as the first decision of a key does
			goRedis, rlbench := fewestAllocs(plain, allow)
			t.Logf("allocations per decision: go-redis alone %.0f, through AllowN %.0f", goRedis, rlbench)
			if rlbench > goRedis {
				t.Errorf("AllowN allocates %.0f per decision, go-redis alone %.0f: rlbench adds %.0f", rlbench, goRedis, rlbench-goRedis)
			}
		})
	}
}

// TestKeysAndArgsCached checks the caches' bounds and that a client clock
// still sends its time: a cache must never freeze what varies.
func TestKeysAndArgsCached(t *testing.T) {
	s := newScripted("fixed", fixedScript, nil, Options{}, windowParams)
	limit := Limit{Requests: 10, Window: time.Second}
	if a, b := s.keysOf("u"), s.keysOf("u"); &a[0] != &b[0] || a[0] != "rl:{u}:fixed" {
		t.Errorf("keysOf(u) = %v then %v, want one cached rl:{u}:fixed", a, b)
	}
	if got := s.argvOf(limit, 2); len(got) != 5 || got[0] != "" || got[1] != "10" || got[2] != "1000000" || got[3] != "2" || got[4] != "0" {
		t.Errorf("argvOf = %q, want [\"\" 10 1000000 2 0]", got)
	}
	for i := range maxCachedArgs + 10 {
		s.argvOf(Limit{Requests: int64(i + 1), Window: time.Second}, 1)
	}
	if n := len(*s.hot.args.Load()); n != maxCachedArgs {
		t.Errorf("%d limits cached, want at most %d", n, maxCachedArgs)
	}
	if got := s.argvOf(Limit{Requests: 500, Window: time.Second}, 1); got[1] != "500" {
		t.Errorf("argvOf past the cache's bound = %q, want the limit 500", got)
	}
	for i := range maxCachedKeys + 10 {
		s.keysOf(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if n := len(s.hot.keys); n != maxCachedKeys {
		t.Errorf("%d keys cached, want at most %d", n, maxCachedKeys)
	}

	now := time.UnixMicro(1_700_000_000_123_456)
	clocked := newScripted("sliding", slidingScript, nil, Options{Clock: ClockFunc(func() time.Time { return now })}, windowParams)
	got := clocked.argvOf(limit, 1)
	want := []any{"1700000000123456", "10", "1000000", "1", "1000000"}
	if len(got) != len(want) {
		t.Fatalf("argvOf with a client clock = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("argvOf with a client clock = %q, want %q", got, want)
			break
		}
	}
	now = now.Add(time.Millisecond)
	if got := clocked.argvOf(limit, 1); got[0] != "1700000000124456" {
		t.Errorf("the time after the clock moved = %q, want 1700000000124456", got[0])
	}
}

// TestRebindSharesAndDecides checks that a rebound limiter decides on its
// own client, against the same state as the limiter it came from.
func TestRebindSharesAndDecides(t *testing.T) {
	m := miniredis.RunT(t)
	a := redis.NewClient(&redis.Options{Addr: m.Addr()})
	b := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _, _ = a.Close(), b.Close() })
	ctx := context.Background()
	limit := Limit{Requests: 3, Window: time.Hour}
	for _, name := range Names() {
		l, err := New(name, a, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := l.(Rebinder).Rebind(b)
		if r.Name() != name {
			t.Errorf("%s rebound is named %s", name, r.Name())
		}
		var allowed int
		for i := range 4 {
			d, err := []Limiter{l, r}[i%2].AllowN(ctx, "rebind", limit, 1)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed {
				allowed++
			}
		}
		if allowed != 3 {
			t.Errorf("%s and its rebound copy admitted %d of 4 at limit 3, want 3", name, allowed)
		}
	}
}

func scriptedOf(t *testing.T, l Limiter) scripted {
	t.Helper()
	switch v := l.(type) {
	case *FixedWindow:
		return v.scripted
	case *SlidingCounter:
		return v.scripted
	case *TokenBucket:
		return v.scripted
	case *LeakyBucket:
		return v.scripted
	case *GCRA:
		return v.scripted
	case *SlidingLog:
		return v.scripted
	}
	t.Fatalf("%T is not an atomic algorithm", l)
	return scripted{}
}

// fewestAllocs is the fewest allocations per call of a and of b over a
// few rounds, interleaved: what a background goroutine of the client
// allocates meanwhile counts too, and is seldom there in every round.
func fewestAllocs(a, b func()) (float64, float64) {
	fewestA, fewestB := math.Inf(1), math.Inf(1)
	for range 3 {
		fewestA = min(fewestA, testing.AllocsPerRun(200, a))
		fewestB = min(fewestB, testing.AllocsPerRun(200, b))
	}
	return fewestA, fewestB
}

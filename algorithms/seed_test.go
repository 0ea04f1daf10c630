package algorithms_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// commandCounter counts the commands a client sends, pipelines included.
type commandCounter struct{ n int }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n++
		return next(ctx, cmd)
	}
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n += len(cmds)
		return next(ctx, cmds)
	}
}

// TestRoundTripsPerDecision checks that every atomic algorithm decides in
// one EVALSHA once its script is loaded, and that the seed variants make
// the round trips the seed made.
func TestRoundTripsPerDecision(t *testing.T) {
	want := map[string]int{
		"fixed": 1, "sliding": 1, "sliding-counter": 1, "token": 1, "leaky": 1, "gcra": 1,
		// Admitted: INCR (EXPIRE only for a new key); ZREMRANGEBYSCORE,
		// ZCARD, ZADD, EXPIRE; LTRIM, LLEN, LPUSH, EXPIRE.
		"seed-fixed": 1, "seed-sliding": 4, "seed-leaky": 4,
	}
	limit := algorithms.Limit{Requests: 1000, Window: time.Minute}
	for _, name := range append(algorithms.Names(), algorithms.SeedNames()...) {
		t.Run(name, func(t *testing.T) {
			_, rdb := startMini(t)
			counter := &commandCounter{}
			rdb.AddHook(counter)
			clock := &fakeClock{t: epoch}
			l, err := algorithms.New(name, rdb, algorithms.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			ask(t, l, "rt", limit, 1) // loads the script, creates the key
			counter.n = 0
			for i := range 10 {
				clock.Set(epoch.Add(time.Duration(i+1) * time.Millisecond))
				ask(t, l, "rt", limit, 1)
			}
			if got := counter.n; got != 10*want[name] {
				t.Errorf("%d commands for 10 admitted decisions, want %d each", got, want[name])
			}
		})
	}
}

func TestSeedFixedCountsRejectionsAndExpiresPerWindow(t *testing.T) {
	_, rdb := startMini(t)
	clock := &fakeClock{t: epoch.Add(10*time.Second - time.Millisecond)}
	l := algorithms.NewSeedFixed(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 10, Window: time.Second}
	if got := admitted(ask(t, l, "ip", limit, 15)); got != 10 {
		t.Errorf("%d admitted, want 10", got)
	}
	key := "rate_limit:ip:" + strconv.FormatInt(epoch.Add(9*time.Second).Unix(), 10)
	if got := rdb.Get(context.Background(), key).Val(); got != "15" {
		t.Errorf("%s = %q, want 15: the seed counted rejected requests too", key, got)
	}
	if ttl := rdb.TTL(context.Background(), key).Val(); ttl != time.Second {
		t.Errorf("TTL %v, want EXPIRE W = 1s", ttl)
	}
	clock.Set(epoch.Add(10*time.Second + time.Millisecond))
	if got := admitted(ask(t, l, "ip", limit, 15)); got != 10 {
		t.Errorf("2ms later, across the boundary: %d admitted, want another 10", got)
	}
}

func TestSeedSlidingEqualTimestampsShareOneMember(t *testing.T) {
	_, rdb := startMini(t)
	clock := &fakeClock{t: epoch}
	l := algorithms.NewSeedSliding(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 100, Window: 10 * time.Minute}
	if got := admitted(ask(t, l, "ip", limit, 150)); got != 150 {
		t.Errorf("150 requests at one instant: %d admitted, want all 150 (one member)", got)
	}
	if n := rdb.ZCard(context.Background(), "rate_limit:ip").Val(); n != 1 {
		t.Errorf("ZCARD %d, want 1", n)
	}
	// With distinct timestamps it counts right.
	for i := range 150 {
		clock.Set(epoch.Add(time.Second + time.Duration(i)*time.Millisecond))
		ask(t, l, "distinct", limit, 1)
	}
	if n := rdb.ZCard(context.Background(), "rate_limit:distinct").Val(); n != 100 {
		t.Errorf("distinct timestamps: ZCARD %d, want 100", n)
	}
}

func TestSeedLeakyNeverLeaks(t *testing.T) {
	m, rdb := startMini(t)
	clock := &fakeClock{t: epoch}
	l := algorithms.NewSeedLeaky(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 10, Window: time.Second} // leaks 10/s, says the seed
	if got := admitted(ask(t, l, "ip", limit, 15)); got != 10 {
		t.Errorf("%d admitted, want the capacity 10", got)
	}
	// Five seconds later a real leaky bucket would be empty.
	clock.Set(epoch.Add(5 * time.Second))
	if got := admitted(ask(t, l, "ip", limit, 5)); got != 0 {
		t.Errorf("5 s later: %d admitted, want 0: nothing leaks", got)
	}
	// Only the key's expiry, capacity/rate = 1 s after the last push, empties it.
	m.FastForward(time.Second)
	if got := admitted(ask(t, l, "ip", limit, 15)); got != 10 {
		t.Errorf("after the key expired: %d admitted, want 10", got)
	}
}

// A huge capacity over a long window must not overflow the quiet period
// (capacity × window in nanoseconds): the key expires one window after the
// push, as the seed's capacity/rate says.
func TestSeedLeakyHugeLimitExpiry(t *testing.T) {
	m, rdb := startMini(t)
	clock := &fakeClock{t: epoch}
	l := algorithms.NewSeedLeaky(rdb, algorithms.Options{Clock: clock})
	window := 8784 * time.Hour
	limit := algorithms.Limit{Requests: 1e15, Window: window}
	d := ask(t, l, "ip", limit, 1)[0]
	if !d.Allowed || d.ResetAfter != window {
		t.Errorf("decision %+v, want allowed with ResetAfter %v", d, window)
	}
	if ttl := m.TTL("rate_limit:ip"); ttl != window {
		t.Errorf("TTL %v, want %v", ttl, window)
	}
}

package algorithms_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// TestLongestTTLIsReached: LongestTTL is the TTL each algorithm really
// sets when its state lasts longest, to the millisecond, not merely an
// upper bound. At the start of a window a fresh key takes its whole
// capacity at once: the fixed window's key then lasts to the window's
// end, the sliding log's newest entry a window, the counter's two
// windows, the buckets refill (or drain) the whole capacity, GCRA's TAT
// runs the capacity's intervals ahead. The sliding log and the buckets
// count from the newest stamp they hold, which a generator whose clock is
// the skew allowance ahead may have written: their first request comes
// from such a clock. miniredis keeps each TTL as set, since its clock does
// not move.
func TestLongestTTLIsReached(t *testing.T) {
	limit := algorithms.Limit{Requests: 10, Window: time.Minute, Burst: 7}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) // a whole number of minutes
	for _, skew := range []time.Duration{time.Nanosecond, 1500 * time.Microsecond} {
		opts := algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return at }), ClockSkewAllowance: skew}
		aheadOpts := algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return at.Add(skew) }), ClockSkewAllowance: skew}
		for _, name := range append(algorithms.Names(), algorithms.SeedNames()...) {
			m := miniredis.RunT(t)
			rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
			l, err := algorithms.New(name, rdb, opts)
			if err != nil {
				t.Fatal(err)
			}
			first := l
			if name == "sliding" || name == "token" || name == "leaky" {
				if first, err = algorithms.New(name, rdb, aheadOpts); err != nil {
					t.Fatal(err)
				}
			}
			for i := range limit.Capacity() {
				decide := l
				if i == 0 {
					decide = first
				}
				if d, err := decide.AllowN(context.Background(), "u", limit, 1); err != nil || !d.Allowed {
					t.Fatalf("%s: request %d: %+v, %v; want it admitted", name, i, d, err)
				}
			}
			var longest time.Duration
			for _, k := range m.Keys() {
				longest = max(longest, m.TTL(k))
			}
			want, ok := algorithms.LongestTTL(name, limit, opts)
			if !ok || longest != want {
				t.Errorf("%s, skew %v: longest TTL set %v, LongestTTL %v (ok %v)", name, skew, longest, want, ok)
			}
			_ = rdb.Close()
		}
	}
	// The largest limits saturate rather than wrap. (SeedLeaky's own
	// Capacity×Window in nanoseconds wraps there, and LongestTTL follows
	// what it does.)
	huge := algorithms.Limit{Requests: 1e15, Window: 8784 * time.Hour, Burst: 1e15}
	for _, name := range algorithms.Names() {
		if ttl, _ := algorithms.LongestTTL(name, huge, algorithms.Options{}); ttl < 8784*time.Hour {
			t.Errorf("%s: LongestTTL of %+v = %v, want at least the window", name, huge, ttl)
		}
	}
	if _, ok := algorithms.LongestTTL(algorithms.BaselineName, limit, algorithms.Options{}); ok {
		t.Error("LongestTTL of the baseline, which writes no keys, is ok")
	}
}

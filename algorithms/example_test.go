package algorithms_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// embeddedRedis starts an in-process miniredis for an example.
func embeddedRedis() (*redis.Client, func()) {
	m := miniredis.NewMiniRedis()
	if err := m.Start(); err != nil {
		panic(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	return rdb, func() { rdb.Close(); m.Close() }
}

// The fixed window admits its limit, then tells the caller when to come back.
func ExampleFixedWindow() {
	rdb, stop := embeddedRedis()
	defer stop()

	now := time.Date(2026, 1, 1, 12, 0, 0, 250_000_000, time.UTC)
	clock := algorithms.ClockFunc(func() time.Time { return now })
	l := algorithms.NewFixedWindow(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 10, Window: time.Second}

	d, _ := l.AllowN(context.Background(), "user:1", limit, 6)
	fmt.Printf("allowed=%v remaining=%d reset-after=%v\n", d.Allowed, d.Remaining, d.ResetAfter)
	now = now.Add(250 * time.Millisecond)
	d, _ = l.AllowN(context.Background(), "user:1", limit, 6)
	fmt.Printf("allowed=%v remaining=%d retry-after=%v\n", d.Allowed, d.Remaining, d.RetryAfter)
	// Output:
	// allowed=true remaining=4 reset-after=750ms
	// allowed=false remaining=4 retry-after=500ms
}

// GCRA lets its burst through at once after idle, then one request per
// emission interval.
func ExampleGCRA() {
	rdb, stop := embeddedRedis()
	defer stop()

	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := algorithms.ClockFunc(func() time.Time { return now })
	l := algorithms.NewGCRA(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 10, Window: time.Second, Burst: 3}

	for i := 1; i <= 4; i++ {
		d, _ := l.AllowN(context.Background(), "user:1", limit, 1)
		fmt.Printf("request %d: allowed=%v remaining=%d retry-after=%v\n", i, d.Allowed, d.Remaining, d.RetryAfter)
	}
	now = now.Add(50 * time.Millisecond)
	d, _ := l.AllowN(context.Background(), "user:1", limit, 1)
	fmt.Printf("50ms later: allowed=%v retry-after=%v\n", d.Allowed, d.RetryAfter)
	// Output:
	// request 1: allowed=true remaining=2 retry-after=0s
	// request 2: allowed=true remaining=1 retry-after=0s
	// request 3: allowed=true remaining=0 retry-after=0s
	// request 4: allowed=false remaining=0 retry-after=100ms
	// 50ms later: allowed=false retry-after=50ms
}

// ParseNames expands "all" to every atomic algorithm, in canonical order.
func ExampleParseNames() {
	names, _ := algorithms.ParseNames("all,seed-sliding")
	fmt.Println(names)
	_, err := algorithms.ParseNames("slidng")
	fmt.Println(err)
	// Output:
	// [fixed sliding sliding-counter token leaky gcra seed-sliding]
	// unknown algorithm "slidng": valid names are all, fixed, sliding, sliding-counter, token, leaky, gcra, seed-fixed, seed-sliding, seed-leaky, baseline
}

package algorithms

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestWindowKeysAreIntegersRedis runs the fixed and sliding-counter
// scripts at 2026 epoch microseconds through consecutive windows and expects
// one key per window, named by its integer index, with an exact count.
// Redis Lua's tostring prints numbers from 1e14 up as 1.7672256e+14, so
// before string.format('%d') ten consecutive windows of 10 µs shared one
// key. Limit.Validate keeps windows at 1 ms or more, where the index stays
// below 1e14 until the year 5138; the scripts are tested below that
// minimum so that their key names never depend on it.
func TestWindowKeysAreIntegersRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for _, s := range []struct {
		name   string
		script string
	}{{"fixed", fixedLua}, {"sliding-counter", slidingCounterLua}} {
		for _, window := range []int64{10, 1000, 1001} {
			t.Run(s.name+"/"+strconv.FormatInt(window, 10)+"us", func(t *testing.T) {
				script := clockLua + s.script
				prefix := "rl:{keys" + strconv.FormatInt(window, 10) + "}:" + s.name
				start := now - now%window
				for i := range int64(12) {
					at := start + i*window
					key := prefix + ":" + strconv.FormatInt(at/window, 10)
					// The count is read in the same MULTI as the last
					// request, and a skew allowance of 10 s (the last
					// argument) keeps every key longer than a descheduled
					// test may take between two round trips.
					var get *redis.StringCmd
					for j := range 3 {
						var eval *redis.Cmd
						_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
							eval = p.Eval(ctx, script, []string{prefix}, strconv.FormatInt(at+int64(j), 10), 1000, window, 1, 10_000_000)
							get = p.Get(ctx, key)
							return nil
						})
						if err != nil {
							t.Fatal(err)
						}
						d, err := parseDecision(eval.Val())
						if err != nil {
							t.Fatal(err)
						}
						if !d.Allowed {
							t.Fatalf("window %d, request %d rejected with limit 1000", i, j)
						}
					}
					if got, err := get.Int(); err != nil || got != 3 {
						t.Fatalf("window %d: key %s holds %d (%v), want 3", i, key, got, err)
					}
				}
			})
		}
	}
}

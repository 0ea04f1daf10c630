package main

import (
	"context"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// redis_rate's mode, added from its own file so that main.go builds
// without redis_rate (the test of scripts/perf vets main.go alone). Its
// Limit is the same GCRA: Rate per Period, Burst at once after idle; its
// key is "rate:" + key, rlbench's "rl:{" + key + "}:gcra".
func init() {
	loops["redis_rate"] = func(rdb *redis.Client, key string, l limit) (decide, error) {
		limiter := redis_rate.NewLimiter(rdb)
		lim := redis_rate.Limit{Rate: int(l.requests), Period: l.window, Burst: int(l.burst)}
		return func(ctx context.Context) (bool, error) {
			res, err := limiter.AllowN(ctx, key, lim, 1)
			if err != nil {
				return false, err
			}
			return res.Allowed > 0, nil
		}, nil
	}
}

package algorithms_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// BenchmarkAllowN measures one decision per iteration, on miniredis and on a
// real redis-server over loopback, for every algorithm and seed variant.
// The limit is high enough that most requests pass and write state.
func BenchmarkAllowN(b *testing.B) {
	_, mini := startMini(b)
	backends := map[string]*redis.Client{"miniredis": mini}
	if srv := redistest.Start(b); srv != nil {
		backends["redis"] = srv.Client(b)
	}
	limit := algorithms.Limit{Requests: 1_000_000, Window: time.Minute}
	for backend, rdb := range backends {
		for _, name := range append(algorithms.Names(), algorithms.SeedNames()...) {
			b.Run(backend+"/"+name, func(b *testing.B) {
				l, err := algorithms.New(name, rdb, algorithms.Options{})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				for b.Loop() {
					if _, err := l.AllowN(ctx, "bench:"+name, limit, 1); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

package workload_test

import (
	"context"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// The seed's hot-key storm: 64 callers race for one key with a limit of
// 100, and an atomic algorithm admits exactly 100 of their 640 requests.
func ExampleRun() {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer m.Close()
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()

	limiter, err := algorithms.New("sliding", rdb, algorithms.Options{})
	if err != nil {
		panic(err)
	}
	res, err := workload.Run(context.Background(), workload.Config{
		Target: target.Limiter(limiter), Promise: limiter, Name: limiter.Name(),
		Limit:       algorithms.Limit{Requests: 100, Window: time.Hour},
		Key:         "user:1",
		Concurrency: 64,
		Requests:    640,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: sent %d, accepted %d, rejected %d, errors %d, latencies %d\n",
		res.Algorithm, res.Sent, res.Accepted, res.Rejected, res.Errors, res.Latency.TotalCount())
	// Output: sliding: sent 640, accepted 100, rejected 540, errors 0, latencies 640
}

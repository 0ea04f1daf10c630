// Command libpath measures rate-limit decisions per second through a Go
// library, without rlbench's CLI, for scripts/perf.sh. Modes:
//
//	gcra        rlbench's gcra from package algorithms, called in a plain loop
//	engine      the same limiter driven by rlbench's engine: workload.Run over
//	            target.Dedicated, configured as "rlbench run" configures it
//	redis_rate  go-redis/redis_rate v10's GCRA, called in a plain loop
//	            (redisrate.go, only in the module perf.sh makes)
//
// Every mode sends -n decisions from -c goroutines at one hot key, on one
// go-redis client with a connection per goroutine, after a warm-up that
// opens the connections and loads the script. Both limiters get the same
// limit, -rate per second with a burst of -rate, high enough that every
// request is admitted, so both write their key on every decision; a
// rejection or an error ends the program with status 1, since the
// comparison would no longer be of the same work. It prints one line:
// decisions per second over the timed part.
//
// It lives under a directory the go command skips (_libpath) because
// redis_rate is no dependency of rlbench: perf.sh copies it into a
// throwaway module that replaces github.com/rlbench/rlbench with the
// checkout and fetches redis_rate there.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// decide asks for one decision: whether it was admitted.
type decide func(ctx context.Context) (bool, error)

// limit is what both limiters are given: requests per window, and a burst.
type limit struct {
	requests, burst int64
	window          time.Duration
}

// loops builds the decide function of each plain-loop mode for one key.
// redisrate.go adds redis_rate's.
var loops = map[string]func(rdb *redis.Client, key string, l limit) (decide, error){
	"gcra": func(rdb *redis.Client, key string, l limit) (decide, error) {
		g, err := algorithms.New("gcra", rdb, algorithms.Options{})
		if err != nil {
			return nil, err
		}
		lim := algorithms.Limit{Requests: l.requests, Window: l.window, Burst: l.burst}
		return func(ctx context.Context) (bool, error) {
			d, err := g.AllowN(ctx, key, lim, 1)
			return d.Allowed, err
		}, nil
	},
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "Redis address")
	mode := flag.String("mode", "gcra", "gcra, engine or redis_rate")
	workers := flag.Int("c", 1, "goroutines")
	n := flag.Int64("n", 100000, "decisions to time")
	key := flag.String("key", "perf:libpath", "the one user key")
	rate := flag.Int64("rate", 1000000, "limit per second, and the burst")
	flag.Parse()
	l := limit{requests: *rate, burst: *rate, window: time.Second}
	perS, err := measure(*addr, *mode, *workers, *n, *key, l)
	if err != nil {
		fmt.Fprintf(os.Stderr, "libpath: %s, %d goroutines: %v\n", *mode, *workers, err)
		os.Exit(1)
	}
	fmt.Printf("%.0f\n", perS)
}

// measure returns decisions per second of mode over n decisions.
func measure(addr, mode string, workers int, n int64, key string, l limit) (float64, error) {
	if workers < 1 || n < 1 {
		return 0, fmt.Errorf("-c %d and -n %d must be at least 1", workers, n)
	}
	// Deadlines from the context, as rlbench run's client: the engine's
	// workers then keep their decision's deadline on a connection each
	// (target.Dedicated); the plain loops pass none, so it costs them nothing.
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: max(workers, 10), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()
	warm := int64(workers) * 20
	if mode == "engine" {
		return engine(ctx, rdb, workers, warm, n, key, l)
	}
	build, ok := loops[mode]
	if !ok {
		return 0, fmt.Errorf("unknown -mode %q: want gcra, engine or redis_rate", mode)
	}
	d, err := build(rdb, key, l)
	if err != nil {
		return 0, err
	}
	if _, err := loop(ctx, d, workers, warm); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	took, err := loop(ctx, d, workers, n)
	if err != nil {
		return 0, err
	}
	return float64(n) / took.Seconds(), nil
}

// errRejected: a rejection means the two limiters no longer do the same
// work (a rejection writes nothing).
var errRejected = errors.New("a request was rejected: the limit must admit every request")

// loop sends n decisions from workers goroutines, each taking the next
// from a shared count, and returns the wall time they took.
func loop(ctx context.Context, d decide, workers int, n int64) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			for next.Add(1) <= n {
				allowed, err := d(ctx)
				if err == nil && !allowed {
					err = errRejected
				}
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}

// engine times workload.Run over target.Dedicated(gcra), configured as
// bench.Session configures "rlbench run --workload closed" by default
// (a 1 s timeout per decision, 1 s time-series points, the gcra bound as
// the promise), after a warm-up run of warm decisions.
func engine(ctx context.Context, rdb *redis.Client, workers int, warm, n int64, key string, l limit) (float64, error) {
	g, err := algorithms.New("gcra", rdb, algorithms.Options{})
	if err != nil {
		return 0, err
	}
	if err := algorithms.Preload(ctx, rdb); err != nil {
		return 0, err
	}
	run := func(requests int64) (time.Duration, error) {
		cfg := workload.Config{
			Target: target.Dedicated(g, rdb), Promise: g, Name: g.Name(),
			Limit:       algorithms.Limit{Requests: l.requests, Window: l.window, Burst: l.burst},
			Key:         key,
			Concurrency: workers,
			Requests:    requests,
			Timeout:     time.Second,
			Interval:    time.Second,
			MissAfter:   workload.DefaultMissAfter,
			SpinWait:    workload.DefaultSpinWait,
		}
		start := time.Now()
		res, err := workload.Run(ctx, cfg)
		took := time.Since(start)
		switch {
		case err != nil:
			return 0, err
		case res.Errors+res.Unknown > 0:
			return 0, fmt.Errorf("%d errors, %d unknown: %v", res.Errors, res.Unknown, res.FirstError)
		case res.Accepted != requests:
			return 0, fmt.Errorf("%d of %d accepted: %w", res.Accepted, requests, errRejected)
		}
		return took, nil
	}
	if _, err := run(warm); err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	took, err := run(n)
	if err != nil {
		return 0, err
	}
	return float64(n) / took.Seconds(), nil
}

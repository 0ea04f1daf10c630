// Command libpath measures rate-limit decisions per second through a Go
// library, without rlbench's CLI, for scripts/perf.sh. Modes:
//
//	gcra        rlbench's gcra from package algorithms, called in a plain loop
//	engine      the same limiter driven by rlbench's engine: workload.Run over
//	            target.Dedicated, configured as "rlbench run" configures it
//	redis_rate  go-redis/redis_rate v10's GCRA, called in a plain loop
//	            (redisrate.go, only in the module perf.sh makes)
//	paired      gcra and engine in one process, in alternating blocks of
//	            -block decisions, -n in all on each side (below)
//	bare        the Go floor: -n EVALSHAs of -sha from -c goroutines, each
//	            on a net.Conn of its own, the RESP written and read with
//	            bufio and no client library, one at a time per connection,
//	            as redis-benchmark -c sends them (key -key, ARGV '' -rate
//	            1000000 1: the fixed window's); it prints the p50 round trip
//	            in µs and the decisions per second
//	hiccup      no Redis: one thread reads the clock in a loop for -for and
//	            prints the gaps over 100 µs between readings and the
//	            longest gap in µs, the time the machine took from a thread
//	            that never blocks (as jHiccup measures it), which bounds
//	            any schedule an in-process generator keeps
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
// paired measures the engine's overhead over the plain loop so that a
// change of load on a shared machine hits both sides alike: blocks of the
// two sides alternate (plain then engine, then engine then plain, ...),
// each block timed by the wall clock and by the CPU time (user + system)
// of the whole process, and each pair of neighbouring blocks gives one
// ratio. It prints five numbers: the median decisions/s of the plain
// blocks and of the engine blocks, the median over pairs of plain ÷
// engine decisions/s, and the median CPU µs per decision of the plain
// blocks and of the engine blocks.
//
// It lives under a directory the go command skips (_libpath) because
// redis_rate is no dependency of rlbench: perf.sh copies it into a
// throwaway module that replaces github.com/rlbench/rlbench with the
// checkout and fetches redis_rate there.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
	mode := flag.String("mode", "gcra", "gcra, engine, paired, redis_rate, bare or hiccup")
	workers := flag.Int("c", 1, "goroutines")
	n := flag.Int64("n", 100000, "decisions to time")
	key := flag.String("key", "perf:libpath", "the one user key")
	rate := flag.Int64("rate", 1000000, "limit per second, and the burst")
	block := flag.Int64("block", 20000, "decisions per block of -mode paired")
	span := flag.Duration("for", 3*time.Second, "how long -mode hiccup reads the clock")
	sha := flag.String("sha", "", "the script -mode bare runs")
	flag.Parse()
	if *mode == "bare" {
		p50, perSecond, err := bareLoop(*addr, *sha, *key, *rate, *workers, *n)
		if err != nil {
			fmt.Fprintf(os.Stderr, "libpath: bare, %d goroutines: %v\n", *workers, err)
			os.Exit(1)
		}
		fmt.Printf("%.1f %.0f\n", float64(p50)/float64(time.Microsecond), perSecond)
		return
	}
	if *mode == "hiccup" {
		gaps, longest := hiccups(*span)
		fmt.Printf("%d %.1f\n", gaps, float64(longest)/float64(time.Microsecond))
		return
	}
	l := limit{requests: *rate, burst: *rate, window: time.Second}
	if *mode == "paired" {
		line, err := paired(*addr, *workers, *n, *block, *key, l)
		if err != nil {
			fmt.Fprintf(os.Stderr, "libpath: paired, %d goroutines: %v\n", *workers, err)
			os.Exit(1)
		}
		fmt.Println(line)
		return
	}
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

// paired runs n decisions of gcra's plain loop and n through the engine,
// in alternating blocks of block decisions, after a warm-up of each, and
// returns the line described in the package comment.
func paired(addr string, workers int, n, block int64, key string, l limit) (string, error) {
	if workers < 1 || n < 1 || block < 1 {
		return "", fmt.Errorf("-c %d, -n %d and -block %d must be at least 1", workers, n, block)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, PoolSize: max(workers, 10), ContextTimeoutEnabled: true})
	defer rdb.Close()
	ctx := context.Background()
	d, err := loops["gcra"](rdb, key, l)
	if err != nil {
		return "", err
	}
	plain := func(requests int64) (time.Duration, error) { return loop(ctx, d, workers, requests) }
	run, err := engineRun(ctx, rdb, workers, key, l)
	if err != nil {
		return "", err
	}
	warm := int64(workers) * 20
	if _, err := plain(warm); err != nil {
		return "", fmt.Errorf("warm-up: %w", err)
	}
	if _, err := run(warm); err != nil {
		return "", fmt.Errorf("warm-up: %w", err)
	}
	type figures struct{ perS, cpuUs []float64 }
	var sides [2]figures // plain, engine
	var ratios []float64
	blocks := max(n/block, 1)
	for b := range blocks {
		order := []int{0, 1}
		if b%2 == 1 {
			order = []int{1, 0}
		}
		var perS [2]float64
		for _, side := range order {
			cpu := cpuTime()
			var took time.Duration
			if side == 0 {
				took, err = plain(block)
			} else {
				took, err = run(block)
			}
			if err != nil {
				return "", err
			}
			perS[side] = float64(block) / took.Seconds()
			sides[side].perS = append(sides[side].perS, perS[side])
			sides[side].cpuUs = append(sides[side].cpuUs, float64(cpuTime()-cpu)/1e3/float64(block))
		}
		ratios = append(ratios, perS[0]/perS[1])
	}
	return fmt.Sprintf("%.0f %.0f %.4f %.2f %.2f", median(sides[0].perS), median(sides[1].perS),
		median(ratios), median(sides[0].cpuUs), median(sides[1].cpuUs)), nil
}

// cpuTime is the CPU time, user and system, of the whole process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// engine times workload.Run over target.Dedicated(gcra), configured as
// bench.Session configures "rlbench run --workload closed" by default
// (a 1 s timeout per decision, 1 s time-series points, the gcra bound as
// the promise), after a warm-up run of warm decisions.
func engine(ctx context.Context, rdb *redis.Client, workers int, warm, n int64, key string, l limit) (float64, error) {
	run, err := engineRun(ctx, rdb, workers, key, l)
	if err != nil {
		return 0, err
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

// engineRun returns a function that runs the engine, as engine describes,
// for a number of requests and returns the wall time the run took.
func engineRun(ctx context.Context, rdb *redis.Client, workers int, key string, l limit) (func(requests int64) (time.Duration, error), error) {
	g, err := algorithms.New("gcra", rdb, algorithms.Options{})
	if err != nil {
		return nil, err
	}
	if err := algorithms.Preload(ctx, rdb); err != nil {
		return nil, err
	}
	return func(requests int64) (time.Duration, error) {
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
	}, nil
}

// hiccupGap is the gap between two readings of the clock that counts as
// one the machine took.
const hiccupGap = 100 * time.Microsecond

// hiccups reads the clock in a loop on one locked thread for span and
// returns how many gaps between readings exceeded hiccupGap, and the
// longest gap.
func hiccups(span time.Duration) (gaps int, longest time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	last := start
	for last.Sub(start) < span {
		now := time.Now()
		gap := now.Sub(last)
		if gap > hiccupGap {
			gaps++
		}
		longest = max(longest, gap)
		last = now
	}
	return gaps, longest
}

// bareLoop sends n EVALSHAs of sha from workers goroutines, each on a
// connection of its own to addr and one at a time, and returns the median
// round trip and the decisions per second of wall time. The script must
// answer with an array of integers whose first says whether the request
// was admitted (as rlbench's scripts do); anything else, or a rejection,
// is an error.
func bareLoop(addr, sha, key string, rate int64, workers int, n int64) (time.Duration, float64, error) {
	if sha == "" || workers < 1 || n < int64(workers) {
		return 0, 0, fmt.Errorf("-sha is needed, -c at least 1 and -n at least -c (-c %d, -n %d)", workers, n)
	}
	args := []string{"EVALSHA", sha, "1", key, "", strconv.FormatInt(rate, 10), "1000000", "1"}
	cmd := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		cmd = fmt.Appendf(cmd, "$%d\r\n%s\r\n", len(a), a)
	}
	type conn struct {
		w *bufio.Writer
		r *bufio.Reader
	}
	conns := make([]conn, workers)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return 0, 0, err
		}
		defer c.Close()
		conns[i] = conn{bufio.NewWriter(c), bufio.NewReader(c)}
		for range 20 { // warm-up
			if err := bareRoundTrip(conns[i].w, conns[i].r, cmd); err != nil {
				return 0, 0, err
			}
		}
	}
	took := make([]time.Duration, n)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range conns {
		lo, hi := n*int64(i)/int64(workers), n*int64(i+1)/int64(workers)
		wg.Go(func() {
			for j := lo; j < hi; j++ {
				sent := time.Now()
				if errs[i] = bareRoundTrip(c.w, c.r, cmd); errs[i] != nil {
					return
				}
				took[j] = time.Since(sent)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	slices.Sort(took)
	return took[len(took)/2], float64(n) / elapsed.Seconds(), nil
}

// bareRoundTrip writes cmd and reads its reply: an array of integers, the
// first 1 (admitted).
func bareRoundTrip(w *bufio.Writer, r *bufio.Reader, cmd []byte) error {
	if _, err := w.Write(cmd); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	head, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	count, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(string(head), "*")))
	if head[0] != '*' || err != nil || count < 1 {
		return fmt.Errorf("reply %q, want an array of integers", head)
	}
	for i := range count {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if line[0] != ':' {
			return fmt.Errorf("reply element %d is %q, want an integer", i, line)
		}
		if i == 0 && strings.TrimSpace(string(line)) != ":1" {
			return errRejected
		}
	}
	return nil
}

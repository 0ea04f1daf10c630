package algorithms_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// The differential test drives every atomic algorithm's script and its
// model (algorithms.NewModel) side by side through the same random calls
// and compares every field of every decision: on a real redis-server,
// pipelined, and on miniredis, one call at a time with its clock moved
// forward to each call's instant so that keys expire as the model says.
// `make difftest` runs a million calls per algorithm on each.

var (
	diffCalls = flag.Int("difftest.calls", 0, "random calls per algorithm on each Redis in TestDifferential (0: 20,000 on redis-server, 2,000 on miniredis)")
	diffSeed  = flag.Uint64("difftest.seed", 1, "seed of TestDifferential's random calls")
)

// Without -difftest.calls, make test (under -race) checks this many calls per
// algorithm: miniredis runs a fresh Lua interpreter for every script call.
const (
	defaultRedisCalls = 20_000
	defaultMiniCalls  = 2_000
)

// noExpiry is a TTL padding no run outlasts: keys on a real Redis expire
// on its own clock, which the test cannot move, so neither they nor the
// model's may expire there.
const noExpiry = 200 * 8760 * time.Hour

// scenario is one model's worth of random calls: one limit, one TTL padding,
// a few user keys on one clock.
type scenario struct {
	limit algorithms.Limit
	skew  time.Duration // Options.ClockSkewAllowance
	keys  int
	calls []call
}

type call struct {
	now  int64 // µs since the epoch
	key  int
	cost int64
}

func (c call) String() string {
	return fmt.Sprintf("at %d key %d cost %d", c.now, c.key, c.cost)
}

// extremeLimits are the corners: a billion a year (the case that was off by
// a microsecond), the largest limit and window rlbench accepts, a
// millisecond window, and limits that do not divide their windows.
var extremeLimits = []algorithms.Limit{
	{Requests: 1_000_000_000, Window: 8760 * time.Hour},
	{Requests: 1_000_000_000, Window: 8784 * time.Hour, Burst: 3},
	{Requests: 1_000_000_000_000_000, Window: 8784 * time.Hour},
	{Requests: 1, Window: 8784 * time.Hour, Burst: 1_000_000_000_000_000},
	{Requests: 999_999_937, Window: 24 * time.Hour, Burst: 1},
	{Requests: 1, Window: time.Millisecond},
	{Requests: 3, Window: time.Millisecond},
	{Requests: 7, Window: time.Second, Burst: 10},
	{Requests: 100, Window: time.Minute},
}

// logUniform is a whole number in [lo, hi], its logarithm uniform.
func logUniform(rng *rand.Rand, lo, hi int64) int64 {
	return min(hi, lo-1+int64(math.Exp(rng.Float64()*math.Log(float64(hi-lo+2)))))
}

// randomLimit is one of the corners, or a limit from 1 to 1e9 on a window
// from 1 ms to a year, and sometimes a burst from 1 to 1e9.
func randomLimit(rng *rand.Rand) algorithms.Limit {
	if rng.IntN(4) == 0 {
		return extremeLimits[rng.IntN(len(extremeLimits))]
	}
	limit := algorithms.Limit{
		Requests: logUniform(rng, 1, 1e9),
		Window:   time.Duration(logUniform(rng, 1000, (8760*time.Hour).Microseconds())) * time.Microsecond,
	}
	if rng.IntN(3) == 0 {
		limit.Burst = logUniform(rng, 1, 1e9)
	}
	return limit
}

// randomSkew is a TTL padding: the default (1 s), none to speak of, or one
// near a window, so that keys expire at every distance from their windows.
func randomSkew(rng *rand.Rand, limit algorithms.Limit) time.Duration {
	switch rng.IntN(4) {
	case 0:
		return 0 // DefaultClockSkewAllowance under a client clock
	case 1:
		return time.Microsecond * time.Duration(1+rng.Int64N(2000))
	}
	return time.Microsecond * time.Duration(1+rng.Int64N(2*limit.Window.Microseconds()))
}

// randomStep moves the clock by about one emission interval, sometimes by
// nothing, by up to a window or by several (the state expires), and
// sometimes back, by up to an interval or a window.
func randomStep(rng *rand.Rand, limit algorithms.Limit) int64 {
	w := limit.Window.Microseconds()
	interval := max(1, w/limit.Requests)
	switch rng.IntN(20) {
	case 0, 1:
		return -rng.Int64N(interval + 1)
	case 2:
		return -rng.Int64N(w + 1)
	case 3, 4, 5, 6:
		return 0
	case 7, 8:
		return rng.Int64N(w + 1)
	case 9:
		return w + rng.Int64N(3*w)
	}
	return rng.Int64N(2*interval + 1)
}

// randomCost is mostly 1, sometimes a few or any up to the capacity, and
// sometimes past it. The sliding log's script adds one list element per unit, so
// its costs stay below 100 unless they pass the limit.
func randomCost(rng *rand.Rand, name string, limit algorithms.Limit) int64 {
	capacity := limit.Requests
	if info, _ := algorithms.Lookup(name); info.UsesBurst {
		capacity = limit.Capacity()
	}
	upTo := capacity
	if name == "sliding" {
		upTo = min(capacity, 100)
	}
	switch rng.IntN(10) {
	case 0:
		return capacity + 1 + rng.Int64N(capacity)
	case 1:
		return 1 + rng.Int64N(upTo)
	case 2, 3:
		return 1 + rng.Int64N(min(upTo, 5))
	}
	return 1
}

// newScenario draws up to maxCalls calls on one to three keys.
func newScenario(rng *rand.Rand, name string, maxCalls int) scenario {
	limit := randomLimit(rng)
	s := scenario{limit: limit, skew: randomSkew(rng, limit), keys: 1 + rng.IntN(3)}
	now := epoch.UnixMicro() + rng.Int64N(limit.Window.Microseconds())
	for range 1 + rng.IntN(maxCalls) {
		now = max(0, now+randomStep(rng, limit))
		s.calls = append(s.calls, call{now: now, key: rng.IntN(s.keys), cost: randomCost(rng, name, limit)})
	}
	return s
}

// outcome is a decision in the scripts' own terms, all in microseconds.
type outcome struct {
	reply
	at int64
}

func outcomeOf(d algorithms.Decision) outcome {
	return outcome{fromDecision(d), d.At.UnixMicro()}
}

func (o outcome) String() string { return fmt.Sprintf("%v at %d", o.reply, o.at) }

// tally counts what the calls compared were, so that a run that only ever
// rejects cannot pass for a thorough one.
type tally struct {
	calls, scenarios, allowed, rejected, never int
}

func (t *tally) add(o outcome) {
	t.calls++
	switch {
	case o.allowed:
		t.allowed++
	case o.retry < 0:
		t.never++
	default:
		t.rejected++
	}
}

// progress logs the count every 100,000 calls, so that a long run shows
// how far it has come.
func (t *tally) progress(tb testing.TB, name string, start time.Time, before int) {
	if t.calls/100_000 > before/100_000 {
		tb.Logf("%s: %d calls compared after %v", name, t.calls, time.Since(start).Round(time.Second))
	}
}

func (t tally) String() string {
	return fmt.Sprintf("%d calls in %d scenarios: %d allowed, %d rejected, %d past the capacity",
		t.calls, t.scenarios, t.allowed, t.rejected, t.never)
}

// mismatches collects the first few disagreements; a scenario stops being
// compared at its first, since its states have parted.
type mismatches struct {
	t      *testing.T
	name   string
	failed int
}

func (m *mismatches) report(sc scenario, index int, i int, got, want outcome) {
	m.t.Helper()
	var prior strings.Builder
	for _, c := range sc.calls[max(0, i-3):i] {
		fmt.Fprintf(&prior, "\n\tafter %v", c)
	}
	m.t.Errorf("%s scenario %d %+v skew %v, call %d %v: script %v, model %v%s",
		m.name, index, sc.limit, sc.skew, i, sc.calls[i], got, want, prior.String())
	if m.failed++; m.failed >= 5 {
		m.t.FailNow()
	}
}

// streamOf numbers an algorithm's stream of random calls.
func streamOf(name string) uint64 {
	for i, n := range algorithms.Names() {
		if n == name {
			return uint64(i)
		}
	}
	panic("no algorithm " + name)
}

func diffCallsOr(fallback int) int {
	if *diffCalls > 0 {
		return *diffCalls
	}
	return fallback
}

// TestDifferential drives each atomic algorithm's script and its model
// through the same random calls and compares every field of every decision.
func TestDifferential(t *testing.T) {
	t.Run("redis-server", func(t *testing.T) {
		srv := redistest.Start(t)
		if err := algorithms.Preload(context.Background(), srv.Client(t)); err != nil {
			t.Fatal(err)
		}
		calls := diffCallsOr(defaultRedisCalls)
		for db, name := range algorithms.Names() {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: db})
				t.Cleanup(func() { _ = rdb.Close() })
				diffPipelined(t, rdb, name, calls)
			})
		}
	})
	t.Run("miniredis", func(t *testing.T) {
		calls := diffCallsOr(defaultMiniCalls)
		for _, name := range algorithms.Names() {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				m, rdb := startMini(t)
				diffStepped(t, m, rdb, name, calls)
			})
		}
	})
}

// diffPipelined runs calls random calls through the limiter on rdb, a
// pipeline of whole scenarios at a time, with TTLs no run outlasts.
func diffPipelined(t *testing.T, rdb *redis.Client, name string, calls int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(*diffSeed, streamOf(name)))
	clock := &fakeClock{}
	opts := algorithms.Options{Clock: clock, ClockSkewAllowance: noExpiry}
	p := &pipelined{Cmdable: rdb, pipe: rdb.Pipeline(), queued: make(chan struct{}), t: t}
	l, err := algorithms.New(name, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	bad := &mismatches{t: t, name: name}
	var count tally
	start := time.Now()
	const batch = 2000
	for count.calls < calls {
		before := count.calls
		// Queue whole scenarios, each call through the limiter's own
		// AllowN, and what the model says of each.
		var (
			scs     []scenario
			want    []outcome
			got     = make([]outcome, 0, batch)
			errs    []error
			wg      sync.WaitGroup
			results = make([]algorithms.Decision, 0, batch)
		)
		p.ran = make(chan struct{})
		for len(want) < batch && count.calls+len(want) < calls {
			sc := newScenario(rng, name, 300)
			sc.skew = noExpiry
			m, err := algorithms.NewModel[string](name, sc.limit, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range sc.calls {
				key := fmt.Sprintf("d%d:%d", count.scenarios+len(scs), c.key)
				d, err := m.AllowN(time.UnixMicro(c.now), key, c.cost)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, outcomeOf(d))
				i := len(results)
				results = append(results, algorithms.Decision{})
				errs = append(errs, nil)
				clock.Set(time.UnixMicro(c.now))
				wg.Add(1)
				done := make(chan struct{})
				go func() {
					defer wg.Done()
					defer close(done)
					results[i], errs[i] = l.AllowN(ctx, key, sc.limit, c.cost)
				}()
				// A call that fails before its EVALSHA queues nothing.
				select {
				case <-p.queued:
				case <-done:
				}
			}
			scs = append(scs, sc)
		}
		_, execErr := p.pipe.Exec(ctx)
		close(p.ran)
		wg.Wait()
		if execErr != nil {
			t.Fatalf("pipeline: %v", execErr)
		}
		for i, d := range results {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			got = append(got, outcomeOf(d))
		}
		i := 0
		for _, sc := range scs {
			for j := range sc.calls {
				if got[i+j] != want[i+j] {
					bad.report(sc, count.scenarios, j, got[i+j], want[i+j])
					break
				}
				count.add(want[i+j])
			}
			i += len(sc.calls)
			count.scenarios++
		}
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		count.progress(t, name, start, before)
	}
	t.Logf("%s on redis-server %v: %v", name, time.Since(start).Round(time.Millisecond), count)
}

// pipelined is a redis.Cmdable whose EVALSHA joins a pipeline and returns
// once the pipeline has run: the limiter's own AllowN, every argument and
// the reply's parsing included, many decisions a round trip. Calls must be
// queued one at a time (wait on queued) and ran replaced for each pipeline.
type pipelined struct {
	redis.Cmdable
	pipe   redis.Pipeliner
	queued chan struct{}
	ran    chan struct{}
	t      *testing.T
}

func (p *pipelined) EvalSha(ctx context.Context, sha string, keys []string, args ...any) *redis.Cmd {
	cmd := p.pipe.EvalSha(ctx, sha, keys, args...)
	ran := p.ran
	p.queued <- struct{}{}
	<-ran
	return cmd
}

// Eval would run out of turn: the scripts are preloaded, so no EVALSHA may
// find its script missing.
func (p *pipelined) Eval(ctx context.Context, _ string, _ []string, _ ...any) *redis.Cmd {
	p.t.Error("EVAL: a script was missing though preloaded")
	cmd := redis.NewCmd(ctx)
	cmd.SetErr(fmt.Errorf("EVAL out of turn"))
	return cmd
}

// diffStepped runs calls random calls through the limiter on miniredis one
// at a time, moving miniredis's clock (FastForward) to the latest instant
// asked before each, so that every key expires when the model says.
func diffStepped(t *testing.T, mr *miniredis.Miniredis, rdb *redis.Client, name string, calls int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(*diffSeed, streamOf(name)+1000))
	bad := &mismatches{t: t, name: name}
	var count tally
	start := time.Now()
	for count.calls < calls {
		before := count.calls
		sc := newScenario(rng, name, min(300, calls-count.calls))
		clock := &fakeClock{}
		opts := algorithms.Options{Clock: clock, ClockSkewAllowance: sc.skew}
		l, err := algorithms.New(name, rdb, opts)
		if err != nil {
			t.Fatal(err)
		}
		m, err := algorithms.NewModel[string](name, sc.limit, opts)
		if err != nil {
			t.Fatal(err)
		}
		latest := sc.calls[0].now
		for i, c := range sc.calls {
			if c.now > latest {
				mr.FastForward(time.Duration(c.now-latest) * time.Microsecond)
				latest = c.now
			}
			key := fmt.Sprintf("d%d:%d", count.scenarios, c.key)
			clock.Set(time.UnixMicro(c.now))
			d, err := l.AllowN(ctx, key, sc.limit, c.cost)
			if err != nil {
				t.Fatalf("%+v call %d %v: %v", sc.limit, i, c, err)
			}
			md, err := m.AllowN(time.UnixMicro(c.now), key, c.cost)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := outcomeOf(d), outcomeOf(md); got != want {
				bad.report(sc, count.scenarios, i, got, want)
				break
			}
			count.add(outcomeOf(md))
		}
		count.scenarios++
		mr.FlushAll()
		count.progress(t, name, start, before)
	}
	t.Logf("%s on miniredis %v: %v", name, time.Since(start).Round(time.Millisecond), count)
}

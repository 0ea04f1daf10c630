package algorithms_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// The scripts' numbers are doubles, exact below 2^53; a limit of 1e9 a
// year puts a bucket's state at 3e22 units of 1/window, where a double is
// off by millions. The models below decide with math/big on the same rules
// as the scripts, so any rounding in a script shows up as a differing field.

// maxWait is where the scripts saturate a wait: 2^53-1 µs, 285 years.
const maxWait = 1<<53 - 1

// reply is a decision in the scripts' own terms, all in microseconds.
type reply struct {
	allowed               bool
	remaining, retry, rst int64
}

func (r reply) String() string {
	return fmt.Sprintf("{allowed %v, remaining %d, retry_after %dµs, reset_after %dµs}", r.allowed, r.remaining, r.retry, r.rst)
}

func fromDecision(d algorithms.Decision) reply {
	r := reply{allowed: d.Allowed, remaining: d.Remaining, retry: d.RetryAfter.Microseconds(), rst: d.ResetAfter.Microseconds()}
	if d.RetryAfter == algorithms.NeverRetry {
		r.retry = -1
	}
	return r
}

// model is an exact reference for one key of one algorithm.
type model interface {
	decide(now, cost int64) reply
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// wait is ahead + x microseconds, saturated as the scripts do.
func wait(ahead int64, x *big.Int) int64 {
	sum := new(big.Int).Add(big.NewInt(ahead), x)
	if !sum.IsInt64() || sum.Int64() > maxWait {
		return maxWait
	}
	return sum.Int64()
}

// tokenModel keeps the tokens in units of 1/window, refilled at limit per µs.
type tokenModel struct {
	limit, window, capacity int64
	units                   *big.Int // nil: no state
	ts                      int64
}

func (m *tokenModel) decide(now, cost int64) reply {
	l, w, c, n := big.NewInt(m.limit), big.NewInt(m.window), big.NewInt(m.capacity), big.NewInt(cost)
	full := new(big.Int).Mul(c, w)
	units, stamp := new(big.Int).Set(full), now
	if m.units != nil {
		stamp = max(now, m.ts)
		units.Add(new(big.Int).Mul(big.NewInt(stamp-m.ts), l), m.units)
		if units.Cmp(full) > 0 {
			units.Set(full)
		}
	}
	ahead := stamp - now
	whole := new(big.Int).Quo(units, w).Int64()
	untilHolds := func(k *big.Int) int64 {
		missing := new(big.Int).Sub(new(big.Int).Mul(k, w), units)
		if missing.Sign() <= 0 {
			return ahead
		}
		return wait(ahead, ceilDiv(missing, l))
	}
	need := new(big.Int).Mul(n, w)
	switch {
	case cost > m.capacity:
		return reply{false, whole, -1, untilHolds(c)}
	case units.Cmp(need) < 0:
		return reply{false, whole, untilHolds(n), untilHolds(c)}
	}
	m.units, m.ts = units.Sub(units, need), stamp
	return reply{true, new(big.Int).Quo(units, w).Int64(), 0, untilHolds(c)}
}

// leakyModel keeps the level in units of 1/window, drained at limit per µs.
type leakyModel struct {
	limit, window, capacity int64
	units                   *big.Int
	ts                      int64
}

func (m *leakyModel) decide(now, cost int64) reply {
	l, w, c, n := big.NewInt(m.limit), big.NewInt(m.window), big.NewInt(m.capacity), big.NewInt(cost)
	depth := new(big.Int).Mul(c, w)
	units, stamp := new(big.Int), now
	if m.units != nil {
		stamp = max(now, m.ts)
		units.Sub(m.units, new(big.Int).Mul(big.NewInt(stamp-m.ts), l))
		if units.Sign() < 0 {
			units.SetInt64(0)
		}
	}
	ahead := stamp - now
	room := func() int64 {
		r := new(big.Int).Sub(depth, units)
		return max(0, r.Div(r, w).Int64()) // Div rounds toward -∞, as floor does
	}
	untilBelow := func(k *big.Int) int64 {
		over := new(big.Int).Add(units, new(big.Int).Mul(k, w))
		over.Sub(over, depth)
		if over.Sign() <= 0 {
			return ahead
		}
		return wait(ahead, ceilDiv(over, l))
	}
	need := new(big.Int).Mul(n, w)
	switch {
	case cost > m.capacity:
		return reply{false, room(), -1, untilBelow(c)}
	case new(big.Int).Add(units, need).Cmp(depth) > 0:
		return reply{false, room(), untilBelow(n), untilBelow(c)}
	}
	m.units, m.ts = units.Add(units, need), stamp
	return reply{true, room(), 0, untilBelow(c)}
}

// slidingCounterModel keeps each aligned window's count.
type slidingCounterModel struct {
	limit, window int64
	counts        map[int64]int64
}

func (m *slidingCounterModel) decide(now, cost int64) reply {
	index, elapsed := now/m.window, now%m.window
	prev, cur := m.counts[index-1], m.counts[index]
	w := big.NewInt(m.window)
	// weight is ⌈prev·(w−elapsed)/w⌉: the rule prev·(w−e) + (cur+cost)·w ≤ limit·w
	// divided through by w.
	weight := ceilDiv(new(big.Int).Mul(big.NewInt(prev), big.NewInt(m.window-elapsed)), w).Int64()
	remaining := func(c int64) int64 { return max(0, m.limit-c-weight) }
	resetAfter := func(c int64) int64 {
		switch {
		case c > 0:
			return 2*m.window - elapsed
		case prev > 0:
			return m.window - elapsed
		}
		return 0
	}
	// fits is ⌊room·w/count⌋: how much of a window count may still overlap.
	fits := func(room, count int64) int64 {
		q := new(big.Int).Mul(big.NewInt(room), w)
		q.Quo(q, big.NewInt(count))
		if !q.IsInt64() || q.Int64() > maxWait {
			return maxWait
		}
		return q.Int64()
	}
	switch {
	case cost > m.limit:
		return reply{false, remaining(cur), -1, resetAfter(cur)}
	case weight+cur+cost > m.limit:
		if cur+cost <= m.limit {
			return reply{false, remaining(cur), m.window - fits(m.limit-cur-cost, prev) - elapsed, resetAfter(cur)}
		}
		return reply{false, remaining(cur), m.window - elapsed + max(0, m.window-fits(m.limit-cost, cur)), resetAfter(cur)}
	}
	m.counts[index] = cur + cost
	return reply{true, remaining(cur + cost), 0, resetAfter(cur + cost)}
}

// gcraModel keeps the theoretical arrival time in microseconds.
type gcraModel struct {
	interval, burst int64
	tat             int64
}

func (m *gcraModel) decide(now, cost int64) reply {
	i, b := big.NewInt(m.interval), big.NewInt(m.burst)
	horizon := new(big.Int).Mul(b, i)
	tat := max(now, m.tat)
	remaining := func(t *big.Int) int64 {
		r := new(big.Int).Add(big.NewInt(now), horizon)
		r.Sub(r, t)
		return max(0, r.Div(r, i).Int64())
	}
	ahead := big.NewInt(tat - now)
	if cost > m.burst {
		return reply{false, remaining(big.NewInt(tat)), -1, wait(0, ahead)}
	}
	newTAT := new(big.Int).Add(big.NewInt(tat), new(big.Int).Mul(big.NewInt(cost), i))
	allowAt := new(big.Int).Sub(newTAT, horizon)
	if allowAt.Cmp(big.NewInt(now)) > 0 {
		return reply{false, remaining(big.NewInt(tat)), wait(-now, allowAt), wait(0, ahead)}
	}
	// The script cuts a debt that reaches past 2^53 µs (the year 2255).
	if !newTAT.IsInt64() || newTAT.Int64() > maxWait {
		newTAT.SetInt64(maxWait)
	}
	m.tat = newTAT.Int64()
	return reply{true, remaining(newTAT), 0, wait(-now, newTAT)}
}

func newModel(name string, limit algorithms.Limit) model {
	w := limit.Window.Microseconds()
	switch name {
	case "token":
		return &tokenModel{limit: limit.Requests, window: w, capacity: limit.Capacity()}
	case "leaky":
		return &leakyModel{limit: limit.Requests, window: w, capacity: limit.Capacity()}
	case "sliding-counter":
		return &slidingCounterModel{limit: limit.Requests, window: w, counts: map[int64]int64{}}
	case "gcra":
		return &gcraModel{interval: (w + limit.Requests - 1) / limit.Requests, burst: limit.Capacity()}
	}
	panic("no model for " + name)
}

// modelled are the algorithms whose state is a quotient of a limit by a
// window: the ones that need exact arithmetic past 2^53.
var modelled = []string{"token", "leaky", "sliding-counter", "gcra"}

// extremeLimits are the corners: a billion a year (the case that was off by
// a microsecond), the largest limit and window rlbench accepts, a
// millisecond window, and limits that do not divide their windows.
var extremeLimits = []algorithms.Limit{
	{Requests: 1_000_000_000, Window: 8760 * time.Hour},
	{Requests: 1_000_000_000, Window: 8784 * time.Hour, Burst: 3},
	{Requests: 1_000_000_000_000_000, Window: 8784 * time.Hour},
	{Requests: 1, Window: 8784 * time.Hour, Burst: 1_000_000_000_000_000},
	{Requests: 999_999_937, Window: 24 * time.Hour, Burst: 1},
	{Requests: 3, Window: time.Millisecond},
	{Requests: 7, Window: time.Second, Burst: 10},
	{Requests: 100, Window: time.Minute},
}

// randomLimit is one of the corners, or a random limit up to 1e15 on a
// random window from 1 ms to 8784 h.
func randomLimit(rng *rand.Rand) algorithms.Limit {
	if rng.IntN(2) == 0 {
		return extremeLimits[rng.IntN(len(extremeLimits))]
	}
	limit := algorithms.Limit{
		Requests: 1 + rng.Int64N(int64(10)<<rng.IntN(50)),
		Window:   time.Millisecond + time.Duration(rng.Int64N(int64(8784*time.Hour)>>rng.IntN(40)))/time.Microsecond*time.Microsecond,
	}
	if rng.IntN(3) == 0 {
		limit.Burst = 1 + rng.Int64N(int64(10)<<rng.IntN(50))
	}
	return limit
}

// randomStep moves the clock by about one emission interval, sometimes by
// much more or much less, and sometimes back.
func randomStep(rng *rand.Rand, limit algorithms.Limit) int64 {
	interval := max(1, limit.Window.Microseconds()/limit.Requests)
	switch rng.IntN(10) {
	case 0:
		return -rng.Int64N(interval + 1) // a clock that steps back
	case 1:
		return rng.Int64N(limit.Window.Microseconds() + 1)
	case 2, 3:
		return 0
	}
	return rng.Int64N(2*interval + 1)
}

func randomCost(rng *rand.Rand, limit algorithms.Limit) int64 {
	switch rng.IntN(8) {
	case 0:
		return 1 + rng.Int64N(limit.Capacity()+1) // sometimes past the capacity
	case 1:
		return 1 + rng.Int64N(min(limit.Capacity(), 5))
	}
	return 1
}

// checkAgainstModels drives every modelled script and its model through
// the same random calls, scenario by scenario, and compares every field.
func checkAgainstModels(t *testing.T, rdb *redis.Client, seed uint64, scenarios, calls int) {
	ctx := context.Background()
	for _, name := range modelled {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0))
			clock := &fakeClock{}
			// Keys must not expire on Redis's own clock while the model
			// still holds their state: the allowance pads every TTL.
			l, err := algorithms.New(name, rdb, algorithms.Options{Clock: clock, ClockSkewAllowance: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			failures := 0
			for s := range scenarios {
				limit := randomLimit(rng)
				m := newModel(name, limit)
				key := fmt.Sprintf("exact:%d:%d", seed, s)
				now := epoch.UnixMicro() + rng.Int64N(limit.Window.Microseconds())
				for i := range calls {
					now += randomStep(rng, limit)
					cost := randomCost(rng, limit)
					clock.Set(time.UnixMicro(now))
					d, err := l.AllowN(ctx, key, limit, cost)
					if err != nil {
						t.Fatalf("%+v call %d: %v", limit, i, err)
					}
					got, want := fromDecision(d), m.decide(now, cost)
					if got != want {
						t.Errorf("%+v, scenario %d call %d at %d cost %d: got %v, want %v", limit, s, i, now, cost, got, want)
						if failures++; failures >= 5 {
							t.FailNow()
						}
						break // the states have parted; the next scenario starts afresh
					}
				}
			}
		})
	}
}

// TestScriptsMatchExactModels: the token, leaky and sliding-counter
// scripts agree with math/big to the microsecond on every field, at limits
// up to 1e15, windows up to 8784 h and waits that saturate.
func TestScriptsMatchExactModels(t *testing.T) {
	_, rdb := startMini(t)
	checkAgainstModels(t, rdb, 1, 50, 100)
}

// TestScriptsMatchExactModelsRedis is the same on a real redis-server,
// whose Lua and number formatting are the ones that matter.
func TestScriptsMatchExactModelsRedis(t *testing.T) {
	srv := redistest.Start(t)
	checkAgainstModels(t, srv.Client(t), 2, 200, 100)
}

// TestBillionAYearIsExact is the case that was off: a billion a year asked
// at microseconds that do not divide the emission interval.
func TestBillionAYearIsExact(t *testing.T) {
	_, rdb := startMini(t)
	limit := algorithms.Limit{Requests: 1_000_000_000, Window: 8760 * time.Hour}
	for _, name := range modelled {
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{}
			l, err := algorithms.New(name, rdb, algorithms.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			m := newModel(name, limit)
			now := epoch.UnixMicro()
			// Drain the allowance in big costs, then ask one at a time at
			// odd instants: every wait is a quotient with a remainder.
			for i := range 1000 {
				cost := int64(1)
				if i < 20 {
					cost = 100_000_000
				}
				now += int64(i%7) * 4_513
				clock.Set(time.UnixMicro(now))
				d, err := l.AllowN(context.Background(), "billion:"+name, limit, cost)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := fromDecision(d), m.decide(now, cost); got != want {
					t.Fatalf("call %d at %d cost %d: got %v, want %v", i, now, cost, got, want)
				}
			}
		})
	}
}

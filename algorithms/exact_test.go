package algorithms_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// The scripts' numbers are doubles, exact below 2^53; a limit of 1e9 a
// year puts a bucket's state at 3e22 units of 1/window, where a double is
// off by millions. The scripts and the models (algorithms.NewModel) divide
// such products without forming them, in Lua by doubling and adding
// (mul_div_mod), in Go in 128 bits. The math/big models below decide on the
// same rules with no such care, an independent check of both: the models
// against them here, the scripts against the models in TestDifferential.

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

// bigModel is a math/big reference for one key of one algorithm.
type bigModel interface {
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

// bigToken keeps the tokens in units of 1/window, refilled at limit per µs.
type bigToken struct {
	limit, window, capacity int64
	units                   *big.Int // nil: no state
	ts                      int64
}

func (m *bigToken) decide(now, cost int64) reply {
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

// bigLeaky keeps the level in units of 1/window, drained at limit per µs.
type bigLeaky struct {
	limit, window, capacity int64
	units                   *big.Int
	ts                      int64
}

func (m *bigLeaky) decide(now, cost int64) reply {
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

// bigSlidingCounter keeps each aligned window's count.
type bigSlidingCounter struct {
	limit, window int64
	counts        map[int64]int64
}

func (m *bigSlidingCounter) decide(now, cost int64) reply {
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

// bigGCRA keeps the theoretical arrival time in microseconds.
type bigGCRA struct {
	interval, burst int64
	tat             int64
}

func (m *bigGCRA) decide(now, cost int64) reply {
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

func newBigModel(name string, limit algorithms.Limit) bigModel {
	w := limit.Window.Microseconds()
	switch name {
	case "token":
		return &bigToken{limit: limit.Requests, window: w, capacity: limit.Capacity()}
	case "leaky":
		return &bigLeaky{limit: limit.Requests, window: w, capacity: limit.Capacity()}
	case "sliding-counter":
		return &bigSlidingCounter{limit: limit.Requests, window: w, counts: map[int64]int64{}}
	case "gcra":
		return &bigGCRA{interval: (w + limit.Requests - 1) / limit.Requests, burst: limit.Capacity()}
	}
	panic("no model for " + name)
}

// modelled are the algorithms whose state is a quotient of a limit by a
// window: the ones that need exact arithmetic past 2^53.
var modelled = []string{"token", "leaky", "sliding-counter", "gcra"}

// TestModelsMatchMathBig: the models agree with math/big to the
// microsecond on every field, on the differential test's random calls
// (limits to 1e15, windows to 8784 h, costs past the capacity, clocks that
// step back) and with no key expiring.
func TestModelsMatchMathBig(t *testing.T) {
	for _, name := range modelled {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, streamOf(name)))
			calls := 0
			for s := 0; calls < 100_000; s++ {
				sc := newScenario(rng, name, 300)
				m, err := algorithms.NewModel[string](name, sc.limit, algorithms.Options{ClockSkewAllowance: noExpiry})
				if err != nil {
					t.Fatal(err)
				}
				big := make([]bigModel, sc.keys)
				for k := range big {
					big[k] = newBigModel(name, sc.limit)
				}
				for i, c := range sc.calls {
					d, err := m.AllowN(time.UnixMicro(c.now), fmt.Sprint(c.key), c.cost)
					if err != nil {
						t.Fatal(err)
					}
					got, want := fromDecision(d), big[c.key].decide(c.now, c.cost)
					if got != want || d.At.UnixMicro() != c.now {
						t.Fatalf("%+v, scenario %d call %d %v: model %v at %d, math/big %v", sc.limit, s, i, c, got, d.At.UnixMicro(), want)
					}
				}
				calls += len(sc.calls)
			}
		})
	}
}

// TestBillionAYearIsExact is the case that was off: a billion a year asked
// at microseconds that do not divide the emission interval, script beside
// model.
func TestBillionAYearIsExact(t *testing.T) {
	_, rdb := startMini(t)
	limit := algorithms.Limit{Requests: 1_000_000_000, Window: 8760 * time.Hour}
	for _, name := range modelled {
		t.Run(name, func(t *testing.T) {
			clock := &fakeClock{}
			opts := algorithms.Options{Clock: clock}
			l, err := algorithms.New(name, rdb, opts)
			if err != nil {
				t.Fatal(err)
			}
			m, err := algorithms.NewModel[string](name, limit, opts)
			if err != nil {
				t.Fatal(err)
			}
			big := newBigModel(name, limit)
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
				md, err := m.AllowN(time.UnixMicro(now), "billion:"+name, cost)
				if err != nil {
					t.Fatal(err)
				}
				got, want, exact := fromDecision(d), fromDecision(md), big.decide(now, cost)
				if got != want || want != exact {
					t.Fatalf("call %d at %d cost %d: script %v, model %v, math/big %v", i, now, cost, got, want, exact)
				}
			}
		})
	}
}

package algorithms_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

// simulate sends one request of cost 1 at each instant (offsets from epoch,
// ascending) through l on a client clock, and returns the admission instants
// in microseconds.
func simulate(t *testing.T, l algorithms.Limiter, clock *fakeClock, key string, limit algorithms.Limit, at []time.Duration) []int64 {
	t.Helper()
	var out []int64
	for _, d := range at {
		clock.Set(epoch.Add(d))
		dec, err := l.AllowN(context.Background(), key, limit, 1)
		if err != nil {
			t.Fatalf("%s at +%v: %v", l.Name(), d, err)
		}
		if dec.Allowed {
			out = append(out, d.Microseconds())
		}
	}
	return out
}

// roughTraffic is seeded traffic that overloads a 20/s limit: Poisson
// arrivals at 60/s with a 30-request burst every 2.3 s, for 30 s.
func roughTraffic(seed uint64) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 1))
	var at []time.Duration
	next, burst := time.Duration(0), 2300*time.Millisecond
	for next < 30*time.Second {
		for burst <= next {
			for range 30 {
				at = append(at, burst)
			}
			burst += 2300 * time.Millisecond
		}
		at = append(at, next)
		next += time.Duration(rng.ExpFloat64() / 60 * float64(time.Second))
		next = next.Truncate(time.Microsecond)
	}
	return at
}

func newSimulated(t *testing.T, name string) (algorithms.Limiter, *fakeClock) {
	t.Helper()
	_, rdb := startMini(t)
	clock := &fakeClock{t: epoch}
	l, err := algorithms.New(name, rdb, algorithms.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return l, clock
}

// TestBoundHolds sweeps the admissions of every algorithm, under seeded
// rough traffic, for the busiest span of several lengths, and holds it to
// the algorithm's own Bound.
func TestBoundHolds(t *testing.T) {
	t.Parallel()
	limits := map[string]algorithms.Limit{
		"burst=limit": {Requests: 20, Window: time.Second},
		"burst=5":     {Requests: 20, Window: time.Second, Burst: 5},
	}
	spans := []time.Duration{time.Millisecond, 50 * time.Millisecond, 300 * time.Millisecond, time.Second, 2500 * time.Millisecond}
	for _, name := range algorithms.Names() {
		for limitName, limit := range limits {
			t.Run(name+"/"+limitName, func(t *testing.T) {
				t.Parallel()
				l, clock := newSimulated(t, name)
				adm := simulate(t, l, clock, "bound", limit, roughTraffic(7))
				for _, span := range spans {
					most, from := report.MaxInSpan(adm, span.Microseconds())
					if bound := l.Bound(limit, span); int64(most) > bound {
						t.Errorf("%d admitted in the %v from +%dµs, bound %d", most, span, from, bound)
					}
				}
			})
		}
	}
}

// perWindow counts instants per aligned window of length w.
func perWindow(instantsMicros []int64, w time.Duration) map[int64]int {
	out := map[int64]int{}
	for _, us := range instantsMicros {
		out[us/w.Microseconds()]++
	}
	return out
}

func micros(at []time.Duration) []int64 {
	out := make([]int64, len(at))
	for i, d := range at {
		out[i] = d.Microseconds()
	}
	return out
}

func TestFixedAdmitsExactlyTheLimitPerWindow(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	l, clock := newSimulated(t, "fixed")
	traffic := roughTraffic(11)
	offered := perWindow(micros(traffic), limit.Window)
	got := perWindow(simulate(t, l, clock, "fixed", limit, traffic), limit.Window)
	for w, n := range offered {
		if want := min(n, 20); got[w] != want {
			t.Errorf("window %d: %d admitted of %d offered, want %d", w, got[w], n, want)
		}
	}
}

func TestFixedAdmitsTwiceTheLimitAcrossABoundary(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	l, clock := newSimulated(t, "fixed")
	var at []time.Duration
	for range 30 {
		at = append(at, 10*time.Second-time.Millisecond)
	}
	for range 30 {
		at = append(at, 10*time.Second+time.Millisecond)
	}
	adm := simulate(t, l, clock, "edge", limit, at)
	if most, _ := report.MaxInSpan(adm, 2*time.Millisecond.Microseconds()+1); most != 40 {
		t.Errorf("%d admitted within 2ms of the boundary, want 2×20", most)
	}
}

func TestSlidingNeverExceedsTheLimitInAnyWindow(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	l, clock := newSimulated(t, "sliding")
	adm := simulate(t, l, clock, "sliding", limit, roughTraffic(13))
	if most, from := report.MaxInSpan(adm, limit.Window.Microseconds()); most != 20 {
		t.Errorf("busiest window from +%dµs admitted %d, want exactly the limit 20", from, most)
	}
}

func TestSlidingSameMicrosecondAdmitsExactlyTheLimit(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 100, Window: time.Minute}
	l, clock := newSimulated(t, "sliding")
	at := make([]time.Duration, 1000)
	for i := range at {
		at[i] = 5 * time.Second
	}
	if adm := simulate(t, l, clock, "same-us", limit, at); len(adm) != 100 {
		t.Errorf("1000 requests in one microsecond: %d admitted, want 100", len(adm))
	}
}

func TestSlidingCounterAtMostTheLimitPerWindow(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	l, clock := newSimulated(t, "sliding-counter")
	for w, n := range perWindow(simulate(t, l, clock, "swc", limit, roughTraffic(17)), limit.Window) {
		if n > 20 {
			t.Errorf("window %d admitted %d, more than 20", w, n)
		}
	}
}

// steadyAsker asks every `every` for `length`.
func steadyAsker(every, length time.Duration) []time.Duration {
	var at []time.Duration
	for d := time.Duration(0); d < length; d += every {
		at = append(at, d)
	}
	return at
}

func TestTokenLongRunRateAndNoStarvation(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 100, Window: time.Second, Burst: 50}
	l, clock := newSimulated(t, "token")
	adm := simulate(t, l, clock, "steady", limit, steadyAsker(time.Millisecond, 10*time.Second))
	// Past the first 5 s the burst is long spent: the rate is the refill.
	var late int
	gap, prev := int64(0), adm[0]
	for _, us := range adm {
		if us >= 5_000_000 {
			late++
		}
		gap, prev = max(gap, us-prev), us
	}
	if rate := float64(late) / 5; rate < 99 || rate > 101 {
		t.Errorf("long-run rate %.1f/s, want 100/s within 1%%", rate)
	}
	// Asking every 1 ms, a client waits at most one refill interval (10 ms)
	// plus one asking interval between admissions.
	if gap > 11_000 {
		t.Errorf("longest wait between admissions %dµs, want at most 11ms", gap)
	}
}

func TestBucketsAtMostCapacityPlusRate(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second, Burst: 5}
	for _, name := range []string{"token", "leaky", "gcra"} {
		t.Run(name, func(t *testing.T) {
			l, clock := newSimulated(t, name)
			adm := simulate(t, l, clock, "bucket", limit, roughTraffic(19))
			for _, span := range []time.Duration{time.Microsecond, 49 * time.Millisecond, 50 * time.Millisecond, time.Second, 10 * time.Second} {
				most, _ := report.MaxInSpan(adm, span.Microseconds())
				// C + r·D with r = 20/s, C = 5; GCRA's B + D/T is the same here.
				if bound := 5 + int(span.Microseconds()*20/1_000_000); most > bound {
					t.Errorf("span %v: %d admitted, want at most %d", span, most, bound)
				}
			}
		})
	}
}

func TestGCRABurstAfterIdle(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 20, Window: time.Second, Burst: 5}
	l, clock := newSimulated(t, "gcra")
	// Busy, then idle for a second, then 10 at once: exactly the burst passes.
	at := steadyAsker(10*time.Millisecond, time.Second)
	for range 10 {
		at = append(at, 2*time.Second)
	}
	adm := simulate(t, l, clock, "gcra-burst", limit, at)
	if most, from := report.MaxInSpan(adm, 1); most != 5 || from != 2_000_000 {
		t.Errorf("back to back after idle: %d passed at +%dµs, want 5 at +2s", most, from)
	}
}

// TestClockSteppingBackKeepsTheBound drives every algorithm with a client
// clock that wanders back as well as forward, as several load generators'
// clocks do, and holds the admissions, on the instants the limiter saw, to
// its bound. A refill counted twice would pass it.
func TestClockSteppingBackKeepsTheBound(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 10, Window: time.Second}
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			l, clock := newSimulated(t, name)
			rng := rand.New(rand.NewPCG(3, 4))
			at := 10 * time.Second
			var adm []int64
			for range 600 {
				// Mostly forward by up to 40 ms, sometimes back by up to a second.
				if rng.IntN(5) == 0 {
					at -= time.Duration(rng.Int64N(int64(time.Second)))
				} else {
					at += time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
				}
				clock.Set(epoch.Add(at))
				d, err := l.AllowN(context.Background(), "skew", limit, 1)
				if err != nil {
					t.Fatal(err)
				}
				if d.Allowed {
					adm = append(adm, d.At.Sub(epoch).Microseconds())
				}
			}
			adm = slices.Sorted(slices.Values(adm))
			for _, span := range []time.Duration{time.Microsecond, 100 * time.Millisecond, time.Second} {
				if most, from := report.MaxInSpan(adm, span.Microseconds()); int64(most) > l.Bound(limit, span) {
					t.Errorf("%d admitted in the %v from +%dµs, bound %d", most, span, from, l.Bound(limit, span))
				}
			}
		})
	}
}

// TestSlidingKeyOutlivesItsNewestEntry: after a clock step back, the log's
// TTL must run to its newest entry's end, not one window from the older now.
func TestSlidingKeyOutlivesItsNewestEntry(t *testing.T) {
	m, rdb := startMini(t)
	clock := &fakeClock{}
	l := algorithms.NewSlidingLog(rdb, algorithms.Options{Clock: clock})
	limit := algorithms.Limit{Requests: 10, Window: 2 * time.Second}
	clock.Set(epoch.Add(10 * time.Second))
	ask(t, l, "ttl", limit, 5)
	clock.Set(epoch.Add(9 * time.Second))
	ask(t, l, "ttl", limit, 5)
	m.FastForward(2100 * time.Millisecond)
	clock.Set(epoch.Add(10*time.Second + 500*time.Millisecond))
	if got := admitted(ask(t, l, "ttl", limit, 10)); got != 0 {
		t.Errorf("%d admitted with 10 already in the window: the key expired early", got)
	}
}

// TestStepBackEarnsNoRefillTwice is the sharpest case of a clock stepping
// back: 9 at T, 1 at T-1s, then 20 at T. Whatever happened at T-1s, no more
// than the capacity may pass at the one instant T.
func TestStepBackEarnsNoRefillTwice(t *testing.T) {
	t.Parallel()
	limit := algorithms.Limit{Requests: 10, Window: time.Second}
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			l, clock := newSimulated(t, name)
			T := epoch.Add(10*time.Second + 500*time.Millisecond)
			clock.Set(T)
			first := admitted(ask(t, l, "back", limit, 9))
			clock.Set(T.Add(-time.Second))
			ask(t, l, "back", limit, 1)
			clock.Set(T)
			if total := first + admitted(ask(t, l, "back", limit, 20)); total > 10 {
				t.Errorf("%d admitted at one instant, capacity 10", total)
			}
		})
	}
}

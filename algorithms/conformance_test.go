package algorithms_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

// limit10 is the conformance table's limit: 10 a second, burst 10.
var limit10 = algorithms.Limit{Requests: 10, Window: time.Second}

// step asks `ask` requests at epoch+at and expects `want` to pass.
type step struct {
	at   time.Duration
	ask  int
	want int
}

// algorithmCase is one row of the conformance table: what an algorithm
// must do with limit10.
type algorithmCase struct {
	name  string
	steps []step
	// retryAfter is what a request gets when the allowance was used up at
	// epoch+250ms.
	retryAfter time.Duration
}

// conformanceTable holds the exact admissions of every algorithm. The
// instants are the same for all; the answers show how they differ.
var conformanceTable = []algorithmCase{
	{"fixed", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 0}, {time.Second, 10, 10}, {1700 * time.Millisecond, 10, 0}, {4 * time.Second, 15, 10}}, 750 * time.Millisecond},
	{"sliding", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 0}, {time.Second, 10, 10}, {1700 * time.Millisecond, 10, 0}, {4 * time.Second, 15, 10}}, time.Second},
	// At 1.7 s, 30 % of the previous window's 10 still weigh: 7 fit.
	{"sliding-counter", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 0}, {time.Second, 10, 0}, {1700 * time.Millisecond, 10, 7}, {4 * time.Second, 15, 10}}, 850 * time.Millisecond},
	{"token", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 5}, {time.Second, 10, 5}, {1700 * time.Millisecond, 10, 7}, {4 * time.Second, 15, 10}}, 100 * time.Millisecond},
	{"leaky", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 5}, {time.Second, 10, 5}, {1700 * time.Millisecond, 10, 7}, {4 * time.Second, 15, 10}}, 100 * time.Millisecond},
	{"gcra", []step{{0, 15, 10}, {500 * time.Millisecond, 10, 5}, {time.Second, 10, 5}, {1700 * time.Millisecond, 10, 7}, {4 * time.Second, 15, 10}}, 100 * time.Millisecond},
}

func TestConformanceTableCoversEveryAlgorithm(t *testing.T) {
	var names []string
	for _, c := range conformanceTable {
		names = append(names, c.name)
	}
	if got, want := names, algorithms.Names(); !equal(got, want) {
		t.Fatalf("conformance table rows %v, registry %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestConformanceMiniredis(t *testing.T) {
	for mode, newEnv := range miniEnvs(t) {
		t.Run(mode, func(t *testing.T) { runConformance(t, newEnv) })
	}
}

// runConformance runs the conformance table on the Redis that newEnv gives.
func runConformance(t *testing.T, newEnv func(t *testing.T) env) {
	for _, c := range conformanceTable {
		t.Run(c.name, func(t *testing.T) {
			t.Run("admissions", func(t *testing.T) { checkAdmissions(t, newEnv(t), c) })
			t.Run("retry-after", func(t *testing.T) { checkRetryAfter(t, newEnv(t), c) })
			t.Run("cost-over-capacity", func(t *testing.T) { checkOverCapacity(t, newEnv(t), c.name) })
			t.Run("idle-refill", func(t *testing.T) { checkIdle(t, newEnv(t), c.name) })
			t.Run("bad-input", func(t *testing.T) { checkBadInput(t, newEnv(t), c.name) })
			t.Run("step-back", func(t *testing.T) { checkStepBack(t, newEnv(t), c.name) })
		})
	}
}

func newLimiter(t *testing.T, e env, name string) algorithms.Limiter {
	t.Helper()
	rdb := e.rdb
	if e.decide != nil {
		rdb = e.decide
	}
	l, err := algorithms.New(name, rdb, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkAdmissions runs the steps: exactly `want` pass at each instant, the
// admitted ones first, Remaining counting down to 0 and never below, and
// every key written keeps a TTL at least as long as its state matters.
func checkAdmissions(t *testing.T, e env, c algorithmCase) {
	l := newLimiter(t, e, c.name)
	key := "conformance"
	for _, s := range c.steps {
		e.setNow(epoch.Add(s.at))
		ds := ask(t, l, key, limit10, s.ask)
		if got := admitted(ds); got != s.want {
			t.Fatalf("at +%v: %d of %d admitted, want %d", s.at, got, s.ask, s.want)
		}
		for i, d := range ds {
			if d.Allowed != (i < s.want) {
				t.Fatalf("at +%v: request %d allowed=%v after %d admissions", s.at, i, d.Allowed, s.want)
			}
			wantRemaining := int64(0)
			if d.Allowed {
				wantRemaining = int64(s.want - i - 1)
			}
			if d.Remaining != wantRemaining {
				t.Errorf("at +%v: request %d remaining %d, want %d", s.at, i, d.Remaining, wantRemaining)
			}
			if !d.At.Equal(epoch.Add(s.at)) {
				t.Errorf("at +%v: request %d decided At %v, want the limiter's clock %v", s.at, i, d.At, epoch.Add(s.at))
			}
			if d.Allowed && d.RetryAfter != 0 {
				t.Errorf("at +%v: admitted request %d has RetryAfter %v", s.at, i, d.RetryAfter)
			}
			if !d.Allowed && d.RetryAfter <= 0 {
				t.Errorf("at +%v: rejected request %d has RetryAfter %v", s.at, i, d.RetryAfter)
			}
		}
		if s.want > 0 {
			checkTTLs(t, e, key, ds[s.want-1].ResetAfter)
		}
	}
}

// checkTTLs asserts that every key of userKey has a TTL, that none is
// shorter than resetAfter (expiring early would admit too much), and none
// longer than two windows and a millisecond.
func checkTTLs(t *testing.T, e env, userKey string, resetAfter time.Duration) {
	t.Helper()
	ttls := pttls(t, e.rdb, userKey)
	skew := e.opts.ClockSkewAllowance
	if skew == 0 && e.opts.Clock != nil {
		skew = algorithms.DefaultClockSkewAllowance
	}
	if len(ttls) == 0 {
		t.Fatalf("no key holds {%s}", userKey)
	}
	longest := time.Duration(0)
	for k, ttl := range ttls {
		if ttl <= 0 {
			t.Errorf("key %s has no TTL (PTTL %v)", k, ttl)
		}
		// Two windows, plus the millisecond of margin every TTL carries
		// and, with a client clock, the clock-skew allowance.
		if ttl > 2*limit10.Window+time.Millisecond+skew {
			t.Errorf("key %s has TTL %v, more than two windows, a millisecond and %v", k, ttl, skew)
		}
		longest = max(longest, ttl)
	}
	if longest+e.slack < resetAfter.Truncate(time.Millisecond) {
		t.Errorf("longest TTL %v is shorter than the state matters (%v): keys would expire early", longest, resetAfter)
	}
}

// checkRetryAfter uses up the allowance at +250ms, then checks that a retry
// at now+RetryAfter passes and one 10ms earlier fails.
func checkRetryAfter(t *testing.T, e env, c algorithmCase) {
	l := newLimiter(t, e, c.name)
	now := epoch.Add(250 * time.Millisecond)
	e.setNow(now)
	ds := ask(t, l, "retry", limit10, 11)
	rejected := ds[10]
	if rejected.Allowed {
		t.Fatal("request 11 passed")
	}
	if rejected.RetryAfter != c.retryAfter {
		t.Errorf("RetryAfter = %v, want %v", rejected.RetryAfter, c.retryAfter)
	}
	e.setNow(now.Add(rejected.RetryAfter - 10*time.Millisecond))
	if d := ask(t, l, "retry", limit10, 1)[0]; d.Allowed {
		t.Errorf("retry 10ms before RetryAfter passed: %+v", d)
	}
	e.setNow(now.Add(rejected.RetryAfter))
	if d := ask(t, l, "retry", limit10, 1)[0]; !d.Allowed {
		t.Errorf("retry at RetryAfter was rejected: %+v", d)
	}
}

// checkOverCapacity asks for more than the capacity: denied for good, and
// the state is untouched, so the remaining allowance still passes.
func checkOverCapacity(t *testing.T, e env, name string) {
	l := newLimiter(t, e, name)
	ctx := context.Background()
	e.setNow(epoch)
	if d, err := l.AllowN(ctx, "big", limit10, 3); err != nil || !d.Allowed || d.Remaining != 7 {
		t.Fatalf("AllowN(3) = %+v, %v; want allowed with 7 remaining", d, err)
	}
	before := snapshot(t, e.rdb)
	d, err := l.AllowN(ctx, "big", limit10, 11)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || d.RetryAfter != algorithms.NeverRetry || d.Remaining != 7 {
		t.Errorf("AllowN(11) = %+v; want denied, RetryAfter NeverRetry, Remaining 7", d)
	}
	if after := snapshot(t, e.rdb); after != before {
		t.Errorf("denied request changed the state:\nbefore %s\nafter  %s", before, after)
	}
	if d, err := l.AllowN(ctx, "big", limit10, 7); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Errorf("AllowN(7) after the denial = %+v, %v; want allowed with 0 remaining", d, err)
	}
}

// checkIdle uses everything up, waits three windows and expects the whole
// allowance back.
func checkIdle(t *testing.T, e env, name string) {
	l := newLimiter(t, e, name)
	e.setNow(epoch)
	ask(t, l, "idle", limit10, 15)
	e.setNow(epoch.Add(3 * limit10.Window))
	if got := admitted(ask(t, l, "idle", limit10, 15)); got != 10 {
		t.Errorf("after idle: %d admitted, want 10", got)
	}
}

// checkBadInput expects invalid limits and costs to fail before any round trip.
func checkBadInput(t *testing.T, e env, name string) {
	l := newLimiter(t, e, name)
	ctx := context.Background()
	bad := []struct {
		limit algorithms.Limit
		n     int64
		want  error
	}{
		{algorithms.Limit{Requests: 0, Window: time.Second}, 1, algorithms.ErrInvalidLimit},
		{algorithms.Limit{Requests: 10, Window: 0}, 1, algorithms.ErrInvalidLimit},
		{algorithms.Limit{Requests: 10, Window: time.Second, Burst: -1}, 1, algorithms.ErrInvalidLimit},
		{limit10, 0, algorithms.ErrInvalidCost},
	}
	for _, b := range bad {
		if _, err := l.AllowN(ctx, "bad", b.limit, b.n); !errors.Is(err, b.want) {
			t.Errorf("AllowN(%+v, %d) error = %v, want %v", b.limit, b.n, err, b.want)
		}
	}
	if keys := keysOf(t, e.rdb, "*{bad}*"); len(keys) != 0 {
		t.Errorf("bad input wrote keys %v", keys)
	}
}

// stepBackSteps is issue 7's sliding-log case at limit 3 a second: three
// admissions, one at +1.25s that trims them, then the clock steps back to
// +0.5s. Counted on Decision.At no window may hold more than the bound:
// the log used to admit two at +0.5s, five in (-0.5s, 0.5s]. The rows'
// want counts are the sliding log's; each algorithm is held to its bound.
var stepBackSteps = []step{{0, 1, 1}, {100 * time.Millisecond, 1, 1}, {200 * time.Millisecond, 1, 1}, {1250 * time.Millisecond, 1, 1}, {500 * time.Millisecond, 2, 2}}

func checkStepBack(t *testing.T, e env, name string) {
	l := newLimiter(t, e, name)
	limit := algorithms.Limit{Requests: 3, Window: time.Second}
	var adm []int64
	for _, s := range stepBackSteps {
		e.setNow(epoch.Add(s.at))
		for _, d := range ask(t, l, "step-back", limit, s.ask) {
			if d.At.Before(epoch.Add(s.at)) {
				t.Errorf("at +%v: decided At %v, before the limiter's clock", s.at, d.At.Sub(epoch))
			}
			if d.Allowed {
				adm = append(adm, d.At.Sub(epoch).Microseconds())
			}
		}
	}
	adm = slices.Sorted(slices.Values(adm))
	if most, from := report.MaxInSpan(adm, limit.Window.Microseconds()); int64(most) > l.Bound(limit, limit.Window) {
		t.Errorf("%d admitted in the window from +%dµs, bound %d (admissions at %v µs)", most, from, l.Bound(limit, limit.Window), adm)
	}
}

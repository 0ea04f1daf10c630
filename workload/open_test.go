package workload

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// probeLimiter is a fake limiter that watches how the runner calls it: the
// most calls in flight at once, when the first call came, the limit each
// key was asked under, and calls that began after stop was closed.
type probeLimiter struct {
	// delay is slept in every call, after onCall.
	delay time.Duration
	// onCall, when set, runs first in every call, with its 1-based number.
	onCall func(call int64)
	// outcome, when set, decides each call; nil admits every call, or,
	// with enforce, admits while the key has admitted fewer than its
	// limit's Requests.
	outcome func(call int64) (bool, error)
	enforce bool
	// stop, when set, is a channel whose closing makes later calls late.
	stop <-chan struct{}

	calls, inFlight, most, late atomic.Int64

	mu       sync.Mutex
	first    time.Time
	limits   map[string]algorithms.Limit
	admitted map[string]int64
	clash    string // a key asked under two limits
}

func (f *probeLimiter) Name() string { return "probe" }

func (f *probeLimiter) Bound(limit algorithms.Limit, _ time.Duration) int64 { return limit.Requests }

func (f *probeLimiter) AllowN(_ context.Context, key string, limit algorithms.Limit, _ int64) (algorithms.Decision, error) {
	now := time.Now()
	call := f.calls.Add(1)
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for m := f.most.Load(); cur > m && !f.most.CompareAndSwap(m, cur); m = f.most.Load() {
	}
	if f.stop != nil {
		select {
		case <-f.stop:
			f.late.Add(1)
		default:
		}
	}
	f.mu.Lock()
	if f.first.IsZero() || now.Before(f.first) {
		f.first = now
	}
	if f.limits == nil {
		f.limits, f.admitted = map[string]algorithms.Limit{}, map[string]int64{}
	}
	if prev, ok := f.limits[key]; ok && prev != limit {
		f.clash = fmt.Sprintf("%s asked under %+v and %+v", key, prev, limit)
	}
	f.limits[key] = limit
	allowed := true
	if f.enforce {
		allowed = f.admitted[key] < limit.Requests
	}
	if allowed {
		f.admitted[key]++
	}
	f.mu.Unlock()

	if f.onCall != nil {
		f.onCall(call)
	}
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	if f.outcome != nil {
		ok, err := f.outcome(call)
		if err != nil {
			return algorithms.Decision{}, err
		}
		allowed = ok
	}
	return algorithms.Decision{Allowed: allowed, At: time.Now()}, nil
}

// firstCall is when the first call came; zero if none did.
func (f *probeLimiter) firstCall() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.first
}

// keysAsked lists the keys the limiter was asked about, sorted.
func (f *probeLimiter) keysAsked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.limits))
}

// hundredAMinute is the seed's limit: 100 requests a minute.
var hundredAMinute = algorithms.Limit{Requests: 100, Window: time.Minute}

// runChecked runs cfg, which must be valid, and checks what must hold of
// every Result: each request in exactly one outcome, every histogram and
// the time series in agreement with the counts, response time never below
// service time, and every call the limiter saw counted.
func runChecked(t *testing.T, ctx context.Context, cfg Config, f *probeLimiter) Result {
	t.Helper()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Sent != res.Accepted+res.Rejected+res.Errors {
		t.Errorf("sent %d != accepted %d + rejected %d + errors %d", res.Sent, res.Accepted, res.Rejected, res.Errors)
	}
	if f != nil && res.Sent != f.calls.Load() {
		t.Errorf("sent %d, but the limiter answered %d calls", res.Sent, f.calls.Load())
	}
	decisions := res.Decisions() - res.OverRange
	if res.Latency.TotalCount() != decisions || res.Service.TotalCount() != decisions {
		t.Errorf("response/service histograms hold %d/%d, want %d each", res.Latency.TotalCount(), res.Service.TotalCount(), decisions)
	}
	if res.Lag.TotalCount() != res.Sent {
		t.Errorf("lag histogram holds %d, want one per request sent (%d)", res.Lag.TotalCount(), res.Sent)
	}
	// Each request is sent at or after its slot, so its response time is at
	// least its service time, and so is every percentile.
	for _, q := range []float64{0, 50, 90, 99, 99.9, 100} {
		if resp, svc := res.Latency.ValueAtQuantile(q), res.Service.ValueAtQuantile(q); resp < svc {
			t.Errorf("p%v: response %v < service %v", q, time.Duration(resp), time.Duration(svc))
		}
	}
	var sum Point
	for i, p := range res.Timeseries {
		if want := time.Duration(i) * res.Interval; p.Offset != want {
			t.Errorf("point %d at offset %v, want %v (a multiple of the interval %v)", i, p.Offset, want, res.Interval)
		}
		sum.Accepted += p.Accepted
		sum.Rejected += p.Rejected
		sum.Errors += p.Errors
	}
	if sum.Accepted != res.Accepted || sum.Rejected != res.Rejected || sum.Errors != res.Errors {
		t.Errorf("time series sums to %d/%d/%d accepted/rejected/errors, want %d/%d/%d",
			sum.Accepted, sum.Rejected, sum.Errors, res.Accepted, res.Rejected, res.Errors)
	}
	return res
}

// slotsBefore counts the pacer's slots before d, at most limit (0: none).
func slotsBefore(p Pacer, d time.Duration, limit int64) (n int64, last time.Duration) {
	for hit := uint64(0); limit == 0 || int64(hit) < limit; hit++ {
		at, ok := p.At(hit)
		if !ok || at >= d {
			break
		}
		n, last = n+1, at
	}
	return n, last
}

func steadyPacer(t *testing.T, rate float64) Pacer {
	t.Helper()
	p, err := NewSteady(rate)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func burstyPacer(t *testing.T, size int64, every time.Duration, baseRate float64) Pacer {
	t.Helper()
	p, err := NewBursty(size, every, baseRate)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenSendsTheSchedule checks that the open model sends every slot of
// the schedule before Duration, stops at Requests when that comes first,
// and reports the offered rate of the schedule it sent.
func TestOpenSendsTheSchedule(t *testing.T) {
	steady := steadyPacer(t, 200)
	bursts := burstyPacer(t, 10, 100*time.Millisecond, 0)
	burstsOnBase := burstyPacer(t, 5, 100*time.Millisecond, 50)
	tests := []struct {
		name          string
		pacer         Pacer
		duration      time.Duration
		requests      int64
		wantSent      int64
		wantScheduled time.Duration
		wantOffered   float64 // 0: not checked
	}{
		{"steady for a duration", steady, 500 * time.Millisecond, 0, 100, 500 * time.Millisecond, 200},
		{"steady, requests first", steady, 500 * time.Millisecond, 30, 30, 150 * time.Millisecond, 200},
		{"steady, duration first", steady, 100 * time.Millisecond, 1000, 20, 100 * time.Millisecond, 200},
		{"steady by requests alone", steady, 0, 40, 40, 200 * time.Millisecond, 200},
		{"bursty", bursts, 300 * time.Millisecond, 0, 30, 300 * time.Millisecond, 100},
		{"bursty, requests first", bursts, time.Second, 15, 15, 110 * time.Millisecond, 0},
		{"bursty on a base rate", burstsOnBase, 200 * time.Millisecond, 0, 20, 200 * time.Millisecond, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n, _ := slotsBefore(tt.pacer, orForever(tt.duration), tt.requests); n != tt.wantSent {
				t.Fatalf("the pacer has %d slots, the test expects %d", n, tt.wantSent)
			}
			_, last := slotsBefore(tt.pacer, orForever(tt.duration), tt.requests)
			f := &probeLimiter{}
			var observed, accepted atomic.Int64
			observe := func(s Sample) {
				observed.Add(1)
				if s.Outcome.Kind == target.Accepted {
					accepted.Add(1)
				}
			}
			res := runChecked(t, t.Context(), Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer,
				Duration: tt.duration, Requests: tt.requests, MaxInflight: 16, Observe: observe,
			}, f)
			if res.Sent != tt.wantSent || res.Accepted != tt.wantSent || res.Errors != 0 {
				t.Errorf("sent/accepted/errors = %d/%d/%d, want %d/%[4]d/0", res.Sent, res.Accepted, res.Errors, tt.wantSent)
			}
			if res.Interrupted {
				t.Error("Interrupted on a run that ended by itself")
			}
			if res.Scheduled != tt.wantScheduled {
				t.Errorf("Scheduled = %v, want %v", res.Scheduled, tt.wantScheduled)
			}
			if tt.wantOffered > 0 && math.Abs(res.Offered()-tt.wantOffered) > tt.wantOffered/1000 {
				t.Errorf("Offered = %v/s, want %v/s", res.Offered(), tt.wantOffered)
			}
			// The last request cannot be answered before its slot.
			if res.Elapsed < last {
				t.Errorf("Elapsed %v is before the last slot %v", res.Elapsed, last)
			}
			if got := f.most.Load(); got > 16 {
				t.Errorf("%d calls in flight at once, MaxInflight 16", got)
			}
			if observed.Load() != res.Sent || accepted.Load() != res.Accepted {
				t.Errorf("observed %d samples, %d accepted; want %d, %d", observed.Load(), accepted.Load(), res.Sent, res.Accepted)
			}
		})
	}
}

// orForever is d, or forever for 0 (no duration bound).
func orForever(d time.Duration) time.Duration {
	if d == 0 {
		return math.MaxInt64
	}
	return d
}

// TestOpenSlowLimiterFallsBehind: one worker and a limiter that takes 20 ms
// cannot keep a schedule of one request a millisecond. Request i goes out
// no earlier than 20·i ms, at least 19·i ms after its slot, so every
// request after the first is missed whatever the machine's load.
func TestOpenSlowLimiterFallsBehind(t *testing.T) {
	f := &probeLimiter{delay: 20 * time.Millisecond}
	res := runChecked(t, t.Context(), Config{
		Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 1000),
		Duration: time.Second, Requests: 10, MaxInflight: 1, MissAfter: 5 * time.Millisecond,
	}, f)
	if res.Sent != 10 {
		t.Fatalf("sent %d, want 10", res.Sent)
	}
	if res.Missed < 9 || !res.Behind() {
		t.Errorf("Missed = %d, Behind = %v; want at least 9 and true", res.Missed, res.Behind())
	}
	if lag := time.Duration(res.Lag.Max()); lag < 150*time.Millisecond {
		t.Errorf("max lag %v, want at least 9·19 ms", lag)
	}
	if svc := time.Duration(res.Service.ValueAtQuantile(0)); svc < 19*time.Millisecond {
		t.Errorf("fastest service time %v, below the limiter's 20 ms sleep", svc)
	}
	// The last request's slot was at 9 ms and its answer came after 200 ms.
	if resp := time.Duration(res.Latency.Max()); resp < 180*time.Millisecond {
		t.Errorf("max response time %v hides the lag: want at least 180 ms", resp)
	}
	if got := f.most.Load(); got != 1 {
		t.Errorf("%d calls in flight at once, MaxInflight 1", got)
	}
}

// TestInflightBound counts the calls in flight at once in the limiter.
func TestInflightBound(t *testing.T) {
	fast := steadyPacer(t, 5000)
	tests := []struct {
		name        string
		pacer       Pacer
		maxInflight int
		concurrency int
		want        int64
	}{
		{"open, 4 in flight", fast, 4, 0, 4},
		{"open, 1 in flight", fast, 1, 0, 1},
		{"open, bursts of 50 through 8", burstyPacer(t, 50, 50*time.Millisecond, 0), 8, 0, 8},
		{"closed, 3 workers", nil, 0, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &probeLimiter{delay: 2 * time.Millisecond}
			res := runChecked(t, t.Context(), Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer,
				MaxInflight: tt.maxInflight, Concurrency: tt.concurrency, Requests: 150,
			}, f)
			if res.Sent != 150 {
				t.Errorf("sent %d, want 150", res.Sent)
			}
			if got := f.most.Load(); got < 1 || got > tt.want {
				t.Errorf("%d calls in flight at once, want 1 to %d", got, tt.want)
			}
		})
	}
}

// TestOpenCancel cancels a run mid-way: sending stops, the requests in
// flight are answered and counted as decisions, not errors, and no request
// is sent after the cancellation, even when every worker is busy.
func TestOpenCancel(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64
		maxInflight int
		delay       time.Duration
		cancelAt    int64
		wantLate    int64 // most calls that may begin after the cancel
	}{
		// Idle workers: requests handed over just before the cancel may
		// reach the limiter just after it, one a worker at the most.
		{"idle workers", 2000, 8, 0, 50, 8},
		// Every worker busy: the generator is blocked handing over the next
		// request when the cancel comes, and must not hand it over.
		{"every worker busy", 1000, 1, 5 * time.Millisecond, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := &probeLimiter{delay: tt.delay, stop: ctx.Done(), onCall: func(call int64) {
				if call == tt.cancelAt {
					// Long enough for the generator to be waiting for a
					// worker when the cancel comes.
					time.Sleep(20 * time.Millisecond)
					cancel()
					time.Sleep(30 * time.Millisecond) // still in flight after the cancel
				}
			}}
			res := runChecked(t, ctx, Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, tt.rate),
				Duration: 10 * time.Second, MaxInflight: tt.maxInflight,
			}, f)
			if !res.Interrupted {
				t.Error("Interrupted = false after a cancel")
			}
			if res.Errors != 0 {
				t.Errorf("%d errors (%v): requests in flight were cut short", res.Errors, res.FirstError)
			}
			if res.Sent < tt.cancelAt {
				t.Errorf("sent %d, want at least the %d before the cancel", res.Sent, tt.cancelAt)
			}
			if late := f.late.Load(); late > tt.wantLate {
				t.Errorf("%d requests sent after the cancel, want at most %d", late, tt.wantLate)
			}
			if res.Scheduled <= 0 || res.Scheduled >= 10*time.Second {
				t.Errorf("Scheduled = %v, want the part of the schedule sent", res.Scheduled)
			}
		})
	}
}

// TestRunWaitsForStart checks that a run begins at Config.Start, in both
// models: no call comes before it, and an open run's slots count from it.
func TestRunWaitsForStart(t *testing.T) {
	for _, open := range []bool{true, false} {
		t.Run(fmt.Sprintf("open=%v", open), func(t *testing.T) {
			f := &probeLimiter{}
			cfg := Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Requests: 5, Concurrency: 2}
			if open {
				cfg.Pacer = steadyPacer(t, 1000)
			}
			cfg.Start = time.Now().Add(100 * time.Millisecond)
			res := runChecked(t, t.Context(), cfg, f)
			if res.Sent != 5 {
				t.Errorf("sent %d, want 5", res.Sent)
			}
			if first := f.firstCall(); first.Before(cfg.Start) {
				t.Errorf("first call %v before the start", cfg.Start.Sub(first))
			}
		})
	}
}

// TestRunStartAlreadyPast: a Start that has passed by the time Run is
// called is still the start, so that a pacer built for it stays aligned;
// the slots already due go out at once and are counted late, not hidden
// by moving the schedule.
func TestRunStartAlreadyPast(t *testing.T) {
	f := &probeLimiter{}
	res := runChecked(t, t.Context(), Config{
		Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 100),
		Duration: 100 * time.Millisecond, MissAfter: 5 * time.Millisecond,
		Start: time.Now().Add(-60 * time.Millisecond),
	}, f)
	if res.Sent != 10 {
		t.Fatalf("sent %d, want the 10 slots of 100 ms", res.Sent)
	}
	// Slots 0-4 (0 to 40 ms) were due at least 20 ms before Run began.
	if res.Missed < 5 {
		t.Errorf("Missed = %d, want at least the 5 slots due before Run was called", res.Missed)
	}
	if lag := time.Duration(res.Lag.Max()); lag < 60*time.Millisecond {
		t.Errorf("max lag %v, want at least 60 ms: slot 0 was due 60 ms before Run", lag)
	}
}

// TestRunCancelBeforeStart cancels while Run waits for its Start.
func TestRunCancelBeforeStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	f := &probeLimiter{}
	begun := time.Now()
	res := runChecked(t, ctx, Config{
		Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 100),
		Requests: 10, Start: time.Now().Add(time.Minute),
	}, f)
	if took := time.Since(begun); took > 30*time.Second {
		t.Errorf("Run took %v: it waited for the start after the cancel", took)
	}
	if !res.Interrupted || res.Sent != 0 {
		t.Errorf("Interrupted %v, sent %d; want true, 0", res.Interrupted, res.Sent)
	}
}

// TestTimeseries checks the time series in both models: its points add up
// to the counts (runChecked), sit at multiples of the interval, and a run
// two intervals long has answers in both.
func TestTimeseries(t *testing.T) {
	outcome := func(call int64) (bool, error) {
		switch {
		case call%7 == 0:
			return false, errors.New("boom")
		case call%3 == 0:
			return false, nil
		}
		return true, nil
	}
	tests := []struct {
		name  string
		pacer Pacer
		delay time.Duration
	}{
		{"open", steadyPacer(t, 200), 0},
		{"closed", nil, time.Millisecond},
	}
	const interval = 250 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &probeLimiter{delay: tt.delay, outcome: outcome}
			res := runChecked(t, t.Context(), Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer, Concurrency: 2,
				Duration: 2 * interval, Interval: interval,
			}, f)
			if res.Interval != interval {
				t.Errorf("Interval = %v, want %v", res.Interval, interval)
			}
			if res.Accepted == 0 || res.Rejected == 0 || res.Errors == 0 {
				t.Errorf("accepted/rejected/errors = %d/%d/%d, want some of each", res.Accepted, res.Rejected, res.Errors)
			}
			if len(res.Timeseries) < 2 {
				t.Fatalf("%d points, want at least 2: %+v", len(res.Timeseries), res.Timeseries)
			}
			for i, p := range res.Timeseries[:2] {
				if p.Accepted+p.Rejected+p.Errors == 0 {
					t.Errorf("point %d is empty: %+v", i, res.Timeseries)
				}
			}
		})
	}
}

// TestKeysAndTiers spreads requests over many keys, with and without tiers.
func TestKeysAndTiers(t *testing.T) {
	keys, err := NewUniformKeys(10, 7)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, 10)
	for k := range want {
		want[k] = fmt.Sprintf("user:%d", k)
	}
	slices.Sort(want)

	t.Run("uniform", func(t *testing.T) {
		f := &probeLimiter{}
		cfg := Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "user", Keys: keys, Concurrency: 4, Requests: 500}
		res := runChecked(t, t.Context(), cfg, f)
		if got := f.keysAsked(); !slices.Equal(got, want) {
			t.Errorf("keys asked %v, want %v", got, want)
		}
		if res.Accuracy.Keys != 10 {
			t.Errorf("Accuracy.Keys = %d, want 10", res.Accuracy.Keys)
		}
		if got := cfg.withDefaults().keyName(3); got != "user:3" {
			t.Errorf("keyName(3) = %q, want user:3", got)
		}
		one := Config{Key: "user"}.withDefaults()
		if got := one.keyName(0); got != "user" {
			t.Errorf("keyName(0) of a single key = %q, want user", got)
		}
	})

	t.Run("tiers", func(t *testing.T) {
		var tiers []Tier
		for _, s := range []string{"free=5/1m:0.6", "premium=50/1m:0.4"} {
			tier, err := ParseTier(s)
			if err != nil {
				t.Fatal(err)
			}
			tiers = append(tiers, tier)
		}
		tierOf, err := AssignTiers(tiers, 10)
		if err != nil {
			t.Fatal(err)
		}
		f := &probeLimiter{enforce: true}
		res := runChecked(t, t.Context(), Config{
			Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "user", Keys: keys, Tiers: tiers, TierOf: tierOf,
			Concurrency: 4, Requests: 2000,
		}, f)
		if f.clash != "" {
			t.Error(f.clash)
		}
		f.mu.Lock()
		for k := range 10 {
			name := fmt.Sprintf("user:%d", k)
			wantLimit := tiers[0].Limit // keys 0-5
			if k >= 6 {
				wantLimit = tiers[1].Limit
			}
			if got, ok := f.limits[name]; !ok || got != wantLimit {
				t.Errorf("%s asked under %+v, want its tier's %+v", name, got, wantLimit)
			}
		}
		f.mu.Unlock()
		// Every key gets about 200 requests, enough to use up its limit.
		if res.Accepted != 6*5+4*50 {
			t.Errorf("accepted %d, want 6·5 + 4·50 = 230", res.Accepted)
		}
		acc := res.Accuracy
		if acc.Keys != 10 || acc.OverAdmitted != 0 || acc.KeysOverBound != 0 {
			t.Errorf("keys %d, over-admitted %d on %d keys; want 10, 0, 0", acc.Keys, acc.OverAdmitted, acc.KeysOverBound)
		}
		if acc.Busiest.MostInWindow != 50 || acc.Busiest.Bound != 50 || acc.Busiest.Key < 6 {
			t.Errorf("busiest %+v, want a premium key with 50 of 50", acc.Busiest)
		}
		if want := (6*5.0 + 4*50.0) / 60; math.Abs(acc.ConfiguredPerS-want) > 1e-9 {
			t.Errorf("ConfiguredPerS = %v, want %v", acc.ConfiguredPerS, want)
		}
	})

	t.Run("over-admitting limiter", func(t *testing.T) {
		f := &probeLimiter{} // admits everything
		res := runChecked(t, t.Context(), Config{
			Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: algorithms.Limit{Requests: 10, Window: time.Minute}, Key: "user",
			Concurrency: 4, Requests: 30,
		}, f)
		acc := res.Accuracy
		if acc.Busiest.MostInWindow != 30 || acc.Busiest.Bound != 10 || acc.OverAdmitted != 20 || acc.KeysOverBound != 1 {
			t.Errorf("accuracy %+v, want 30 in a window against a bound of 10: 20 over on 1 key", acc)
		}
	})
}

// TestAccuracyOnMiniredis holds every atomic algorithm, on the Redis
// server's clock (TIME, read in the script), to its promise under the
// seed's 64-worker storm: the busiest window of one minute holds exactly
// the limit. The baseline promises nothing and so is never over.
//
// miniredis's TIME is pinned to the middle of a minute: on its default, the
// wall clock, a storm under -race lasts 1-3 s, in which the token and leaky
// buckets rightly refill one or more requests (one every 600 ms), and a
// minute boundary would let the fixed window admit twice.
func TestAccuracyOnMiniredis(t *testing.T) {
	limit := hundredAMinute
	for _, name := range append(algorithms.Names(), algorithms.BaselineName) {
		t.Run(name, func(t *testing.T) {
			m := miniredis.RunT(t)
			m.SetTime(time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC))
			rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), PoolSize: 64, MaxRetries: -1})
			t.Cleanup(func() { rdb.Close() })
			l, err := algorithms.New(name, rdb, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			res := runChecked(t, t.Context(), Config{
				Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit, Key: "user:storm", Concurrency: 64, Requests: 640,
				Timeout: 5 * time.Second,
			}, nil)
			acc := res.Accuracy
			t.Logf("%s: %d accepted, most in a window %d, bound %d, %v", name, res.Accepted, acc.Busiest.MostInWindow, acc.Busiest.Bound, res.Elapsed)
			if res.Errors != 0 {
				t.Fatalf("%d errors: %v", res.Errors, res.FirstError)
			}
			if acc.OverAdmitted != 0 || acc.KeysOverBound != 0 || acc.Keys != 1 {
				t.Errorf("over-admitted %d on %d of %d keys, want 0 on 0 of 1", acc.OverAdmitted, acc.KeysOverBound, acc.Keys)
			}
			if name == algorithms.BaselineName {
				if acc.Busiest.Bound != algorithms.NoBound || res.Accepted != 640 {
					t.Errorf("baseline: bound %d, accepted %d; want NoBound, 640", acc.Busiest.Bound, res.Accepted)
				}
				return
			}
			if acc.Busiest.MostInWindow != limit.Requests {
				t.Errorf("most in a window %d, want the limit %d", acc.Busiest.MostInWindow, limit.Requests)
			}
		})
	}
}

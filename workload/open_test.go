package workload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
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

func (f *probeLimiter) AllowN(ctx context.Context, key string, limit algorithms.Limit, _ int64) (algorithms.Decision, error) {
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
	// A call whose context ended before its answer fails with the
	// context's error, as a Redis client's does.
	if err := ctx.Err(); err != nil {
		return algorithms.Decision{}, err
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

// The timing tests run under testing/synctest: inside the bubble time is a
// fake clock that moves only when every goroutine of the run is blocked, so
// that slots, sleeps and timeouts fall on exact instants whatever the load
// of the machine, and the tests assert those instants exactly.

// samples collects what a run's observer sees.
type samples struct {
	mu  sync.Mutex
	all []Sample
}

func (s *samples) observe(x Sample) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, x)
}

// bySlot is every sample, in the order of their slots, then of sending.
func (s *samples) bySlot() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.SortedStableFunc(slices.Values(s.all), func(a, b Sample) int {
		return cmp.Or(a.Intended.Compare(b.Intended), a.Sent.Compare(b.Sent))
	})
}

// checkQuantile checks that h's value at percentile q is want, to the
// histogram's precision.
func checkQuantile(t *testing.T, name string, h *hdrhistogram.Histogram, q float64, want time.Duration) {
	t.Helper()
	if got := h.ValueAtQuantile(q); !h.ValuesAreEquivalent(got, int64(want)) {
		t.Errorf("%s p%v = %v, want %v", name, q, time.Duration(got), want)
	}
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
// the schedule before Duration, each at its slot, stops at Requests when
// that comes first, and reports the offered rate of the schedule it sent.
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
			synctest.Test(t, func(t *testing.T) {
				f := &probeLimiter{}
				var seen samples
				res := runChecked(t, t.Context(), Config{
					Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer,
					Duration: tt.duration, Requests: tt.requests, MaxInflight: 16, Observe: seen.observe,
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
				if tt.wantOffered > 0 && math.Abs(res.Offered()-tt.wantOffered) > tt.wantOffered*1e-9 {
					t.Errorf("Offered = %v/s, want %v/s", res.Offered(), tt.wantOffered)
				}
				// An idle limiter answers at once: the run ends at the last slot.
				if res.Elapsed != last {
					t.Errorf("Elapsed %v, want the last slot %v", res.Elapsed, last)
				}
				if got := f.most.Load(); got > 16 {
					t.Errorf("%d calls in flight at once, MaxInflight 16", got)
				}
				// Every request goes out at its slot, none late, and is
				// observed once.
				all := seen.bySlot()
				if int64(len(all)) != res.Sent {
					t.Fatalf("observed %d samples, want %d", len(all), res.Sent)
				}
				for i, s := range all {
					slot, _ := tt.pacer.At(uint64(i))
					if !s.Intended.Equal(res.Start.Add(slot)) || !s.Sent.Equal(s.Intended) || !s.Done.Equal(s.Sent) || s.Outcome.Kind != target.Accepted {
						t.Errorf("request %d: due %v, sent %v, done %v, %v; want all at the slot %v, accepted",
							i, s.Intended.Sub(res.Start), s.Sent.Sub(res.Start), s.Done.Sub(res.Start), s.Outcome.Kind, slot)
					}
				}
				if res.Missed != 0 || res.Lag.Max() != 0 {
					t.Errorf("missed %d, max lag %v; want 0, 0", res.Missed, time.Duration(res.Lag.Max()))
				}
			})
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
// cannot keep a schedule of one request a millisecond. Request i, due at
// i ms, goes out when the worker is free, at 20·i ms: 19·i ms late, so
// every request after the first is missed, and its response time counts
// the lag.
func TestOpenSlowLimiterFallsBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &probeLimiter{delay: 20 * time.Millisecond}
		var seen samples
		res := runChecked(t, t.Context(), Config{
			Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 1000),
			Duration: time.Second, Requests: 10, MaxInflight: 1, MissAfter: 5 * time.Millisecond, Observe: seen.observe,
		}, f)
		if res.Sent != 10 {
			t.Fatalf("sent %d, want 10", res.Sent)
		}
		for i, s := range seen.bySlot() {
			due, sent, done := s.Intended.Sub(res.Start), s.Sent.Sub(res.Start), s.Done.Sub(res.Start)
			if want := time.Duration(i) * time.Millisecond; due != want || sent != 20*want || done != 20*want+20*time.Millisecond {
				t.Errorf("request %d due %v, sent %v, done %v; want %v, %v, %v", i, due, sent, done, want, 20*want, 20*want+20*time.Millisecond)
			}
		}
		if res.Missed != 9 || !res.Behind() {
			t.Errorf("Missed = %d, Behind = %v; want 9 and true", res.Missed, res.Behind())
		}
		checkQuantile(t, "lag", res.Lag, 0, 0)
		checkQuantile(t, "lag", res.Lag, 100, 9*19*time.Millisecond)
		checkQuantile(t, "service time", res.Service, 0, 20*time.Millisecond)
		checkQuantile(t, "service time", res.Service, 100, 20*time.Millisecond)
		// The first request was answered 20 ms after its slot; the last,
		// due at 9 ms, at 200 ms.
		checkQuantile(t, "response time", res.Latency, 0, 20*time.Millisecond)
		checkQuantile(t, "response time", res.Latency, 100, 191*time.Millisecond)
		if res.Elapsed != 200*time.Millisecond || res.Scheduled != 10*time.Millisecond {
			t.Errorf("Elapsed %v, Scheduled %v; want 200ms, 10ms", res.Elapsed, res.Scheduled)
		}
		if got := f.most.Load(); got != 1 {
			t.Errorf("%d calls in flight at once, MaxInflight 1", got)
		}
	})
}

// TestInflightBound counts the calls in flight at once in the limiter,
// which takes 2 ms a call: the bound is reached, never passed, and the run
// lasts as long as 150 calls take through that many at a time.
func TestInflightBound(t *testing.T) {
	fast := steadyPacer(t, 5000) // a slot every 200 µs, faster than the limiter
	tests := []struct {
		name        string
		pacer       Pacer
		maxInflight int
		concurrency int
		want        int64
		wantElapsed time.Duration
	}{
		// Request n goes out at 2·(n/4) ms + 200 µs·(n%4): the last,
		// 149, at 74.2 ms.
		{"open, 4 in flight", fast, 4, 0, 4, 76200 * time.Microsecond},
		{"open, 1 in flight", fast, 1, 0, 1, 300 * time.Millisecond},
		// Three bursts, at 0, 50 and 100 ms, each 7 rounds of 2 ms.
		{"open, bursts of 50 through 8", burstyPacer(t, 50, 50*time.Millisecond, 0), 8, 0, 8, 114 * time.Millisecond},
		{"closed, 3 workers", nil, 0, 3, 3, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &probeLimiter{delay: 2 * time.Millisecond}
				res := runChecked(t, t.Context(), Config{
					Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer,
					MaxInflight: tt.maxInflight, Concurrency: tt.concurrency, Requests: 150,
				}, f)
				if res.Sent != 150 {
					t.Errorf("sent %d, want 150", res.Sent)
				}
				if got := f.most.Load(); got != tt.want {
					t.Errorf("%d calls in flight at once, want %d", got, tt.want)
				}
				if res.Elapsed != tt.wantElapsed {
					t.Errorf("Elapsed %v, want %v", res.Elapsed, tt.wantElapsed)
				}
			})
		})
	}
}

// TestOpenCancel cancels a run mid-way, while request cancelAt is in
// flight: sending stops, that request is answered and counted as a
// decision, not an error, and no request is sent after the cancellation,
// whether the generator was waiting for a slot or for a busy worker.
func TestOpenCancel(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64
		maxInflight int
		delay       time.Duration
		cancelAt    int64
		// wait is how long request cancelAt runs before it cancels; it
		// stays in flight 30 ms after, then takes delay like every call.
		wait          time.Duration
		wantScheduled time.Duration
		wantElapsed   time.Duration
	}{
		// Idle workers: request 50, due at 24.5 ms, cancels at once, before
		// the next slot, at 25 ms.
		{"idle workers", 2000, 8, 0, 50, 0, 25 * time.Millisecond, 54500 * time.Microsecond},
		// Every worker busy: request 5 goes out at 20 ms (4 calls of 5 ms
		// before it) and cancels at 40 ms, with the generator blocked
		// handing over request 6, due at 5 ms; it must not hand it over.
		{"every worker busy", 1000, 1, 5 * time.Millisecond, 5, 20 * time.Millisecond, 5 * time.Millisecond, 75 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				f := &probeLimiter{delay: tt.delay, stop: ctx.Done(), onCall: func(call int64) {
					if call == tt.cancelAt {
						time.Sleep(tt.wait)
						cancel()
						time.Sleep(30 * time.Millisecond) // still in flight after the cancel
					}
				}}
				res := runChecked(t, ctx, Config{
					Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, tt.rate),
					Duration: 10 * time.Second, MaxInflight: tt.maxInflight,
				}, f)
				if !res.Interrupted || res.EndedBy != EndedByInterrupt {
					t.Errorf("Interrupted = %v, EndedBy %q after a cancel; want true, %q", res.Interrupted, res.EndedBy, EndedByInterrupt)
				}
				if res.Errors != 0 {
					t.Errorf("%d errors (%v): requests in flight were cut short", res.Errors, res.FirstError)
				}
				if res.Sent != tt.cancelAt || res.Accepted != tt.cancelAt {
					t.Errorf("sent %d, accepted %d; want the %d sent before the cancel", res.Sent, res.Accepted, tt.cancelAt)
				}
				if late := f.late.Load(); late != 0 {
					t.Errorf("%d requests sent after the cancel, want 0", late)
				}
				if res.Scheduled != tt.wantScheduled || res.Elapsed != tt.wantElapsed {
					t.Errorf("Scheduled %v, Elapsed %v; want %v, %v", res.Scheduled, res.Elapsed, tt.wantScheduled, tt.wantElapsed)
				}
			})
		})
	}
}

// TestRunWaitsForStart checks that a run begins at Config.Start, in both
// models: the first call comes at that instant, and an open run's slots
// count from it.
func TestRunWaitsForStart(t *testing.T) {
	for _, open := range []bool{true, false} {
		t.Run(fmt.Sprintf("open=%v", open), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &probeLimiter{}
				var seen samples
				cfg := Config{
					Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Requests: 5, Concurrency: 2,
					Observe: seen.observe,
				}
				if open {
					cfg.Pacer = steadyPacer(t, 1000)
				}
				cfg.Start = time.Now().Add(100 * time.Millisecond)
				res := runChecked(t, t.Context(), cfg, f)
				if res.Sent != 5 {
					t.Errorf("sent %d, want 5", res.Sent)
				}
				if first := f.firstCall(); !first.Equal(cfg.Start) || !res.Start.Equal(cfg.Start) {
					t.Errorf("first call %v, Result.Start %v after the start; want both 0",
						first.Sub(cfg.Start), res.Start.Sub(cfg.Start))
				}
				for i, s := range seen.bySlot() {
					want := cfg.Start
					if open {
						want = want.Add(time.Duration(i) * time.Millisecond)
					}
					if !s.Sent.Equal(want) {
						t.Errorf("request %d sent %v after the start, want %v", i, s.Sent.Sub(cfg.Start), want.Sub(cfg.Start))
					}
				}
			})
		})
	}
}

// TestRunStartAlreadyPast: a Start that has passed by the time Run is
// called is still the start, so that a pacer built for it stays aligned;
// the slots already due go out at once and are counted late, not hidden
// by moving the schedule.
func TestRunStartAlreadyPast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &probeLimiter{}
		var seen samples
		start := time.Now().Add(-60 * time.Millisecond)
		res := runChecked(t, t.Context(), Config{
			Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 100),
			Duration: 100 * time.Millisecond, MissAfter: 5 * time.Millisecond, Start: start, Observe: seen.observe,
		}, f)
		if res.Sent != 10 {
			t.Fatalf("sent %d, want the 10 slots of 100 ms", res.Sent)
		}
		if !res.Start.Equal(start) {
			t.Errorf("Result.Start %v after the Start, want 0", res.Start.Sub(start))
		}
		// Slots 0-6 (0 to 60 ms) were due by the time Run was called, 60 ms
		// after the start, and went out then; 7-9 on time.
		for i, s := range seen.bySlot() {
			slot := time.Duration(i) * 10 * time.Millisecond
			wantLag := max(60*time.Millisecond-slot, 0)
			if due, lag := s.Intended.Sub(start), s.Sent.Sub(s.Intended); due != slot || lag != wantLag {
				t.Errorf("request %d due %v, %v late; want %v, %v late", i, due, lag, slot, wantLag)
			}
		}
		if res.Missed != 6 {
			t.Errorf("Missed = %d, want the 6 slots due more than 5 ms before Run was called", res.Missed)
		}
		checkQuantile(t, "lag", res.Lag, 100, 60*time.Millisecond)
		if res.Elapsed != 90*time.Millisecond {
			t.Errorf("Elapsed %v, want 90ms: the last slot's", res.Elapsed)
		}
	})
}

// TestRunWindowEdgeAligned runs window-edge traffic built for Start against
// a fixed window of 20 a second on the same clock: each burst goes out
// exactly 5 ms from the epoch-aligned boundary, on its side, so the fixed
// window admits both, 40 within 10 ms: its bound of twice the limit in any
// second, and the limit in each aligned second.
func TestRunWindowEdgeAligned(t *testing.T) {
	limit := algorithms.Limit{Requests: 20, Window: time.Second}
	fixed, err := algorithms.New("fixed", nil, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		counts := map[int64]int64{} // admissions by aligned window
		f := &fakeLimiter{answer: func(context.Context, int64) (algorithms.Decision, error) {
			now := time.Now()
			mu.Lock()
			defer mu.Unlock()
			w := now.UnixNano() / int64(limit.Window)
			if counts[w] == limit.Requests {
				return algorithms.Decision{At: now}, nil
			}
			counts[w]++
			return algorithms.Decision{Allowed: true, At: now}, nil
		}}
		start := time.Now().Add(20 * time.Millisecond)
		p, err := NewWindowEdge(limit.Window, 5*time.Millisecond, limit.Requests, start)
		if err != nil {
			t.Fatal(err)
		}
		var seen samples
		res, err := Run(t.Context(), Config{
			Target: target.Limiter(f), Promise: fixed, Name: "fixed", Limit: limit, Key: "edge", Pacer: p, Start: start,
			Requests: 40, Observe: seen.observe,
		})
		if err != nil {
			t.Fatal(err)
		}
		boundary := time.Unix(0, (start.UnixNano()/int64(limit.Window)+1)*int64(limit.Window))
		for i, s := range seen.bySlot() {
			want := boundary.Add(-5 * time.Millisecond)
			if i >= 20 {
				want = boundary.Add(5 * time.Millisecond)
			}
			if !s.Sent.Equal(want) || s.Outcome.Kind != target.Accepted {
				t.Errorf("request %d sent %v from the boundary, %v; want %v, accepted", i, s.Sent.Sub(boundary), s.Outcome.Kind, want.Sub(boundary))
			}
		}
		if len(res.Accuracy.PerKey) != 1 {
			t.Fatalf("%d keys, want 1", len(res.Accuracy.PerKey))
		}
		k := res.Accuracy.PerKey[0]
		if res.Accepted != 40 || k.MaxAdmittedInWindow != 40 || k.Bound != 40 || k.MaxAdmittedInAlignedWindow != 20 || k.AlignedBound != 20 || k.OverAdmitted != 0 {
			t.Errorf("accepted %d, most in a window %d of %d, in an aligned window %d of %d, over %d; want 40, 40 of 40, 20 of 20, 0",
				res.Accepted, k.MaxAdmittedInWindow, k.Bound, k.MaxAdmittedInAlignedWindow, k.AlignedBound, k.OverAdmitted)
		}
	})
}

// TestRunCancelBeforeStart cancels while Run waits for its Start.
func TestRunCancelBeforeStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		f := &probeLimiter{}
		begun := time.Now()
		res := runChecked(t, ctx, Config{
			Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 100),
			Requests: 10, Start: time.Now().Add(time.Minute),
		}, f)
		if took := time.Since(begun); took != 20*time.Millisecond {
			t.Errorf("Run took %v, want the 20ms until the cancel", took)
		}
		if !res.Interrupted || res.Sent != 0 {
			t.Errorf("Interrupted %v, sent %d; want true, 0", res.Interrupted, res.Sent)
		}
	})
}

// TestTimeseries checks the time series in both models: a run two
// intervals long has, in each point, the outcomes answered in it.
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
	// tally is the point of calls first to last.
	tally := func(offset time.Duration, first, last int64) Point {
		p := Point{Offset: offset}
		for call := first; call <= last; call++ {
			switch ok, err := outcome(call); {
			case err != nil:
				p.Errors++
			case ok:
				p.Accepted++
			default:
				p.Rejected++
			}
		}
		return p
	}
	const interval = 250 * time.Millisecond
	tests := []struct {
		name  string
		pacer Pacer
		delay time.Duration
		want  []Point
	}{
		// A slot every 5 ms, answered at once: 50 in each interval.
		{"open", steadyPacer(t, 200), 0, []Point{tally(0, 1, 50), tally(interval, 51, 100)}},
		// Two workers, 1 ms a call, sending until 500 ms: calls sent at
		// 249 ms are answered at 250, and the last two at 500 ms, the start
		// of a third point.
		{"closed", nil, time.Millisecond, []Point{tally(0, 1, 498), tally(interval, 499, 998), tally(2*interval, 999, 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &probeLimiter{delay: tt.delay, outcome: outcome}
				res := runChecked(t, t.Context(), Config{
					Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: tt.pacer, Concurrency: 2,
					Duration: 2 * interval, Interval: interval,
				}, f)
				if res.Interval != interval {
					t.Errorf("Interval = %v, want %v", res.Interval, interval)
				}
				if !slices.Equal(res.Timeseries, tt.want) {
					t.Errorf("time series\n%+v\nwant\n%+v", res.Timeseries, tt.want)
				}
			})
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
		defaulted := cfg.withDefaults()
		if got := defaulted.keyName(3); got != "user:3" {
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

// TestOpenSpinWaitNeverEarly runs the open model on the real clock with
// the spin wait on, sleeping precisely (on Linux), spinning, and spinning
// on one processor (yielding): every slot is sent, none before it is due,
// and whoever paces hands requests to every worker (a limiter that takes
// 2 ms keeps several in flight). How late a send is depends on the
// machine, so it is not checked.
func TestOpenSpinWaitNeverEarly(t *testing.T) {
	for _, c := range []struct {
		name  string
		spin  bool
		procs int
	}{{"sleep", false, 0}, {"spin", true, 0}, {"spin-one-processor", true, 1}} {
		t.Run(c.name, func(t *testing.T) {
			if c.procs > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			}
			f := &probeLimiter{delay: 2 * time.Millisecond}
			var seen samples
			res := runChecked(t, t.Context(), Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: hundredAMinute, Key: "k", Pacer: steadyPacer(t, 5000),
				Requests: 300, MaxInflight: 16, SpinWait: DefaultSpinWait, Spin: c.spin, Observe: seen.observe,
			}, f)
			if res.Sent != 300 || res.Accepted != 300 {
				t.Fatalf("sent %d, accepted %d; want 300, 300", res.Sent, res.Accepted)
			}
			for i, s := range seen.bySlot() {
				if slot, _ := steadyPacer(t, 5000).At(uint64(i)); !s.Intended.Equal(res.Start.Add(slot)) || s.Sent.Before(s.Intended) {
					t.Errorf("request %d: due %v, sent %v; want due at its slot %v, sent no earlier",
						i, s.Intended.Sub(res.Start), s.Sent.Sub(res.Start), slot)
				}
			}
			if f.most.Load() < 2 {
				t.Errorf("at most %d call in flight at once: the requests went out one by one", f.most.Load())
			}
		})
	}
}

// TestPacingMargin: the margin a precise sleep ends early by rises three
// steps for a sleep that woke later than it and falls one step otherwise,
// within its bounds, so that it settles where three sleeps in four wake
// within it.
func TestPacingMargin(t *testing.T) {
	p := pacing{margin: minMargin}
	p.learn(minMargin / 2)
	if p.margin != minMargin {
		t.Errorf("after an early wake at the lowest margin: %v, want %v", p.margin, minMargin)
	}
	p.learn(50 * time.Microsecond)
	if want := minMargin + 3*marginStep; p.margin != want {
		t.Errorf("after a late wake: %v, want %v", p.margin, want)
	}
	p.learn(0)
	if want := minMargin + 2*marginStep; p.margin != want {
		t.Errorf("after an early wake: %v, want %v", p.margin, want)
	}
	for range 1000 {
		p.learn(time.Second)
	}
	if p.margin != maxMargin {
		t.Errorf("after late wakes only: %v, want the most, %v", p.margin, maxMargin)
	}
	// Wakes late by 10 µs one time in 8 (under three in four) and by
	// 1 µs otherwise: the margin comes down to where the 1 µs wakes fall.
	for i := range 4000 {
		late := time.Microsecond
		if i%8 == 0 {
			late = 10 * time.Microsecond
		}
		p.learn(late)
	}
	if p.margin > 10*time.Microsecond {
		t.Errorf("margin %v after wakes mostly 1 µs late, want at most 10 µs", p.margin)
	}
}

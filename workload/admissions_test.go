package workload

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// TestAdmissionsMatchesTheSweep feeds admissions slightly out of order, as
// concurrent workers deliver them, and checks the streaming count against
// report.MaxInSpan over the sorted instants.
func TestAdmissionsMatchesTheSweep(t *testing.T) {
	for _, tt := range []struct {
		name    string
		span    time.Duration
		jitter  int64 // µs of reordering
		n       int
		spacing int64 // mean µs between admissions
	}{
		{"in order", time.Second, 0, 2000, 2000},
		{"reordered", time.Second, 3000, 5000, 700},
		{"bursts of equal instants", 100 * time.Millisecond, 500, 3000, 40},
		{"long window", time.Minute, 10000, 5000, 50000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var instants []int64
			now := int64(1_700_000_000_000_000)
			for range tt.n {
				now += rng.Int64N(2 * tt.spacing)
				instants = append(instants, now)
			}
			// Deliver with bounded reordering: swap neighbours within the jitter.
			delivered := append([]int64(nil), instants...)
			for i := 1; i < len(delivered); i++ {
				if delivered[i]-delivered[i-1] < tt.jitter && rng.IntN(2) == 0 {
					delivered[i], delivered[i-1] = delivered[i-1], delivered[i]
				}
			}
			a := newAdmissions(1, func(int) time.Duration { return tt.span }, 10*time.Millisecond)
			for _, us := range delivered {
				a.admit(a.key(0), time.UnixMicro(us))
			}
			a.countAll(a.key(0))
			sorted := slices.Sorted(slices.Values(instants))
			for s, span := range a.key(0).spans {
				want, _ := report.MaxInSpan(sorted, span)
				if got := a.key(0).most[s]; got != int64(want) {
					t.Errorf("span %dµs: streaming count %d, sweep %d", span, got, want)
				}
			}
			if got := a.key(0).admitted; got != int64(tt.n) {
				t.Errorf("admitted %d, want %d", got, tt.n)
			}
			if kept := len(a.key(0).times); tt.span < time.Minute && kept > tt.n/2+int(2*tt.span.Microseconds()/tt.spacing)+100 {
				t.Errorf("kept %d instants of %d: memory grows with the run", kept, tt.n)
			}
		})
	}
}

// TestAccuracyCountsUnits runs requests of cost 5 through a limiter that
// admits 6 of them: 30 units, against a bound counted in units.
func TestAccuracyCountsUnits(t *testing.T) {
	f := &fakeLimiter{answer: func(_ context.Context, call int64) (algorithms.Decision, error) {
		return algorithms.Decision{Allowed: call <= 6, At: time.Unix(100, 0)}, nil
	}}
	limit := algorithms.Limit{Requests: 10, Window: time.Minute}
	res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: limit, Key: "k", Cost: 5, Concurrency: 1, Requests: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Accuracy.Busiest; got.MostInWindow != 30 || got.Bound != 10 || res.Accuracy.OverAdmitted != 20 {
		t.Errorf("most %d, bound %d, over %d; want 30 units against 10, 20 over", got.MostInWindow, got.Bound, res.Accuracy.OverAdmitted)
	}
}

// alignedFixed is a limiter that promises a limit per aligned window, for
// the property test.
type alignedFixed struct{ fakeLimiter }

func (*alignedFixed) AlignedBound(limit algorithms.Limit) int64 { return limit.Requests }

// TestStreamingMatchesKeyFigures: on random traffic with unknown outcomes,
// the streaming figures equal report.KeyFigures over every instant and
// span, so that a run and a merge of its kept admissions agree exactly.
func TestStreamingMatchesKeyFigures(t *testing.T) {
	limit := algorithms.Limit{Requests: 50, Window: 100 * time.Millisecond}
	l := &alignedFixed{}
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		a := newAdmissions(1, func(int) time.Duration { return limit.Window }, 10*time.Millisecond)
		var instants []int64
		now := int64(1_700_000_000_000_000) + rng.Int64N(1e6)
		for range 1000 + rng.IntN(2000) {
			now += rng.Int64N(400)
			jittered := now + rng.Int64N(200) // out of order, within the allowance
			sent := time.UnixMicro(jittered - 300)
			done := time.UnixMicro(jittered + 300)
			switch rng.IntN(10) {
			case 0:
				a.unknownOutcome(0, sent, done, 1)
			default:
				a.decided(sent, done, time.UnixMicro(jittered))
				if rng.IntN(3) > 0 {
					a.admit(a.key(0), time.UnixMicro(jittered))
					instants = append(instants, jittered)
				}
			}
		}
		acc := a.summarise(func(int) algorithms.Limit { return limit }, l, func(int) string { return "k" }, func(int) string { return "" })
		got := acc.PerKey[0]
		ka := a.key(0)
		k := report.KeyAdmissions{Key: "k", WindowUS: got.WindowUS, Bound: got.Bound,
			BurstSpanUS: got.BurstSpanUS, BurstBound: got.BurstBound, AlignedBound: got.AlignedBound}
		want := report.KeyFigures(k, slices.Sorted(slices.Values(instants)), a.unknownSpans(ka))
		got.WindowStartUS = want.WindowStartUS // the stream does not track where
		if got != want {
			t.Errorf("seed %d:\nstreaming %+v\nKeyFigures %+v", seed, got, want)
		}
	}
}

// TestKeptAdmissionsMatch: the kept admissions decode to the figures the
// run reported, key by key, sorted by name.
func TestKeptAdmissionsMatch(t *testing.T) {
	f := &fakeLimiter{answer: func(_ context.Context, call int64) (algorithms.Decision, error) {
		if call%7 == 0 {
			return algorithms.Decision{}, context.DeadlineExceeded
		}
		return algorithms.Decision{Allowed: call%3 != 0, At: time.UnixMicro(1_700_000_000_000_000 + call*137)}, nil
	}}
	keys, err := NewUniformKeys(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: algorithms.Limit{Requests: 20, Window: 50 * time.Millisecond},
		Key: "u", Keys: keys, Concurrency: 1, Requests: 3000})
	if err != nil {
		t.Fatal(err)
	}
	kept := res.Accuracy.Kept
	if kept == nil || !kept.Complete || len(kept.Keys) != len(res.Accuracy.PerKey) {
		t.Fatalf("kept %+v, want complete with %d keys", kept, len(res.Accuracy.PerKey))
	}
	byName := map[string]report.KeyAccuracy{}
	for _, k := range res.Accuracy.PerKey {
		byName[k.Key] = k
	}
	for i, k := range kept.Keys {
		if i > 0 && kept.Keys[i-1].Key >= k.Key {
			t.Errorf("keys not sorted: %q before %q", kept.Keys[i-1].Key, k.Key)
		}
		instants, err := report.DecodeInstants(k.Instants)
		if err != nil {
			t.Fatal(err)
		}
		spans, err := report.DecodeSpans(k.Unknown)
		if err != nil {
			t.Fatal(err)
		}
		got := report.KeyFigures(k, instants, spans)
		want := byName[k.Key]
		got.WindowStartUS = want.WindowStartUS
		if got != want {
			t.Errorf("key %s: from kept %+v, reported %+v", k.Key, got, want)
		}
	}
}

// TestManyDeclaredKeysCostLittle: memory follows the keys used, not the
// keys declared: --keys 100000000 with 10 requests.
func TestManyDeclaredKeysCostLittle(t *testing.T) {
	f := &fakeLimiter{answer: func(context.Context, int64) (algorithms.Decision, error) {
		return algorithms.Decision{Allowed: true, At: time.Unix(100, 0)}, nil
	}}
	keys, err := NewUniformKeys(100_000_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: algorithms.Limit{Requests: 10, Window: time.Second},
		Key: "u", Keys: keys, Concurrency: 1, Requests: 10})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if res.Accuracy.Keys != 10 {
		t.Errorf("%d keys asked, want 10", res.Accuracy.Keys)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 50<<20 {
		t.Errorf("a run of 10 requests over 1e8 declared keys allocated %d MB, want under 50", grew>>20)
	}
}

// TestForgetAdmissions: a run told that nothing reads its admission
// instants keeps none, with the same figures; an untimed key still keeps
// what its figures are worked out from.
func TestForgetAdmissions(t *testing.T) {
	f := &fakeLimiter{answer: func(_ context.Context, call int64) (algorithms.Decision, error) {
		return algorithms.Decision{Allowed: call%3 != 0, At: time.UnixMicro(1_700_000_000_000_000 + call*137)}, nil
	}}
	keys, err := NewUniformKeys(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	var figures [2][]report.KeyAccuracy
	for i, forget := range []bool{false, true} {
		f.calls.Store(0)
		res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: algorithms.Limit{Requests: 20, Window: 50 * time.Millisecond},
			Key: "u", Keys: keys, Concurrency: 1, Requests: 3000, ForgetAdmissions: forget})
		if err != nil {
			t.Fatal(err)
		}
		if kept := res.Accuracy.Kept != nil; kept == forget {
			t.Errorf("forget %v: kept %v", forget, kept)
		}
		figures[i] = res.Accuracy.PerKey
	}
	if !slices.Equal(figures[0], figures[1]) {
		t.Errorf("figures differ when admissions are forgotten:\n%+v\n%+v", figures[0], figures[1])
	}

	// Untimed: the figures come from every send kept, over a run many
	// windows long.
	limit := algorithms.Limit{Requests: 20, Window: 10 * time.Millisecond}
	for i, forget := range []bool{false, true} {
		a := newAdmissions(1, func(int) time.Duration { return limit.Window }, time.Second)
		a.forgetInstants = forget
		rng := rand.New(rand.NewPCG(3, 4))
		now := int64(1_700_000_000_000_000)
		for i := range 20000 {
			// The busiest spans early on, long gone from the window at the end.
			step := int64(400)
			if i < 2000 {
				step = 20
			}
			now += rng.Int64N(step)
			a.admitUntimed(a.key(0), time.UnixMicro(now), time.Duration(rng.Int64N(200))*time.Microsecond)
		}
		acc := a.summarise(func(int) algorithms.Limit { return limit }, &fakeLimiter{}, func(int) string { return "k" }, func(int) string { return "" })
		figures[i] = acc.PerKey
	}
	if !slices.Equal(figures[0], figures[1]) {
		t.Errorf("untimed figures differ when admissions are forgotten:\n%+v\n%+v", figures[0], figures[1])
	}
}

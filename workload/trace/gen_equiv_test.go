package trace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// sameArrivals runs p's generator beside the reference (gen_ref_test.go,
// the generator as it was: a plain 4-ary heap and every sine computed)
// and fails at the first request where they differ, in offset, key or
// cost, or where one ends before the other. At most limit requests are
// compared (0: all). It returns the requests compared, how many came at
// the same offset as the one before (ties, ordered by key) and the last
// offset.
func sameArrivals(t *testing.T, p Params, limit int) (n, ties int, last time.Duration) {
	t.Helper()
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := newRefGen(p)
	if err != nil {
		t.Fatal(err)
	}
	prev := time.Duration(-1)
	for limit == 0 || n < limit {
		want, wok := ref.Next()
		got, ok := g.Next()
		if ok != wok || got != want {
			t.Fatalf("%+v: request %d is %+v (%v), want %+v (%v)", p, n, got, ok, want, wok)
		}
		if !ok {
			return n, ties, prev
		}
		if got.Offset == prev {
			ties++
		}
		prev = got.Offset
		n++
	}
	return n, ties, prev
}

// The faster generator gives exactly the reference's requests, on the
// defaults and on parameters chosen to reach its corners: one source and
// a few, ties galore, steep and flat zipf laws, fast, slow and faint
// diurnal swings, sources that end early or never send, offsets past
// 2^53 ns (104 days), where float64 no longer holds every nanosecond,
// Pareto draws past 2^63 ns, and many sources.
func TestGenMatchesReference(t *testing.T) {
	type tc struct {
		name  string
		set   func(*Params)
		limit int
		ties  bool          // the case must produce ties
		past  time.Duration // and requests past this offset
	}
	cases := []tc{
		{"defaults", func(p *Params) {}, 0, false, 0},
		{"defaults seed 2", func(p *Params) { p.Seed = 2 }, 0, false, 0},
		{"defaults seed 3 no end", func(p *Params) { p.Seed, p.Duration = 3, 0 }, 300_000, false, 0},
		{"abusive ties", func(p *Params) {
			p.Sources, p.Abusive, p.AbusiveRate, p.Duration = 200, 1, 1e6, 5*time.Millisecond
		}, 0, true, 0},
		{"flat always on ties", func(p *Params) {
			p.Sources, p.OffMean, p.RateZipf, p.Diurnal, p.Rate, p.Duration = 1000, 0, 0, 0, 1e7, 30*time.Millisecond
		}, 0, true, 0},
		{"mixed ties", func(p *Params) {
			p.Sources, p.Abusive, p.AbusiveRate, p.Rate, p.Duration = 5000, 0.2, 1e5, 1e7, 5*time.Millisecond
		}, 0, true, 0},
		{"fast diurnal", func(p *Params) {
			p.Sources, p.Diurnal, p.DiurnalPeriod, p.Rate, p.Duration = 300, 0.99, time.Second, 1e5, 5*time.Second
		}, 0, false, 0},
		{"slow diurnal", func(p *Params) {
			p.Sources, p.Diurnal, p.DiurnalPeriod, p.Rate, p.Duration = 3000, 0.3, time.Hour, 1e4, 30*time.Second
		}, 0, false, 0},
		{"tiny diurnal", func(p *Params) {
			p.Sources, p.Diurnal, p.Rate, p.Duration = 100, 1e-12, 1e4, 20*time.Second
		}, 0, false, 0},
		{"steep zipf", func(p *Params) { p.Sources, p.RateZipf, p.Rate, p.Duration = 100, 4, 1e4, time.Minute }, 0, false, 0},
		{"heavy tails", func(p *Params) {
			p.Sources, p.ParetoAlpha, p.OnMean, p.OffMean, p.Duration = 2000, 1.01, time.Millisecond, time.Hour, 0
		}, 300_000, false, 0},
		{"abusive silent", func(p *Params) { p.Abusive, p.AbusiveRate = 0.3, 0 }, 0, false, 0},
		{"abusive only", func(p *Params) { p.Rate, p.Abusive, p.AbusiveRate = 0, 0.05, 50 }, 0, false, 0},
		// A year of sources off for 244 days at least, then on for about
		// a millisecond at 4 ns a request: arrivals past 2^53 ns, ties.
		{"past 2^53 ns", func(p *Params) {
			p.Sources, p.Rate, p.OnMean, p.OffMean, p.ParetoAlpha = 3, 0.01, time.Millisecond, 8784*time.Hour, 3
			p.Duration, p.Abusive = MaxOffset, 0
		}, 0, true, 1 << 53},
		// On periods of a year on average, heavy tailed: some draws are
		// past 2^63 ns, and converting them to int64 overflows (on amd64
		// to -2^63, on arm64 to 2^63-1), which the generator always did:
		// on amd64, requests 292 years before the start.
		{"overflowing periods", func(p *Params) {
			p.Sources, p.OnMean, p.OffMean, p.ParetoAlpha, p.Duration, p.Rate = 50000, 8784*time.Hour, time.Hour, 1.2, 0, 1000
		}, 300_000, false, 0},
		{"longest duration", func(p *Params) {
			p.Sources, p.Rate, p.RateZipf, p.Duration, p.Abusive = 100, 0.01, 0.5, MaxOffset, 0
			p.OnMean, p.OffMean = time.Hour, 10*time.Hour
		}, 0, false, 0},
		{"270000 sources", func(p *Params) { p.Sources, p.Rate, p.Duration = 270000, 100000, 0 }, 1_000_000, false, 0},
	}
	for n := 1; n <= 9; n++ {
		cases = append(cases, tc{fmt.Sprintf("%d sources", n), func(p *Params) {
			p.Sources, p.Seed, p.Duration, p.Rate, p.Abusive = n, uint64(n), time.Hour, 10, 0.5
		}, 0, false, 0})
	}
	if !testing.Short() {
		cases = append(cases, tc{"600000 sources", func(p *Params) {
			p.Sources, p.Rate, p.Duration = 600_000, 1e6, 0
		}, 300_000, false, 0})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := DefaultParams()
			c.set(&p)
			n, ties, last := sameArrivals(t, p, c.limit)
			t.Logf("%d requests, %d ties, the last at %v", n, ties, last)
			if n == 0 || c.ties && ties < 100 || c.past > 0 && last < c.past {
				t.Errorf("%d requests, %d ties, the last at %v: the case misses its corner", n, ties, last)
			}
		})
	}
}

// Random parameters, each run to its end or 100,000 requests.
func TestGenMatchesReferenceRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	logUniform := func(lo, hi float64) float64 { return math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))) }
	dur := func(lo, hi time.Duration) time.Duration {
		return time.Duration(logUniform(float64(lo), float64(hi)))
	}
	for k := range 40 {
		p := Params{
			Seed:          r.Uint64(),
			Sources:       int(logUniform(1, 100_000)),
			Rate:          logUniform(1e-3, 1e7),
			RateZipf:      r.Float64() * 3,
			OnMean:        dur(time.Millisecond, 100*time.Hour),
			ParetoAlpha:   1 + logUniform(1e-3, 9),
			Diurnal:       r.Float64() * 0.999,
			DiurnalPeriod: dur(time.Second, 1000*time.Hour),
			AbusiveRate:   logUniform(1e-3, 1e6),
		}
		if r.IntN(4) > 0 {
			p.OffMean = dur(time.Millisecond, 1000*time.Hour)
		}
		if r.IntN(3) > 0 {
			p.Duration = dur(time.Millisecond, MaxOffset)
		}
		if r.IntN(2) > 0 {
			p.Abusive = r.Float64() * r.Float64()
		}
		if r.IntN(4) == 0 {
			p.Diurnal = 0
		}
		if p.Check() != nil || !referenceEnds(p) {
			continue
		}
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			n, ties, last := sameArrivals(t, p, 100_000)
			t.Logf("%+v: %d requests, %d ties, the last at %v", p, n, ties, last)
		})
	}
}

// referenceEnds reports whether the reference generator of p starts in
// reasonable time and is sure not to hang. It draws off and on periods
// until an arrival falls in one, even past the trace's end, so a source
// that sends once in many periods is slow to start; and once on periods
// reach the latest offset a source may have (2^62 ns, 146 years) it draws
// forever, which a source that sends once in millions of years is sure
// to reach. (The generator stops drawing at the trace's end, and at that
// latest offset.)
func referenceEnds(p Params) bool {
	if p.OffMean == 0 || p.Rate == 0 {
		return true // no off periods, or no well-behaved source sends
	}
	n := p.Sources - p.AbusiveSources()
	var sum float64
	for k := range n {
		sum += math.Pow(float64(k+1), -p.RateZipf)
	}
	cycle := (p.OnMean + p.OffMean).Seconds()
	var periods float64 // periods drawn to start, about
	for k := range n {
		rate := p.Rate * math.Pow(float64(k+1), -p.RateZipf) / sum // requests a second, on average
		if rate*float64(math.MaxInt64/2)/1e9 < 100 {
			return false
		}
		periods += 1 / math.Min(1, rate*cycle)
	}
	return periods < 2e6
}

// A source whose rate is so low that it never sends within the trace
// ends as soon as an off period ends past the trace: the reference drew
// on and off periods until one held an arrival, and then forever once
// they reached 2^62 ns, so that a steep zipf law never gave a generator.
func TestGenSteepZipfEnds(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.RateZipf, p.Rate, p.Duration, p.Abusive = 2000, 10, 1e4, time.Minute, 0
	g, n, _ := counts(t, p)
	sent := 0
	for k, c := range n {
		if c > 0 {
			sent = k + 1
		}
	}
	if sent == 0 || sent > 20 {
		t.Errorf("the last source to send is src-%d, want one of the first few", sent-1)
	}
	t.Logf("%s: sources up to src-%d sent", g, sent-1)
}

package trace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// Params are the parameters of a synthetic trace like production API
// traffic: Sources callers, each one user key. A well-behaved source
// alternates between on and off periods whose lengths are Pareto
// distributed (heavy tailed: most sessions are short, a few very long),
// and sends Poisson arrivals while on. Its rate is its share of Rate by a
// zipf law over the sources (source i, the (i+1)-th busiest, weighs
// 1/(i+1)^RateZipf), modulated over the day: at offset t every rate is
// multiplied by 1 + Diurnal·sin(2πt/DiurnalPeriod). A share Abusive of
// the sources, chosen at random, are abusive instead: always on, at
// AbusiveRate each, far over any sensible limit, and not diurnal.
//
// The same Params give the same trace, byte for byte (on one CPU
// architecture: floating point may be fused differently on another).
type Params struct {
	// Seed seeds every random choice.
	Seed uint64
	// Sources is the number of sources (keys), 1 to MaxSources.
	Sources int
	// Duration is how long the trace lasts; 0 means without end (for a
	// run, which ends it by its own bounds).
	Duration time.Duration
	// Rate is the mean requests per second of all well-behaved sources
	// together, over a whole day.
	Rate float64
	// RateZipf is the exponent of the zipf law of the sources' rates, in
	// [0, 10]; 0 gives every source the same rate.
	RateZipf float64
	// OnMean and OffMean are the mean lengths of on and off periods;
	// ParetoAlpha, in (1, 10], their tail (1.5: heavy; larger: lighter).
	OnMean      time.Duration
	OffMean     time.Duration
	ParetoAlpha float64
	// Diurnal is the amplitude of the daily swing, in [0, 1);
	// DiurnalPeriod its period.
	Diurnal       float64
	DiurnalPeriod time.Duration
	// Abusive is the share of abusive sources, in [0, 1]; AbusiveRate the
	// requests per second each sends.
	Abusive     float64
	AbusiveRate float64
}

// MaxSources is the most sources a generator takes.
const MaxSources = 100_000_000

// DefaultParams are the generator's defaults.
func DefaultParams() Params {
	return Params{
		Seed: 1, Sources: 1000, Duration: 10 * time.Minute, Rate: 1000, RateZipf: 1,
		OnMean: 30 * time.Second, OffMean: 5 * time.Minute, ParetoAlpha: 1.5,
		Diurnal: 0.5, DiurnalPeriod: 24 * time.Hour, Abusive: 0.01, AbusiveRate: 10,
	}
}

// FieldError is a bad parameter: Field names it as its flag does.
type FieldError struct {
	Field string
	Value any
	Want  string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid --%s %v: %s", e.Field, e.Value, e.Want)
}

// Check refuses parameters a generator cannot use, naming the flag.
func (p Params) Check() error {
	bad := func(field string, v any, want string) error { return &FieldError{field, v, want} }
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	switch {
	case p.Sources < 1 || p.Sources > MaxSources:
		return bad("sources", p.Sources, fmt.Sprintf("want 1 to %d", MaxSources))
	case p.Duration < 0 || p.Duration > MaxOffset:
		return bad("duration", p.Duration, "want 0 (no end) to 8784h")
	case !finite(p.Rate) || p.Rate < 0 || p.Rate > 1e7:
		return bad("rate", p.Rate, "want 0 to 1e7 requests per second")
	case !finite(p.RateZipf) || p.RateZipf < 0 || p.RateZipf > 10:
		return bad("rate-zipf", p.RateZipf, "want an exponent from 0 (all alike) to 10, such as 1")
	case p.OnMean < time.Millisecond || p.OnMean > MaxOffset:
		return bad("on-mean", p.OnMean, "want 1ms to 8784h, such as 30s")
	case p.OffMean < 0 || p.OffMean > MaxOffset:
		return bad("off-mean", p.OffMean, "want 0 (always on) to 8784h, such as 5m")
	case !finite(p.ParetoAlpha) || p.ParetoAlpha <= 1 || p.ParetoAlpha > 10:
		return bad("pareto-alpha", p.ParetoAlpha, "want a tail exponent above 1 (a finite mean) and at most 10, such as 1.5")
	case !finite(p.Diurnal) || p.Diurnal < 0 || p.Diurnal >= 1:
		return bad("diurnal", p.Diurnal, "want an amplitude from 0 (flat) to below 1, such as 0.5")
	case p.DiurnalPeriod < time.Second || p.DiurnalPeriod > MaxOffset:
		return bad("diurnal-period", p.DiurnalPeriod, "want 1s to 8784h, such as 24h")
	case !finite(p.Abusive) || p.Abusive < 0 || p.Abusive > 1:
		return bad("abusive", p.Abusive, "want a share from 0 to 1, such as 0.01")
	case !finite(p.AbusiveRate) || p.AbusiveRate < 0 || p.AbusiveRate > 1e6:
		return bad("abusive-rate", p.AbusiveRate, "want 0 to 1e6 requests per second per abusive source")
	case p.Rate == 0 && (p.AbusiveRate == 0 || p.AbusiveSources() == 0):
		return bad("rate", p.Rate, "no source would send anything; want a positive --rate, or abusive sources with a positive --abusive-rate")
	}
	return nil
}

// AbusiveSources is the number of abusive sources: Abusive of Sources,
// rounded.
func (p Params) AbusiveSources() int { return int(math.Round(p.Abusive * float64(p.Sources))) }

// Generator streams the requests of a synthetic trace in time order, a
// workload.Stream. Its memory is a few dozen bytes a source, whatever the
// number of requests. Not safe for concurrent use.
type Generator struct {
	p        Params
	src      []source
	heap     []entry // sources by next arrival, then by index
	abusive  int
	peakDiur float64 // 1 + Diurnal: thinning's bound
	omega    float64 // 2π / DiurnalPeriod, per nanosecond
	xmOn     float64 // Pareto scales of on and off periods, in ns
	xmOff    float64
}

// entry is a source in the heap, its next arrival beside it so that
// sifting reads the heap alone.
type entry struct {
	next int64
	i    int32
}

type source struct {
	rng     rand.PCG
	next    int64   // next arrival, ns
	end     int64   // end of the current on period, ns; MaxInt64 if always on
	rate    float64 // arrivals per ns at the diurnal peak while on (abusive: exact)
	abusive bool
}

var _ workload.Stream = (*Generator)(nil)

// NewGenerator returns the generator of p.
func NewGenerator(p Params) (*Generator, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	g := &Generator{p: p, src: make([]source, p.Sources), peakDiur: 1 + p.Diurnal}
	g.omega = 2 * math.Pi / float64(p.DiurnalPeriod)
	a := p.ParetoAlpha
	g.xmOn = float64(p.OnMean) * (a - 1) / a
	g.xmOff = float64(p.OffMean) * (a - 1) / a
	// Choose the abusive sources: a seeded partial shuffle.
	pick := rand.New(rand.NewPCG(p.Seed, 0x61627573697665)) // "abusive"
	g.abusive = p.AbusiveSources()
	order := make([]int32, p.Sources)
	for i := range order {
		order[i] = int32(i)
	}
	for i := range g.abusive {
		j := i + pick.IntN(p.Sources-i)
		order[i], order[j] = order[j], order[i]
		g.src[order[i]].abusive = true
	}
	order = nil
	// Rates of the well-behaved: zipf weights by rank, in index order.
	var sum float64
	rank := 0
	for i := range g.src {
		if !g.src[i].abusive {
			sum += math.Pow(float64(rank+1), -p.RateZipf)
			rank++
		}
	}
	duty := float64(p.OnMean) / float64(p.OnMean+p.OffMean)
	rank = 0
	g.heap = make([]entry, 0, p.Sources)
	for i := range g.src {
		s := &g.src[i]
		s.rng.Seed(p.Seed, uint64(i)+1)
		if s.abusive {
			s.rate = p.AbusiveRate / 1e9
			s.end = math.MaxInt64
		} else {
			share := math.Pow(float64(rank+1), -p.RateZipf) / sum
			rank++
			s.rate = p.Rate * share / duty / 1e9 * g.peakDiur
			// Start in the steady state: on with probability duty, part way
			// through a period.
			if p.OffMean == 0 {
				s.end = math.MaxInt64
			} else if g.uniform(s) < duty {
				s.end = int64(g.uniform(s) * g.pareto(s, g.xmOn))
			} else {
				off := int64(g.uniform(s) * g.pareto(s, g.xmOff))
				s.end = off + int64(g.pareto(s, g.xmOn))
				s.next = off
			}
		}
		if s.rate <= 0 {
			continue // never sends
		}
		if !g.advance(s, s.next) {
			continue
		}
		g.heap = append(g.heap, entry{s.next, int32(i)})
	}
	for i := (len(g.heap)+2)/4 - 1; i >= 0; i-- { // from the last parent
		g.down(i)
	}
	return g, nil
}

// uniform is a float in [0, 1) from s's generator.
func (g *Generator) uniform(s *source) float64 {
	return float64(s.rng.Uint64()>>11) / (1 << 53)
}

// pareto is a Pareto length of scale xm (ns) and the tail exponent.
func (g *Generator) pareto(s *source, xm float64) float64 {
	return xm / math.Pow(1-g.uniform(s), 1/g.p.ParetoAlpha)
}

// advance sets s.next to its first arrival after from (ns); false when
// there is none before the trace's end.
func (g *Generator) advance(s *source, from int64) bool {
	t := float64(from)
	for {
		t += -math.Log(1-g.uniform(s)) / s.rate
		if !s.abusive {
			for t >= float64(s.end) && s.end != math.MaxInt64 {
				// The on period ended first: an off period, then a new
				// on period, whose arrivals start afresh (memoryless).
				start := float64(s.end) + g.pareto(s, g.xmOff)
				s.end = int64(math.Min(start+g.pareto(s, g.xmOn), math.MaxInt64/2))
				t = start - math.Log(1-g.uniform(s))/s.rate
			}
		}
		if t >= float64(math.MaxInt64/2) || (g.p.Duration > 0 && t >= float64(g.p.Duration)) {
			return false
		}
		// Diurnal thinning: keep an arrival with probability rate(t)/peak.
		if s.abusive || g.p.Diurnal == 0 || g.uniform(s)*g.peakDiur < 1+g.p.Diurnal*math.Sin(g.omega*t) {
			s.next = int64(t)
			return true
		}
	}
}

// Next is the next request of the trace, in time order (ties by key).
func (g *Generator) Next() (workload.Arrival, bool) {
	if len(g.heap) == 0 {
		return workload.Arrival{}, false
	}
	i := g.heap[0].i
	s := &g.src[i]
	a := workload.Arrival{Offset: time.Duration(s.next), Key: int(i), Cost: 1}
	if g.advance(s, s.next) {
		g.heap[0].next = s.next
		g.down(0)
	} else {
		last := len(g.heap) - 1
		g.heap[0] = g.heap[last]
		g.heap = g.heap[:last]
		if last > 0 {
			g.down(0)
		}
	}
	return a, true
}

func less(a, b entry) bool {
	return a.next < b.next || a.next == b.next && a.i < b.i
}

// down sifts entry i down the heap. The heap is 4-ary: half the levels
// of a binary one over 270,000 sources, and a node's children share a
// cache line or two; the entry moves once, to where it belongs.
func (g *Generator) down(i int) {
	h := g.heap
	n := len(h)
	e := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < min(c+4, n); j++ {
			if less(h[j], h[m]) {
				m = j
			}
		}
		if !less(h[m], e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

// Err is always nil: a generator cannot fail.
func (g *Generator) Err() error { return nil }

// Keys is the number of sources; Name is source k's key, "src-k".
func (g *Generator) Keys() int         { return g.p.Sources }
func (g *Generator) Name(k int) string { return "src-" + strconv.Itoa(k) }

// Abusive reports whether source k is abusive.
func (g *Generator) Abusive(k int) bool { return g.src[k].abusive }

// Rate is the mean requests per second: Rate plus the abusive sources'.
func (g *Generator) Rate() float64 {
	return g.p.Rate + float64(g.abusive)*g.p.AbusiveRate
}

// String is like "synthetic 270000 sources, 1000/s, 1% abusive at 10/s".
func (g *Generator) String() string {
	return fmt.Sprintf("synthetic %d sources, %s/s, %s%% abusive at %s/s", g.p.Sources,
		strconv.FormatFloat(g.p.Rate, 'g', -1, 64), strconv.FormatFloat(g.p.Abusive*100, 'g', -1, 64),
		strconv.FormatFloat(g.p.AbusiveRate, 'g', -1, 64))
}

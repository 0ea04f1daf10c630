package trace

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// This file is a verbatim copy (renamed) of the generator as it was
// before its priority queue and thinning were made faster: the reference
// every faster generator must match arrival for arrival.

// refGen streams the requests of a synthetic trace in time order, a
// workload.Stream. Its memory is a few dozen bytes a refSource, whatever the
// number of requests. Not safe for concurrent use.
type refGen struct {
	p        Params
	src      []refSource
	heap     []refEntry // sources by next arrival, then by index
	abusive  int
	peakDiur float64 // 1 + Diurnal: thinning's bound
	omega    float64 // 2π / DiurnalPeriod, per nanosecond
	xmOn     float64 // Pareto scales of on and off periods, in ns
	xmOff    float64
}

// refEntry is a refSource in the heap, its next arrival beside it so that
// sifting reads the heap alone.
type refEntry struct {
	next int64
	i    int32
}

type refSource struct {
	rng     rand.PCG
	next    int64   // next arrival, ns
	end     int64   // end of the current on period, ns; MaxInt64 if always on
	rate    float64 // arrivals per ns at the diurnal peak while on (abusive: exact)
	abusive bool
}

// newRefGen returns the generator of p.
func newRefGen(p Params) (*refGen, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	g := &refGen{p: p, src: make([]refSource, p.Sources), peakDiur: 1 + p.Diurnal}
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
	g.heap = make([]refEntry, 0, p.Sources)
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
		g.heap = append(g.heap, refEntry{s.next, int32(i)})
	}
	for i := (len(g.heap)+2)/4 - 1; i >= 0; i-- { // from the last parent
		g.down(i)
	}
	return g, nil
}

// uniform is a float in [0, 1) from s's generator.
func (g *refGen) uniform(s *refSource) float64 {
	return float64(s.rng.Uint64()>>11) / (1 << 53)
}

// pareto is a Pareto length of scale xm (ns) and the tail exponent.
func (g *refGen) pareto(s *refSource, xm float64) float64 {
	return xm / math.Pow(1-g.uniform(s), 1/g.p.ParetoAlpha)
}

// advance sets s.next to its first arrival after from (ns); false when
// there is none before the trace's end.
func (g *refGen) advance(s *refSource, from int64) bool {
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
func (g *refGen) Next() (workload.Arrival, bool) {
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

func refLess(a, b refEntry) bool {
	return a.next < b.next || a.next == b.next && a.i < b.i
}

// down sifts refEntry i down the heap. The heap is 4-ary: half the levels
// of a binary one over 270,000 sources, and a node's children share a
// cache line or two; the refEntry moves once, to where it belongs.
func (g *refGen) down(i int) {
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
			if refLess(h[j], h[m]) {
				m = j
			}
		}
		if !refLess(h[m], e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
}

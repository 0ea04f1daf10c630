package trace

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
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
// workload.Stream. Its memory is about 50 bytes a source, whatever the
// number of requests. Not safe for concurrent use.
type Generator struct {
	p        Params
	q        queue    // the sources that will send again, by next arrival
	abusive  int      // the number of abusive sources
	isAbuse  []uint64 // bit k: source k is abusive
	peakDiur float64  // 1 + Diurnal: thinning's bound
	omega    float64  // 2π / DiurnalPeriod, per nanosecond
	xmOn     float64  // Pareto scales of on and off periods, in ns
	xmOff    float64
	invAlpha float64 // 1 / ParetoAlpha
	until    float64 // the end of the trace, or maxNext
	sin      sinCache
}

// entry is a source that will send again: its next arrival, its index
// and its state. The queue moves the whole entry from bucket to bucket,
// so that drawing a source's arrival reads what the queue just read, not
// an array of all the sources, which would miss the cache every time.
type entry struct {
	next int64
	i    int32
	s    source
}

type source struct {
	rng rand.PCG
	end int64 // end of the current on period, ns; MaxInt64 if always on
	// rate is the arrivals per ns at the diurnal peak while on, negated
	// for an abusive source (whose rate is exact); -0 for one that never
	// sends.
	rate float64
}

// abusive reports whether s is abusive.
func (s *source) abusive() bool { return math.Signbit(s.rate) }

var _ workload.Stream = (*Generator)(nil)

// NewGenerator returns the generator of p.
func NewGenerator(p Params) (*Generator, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	g := &Generator{p: p, isAbuse: make([]uint64, (p.Sources+63)/64), peakDiur: 1 + p.Diurnal}
	g.omega = 2 * math.Pi / float64(p.DiurnalPeriod)
	a := p.ParetoAlpha
	g.xmOn = float64(p.OnMean) * (a - 1) / a
	g.xmOff = float64(p.OffMean) * (a - 1) / a
	g.invAlpha = 1 / a
	g.until = maxNext
	if p.Duration > 0 {
		g.until = float64(p.Duration)
	}
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
		g.isAbuse[order[i]/64] |= 1 << (order[i] % 64)
	}
	order = nil
	// Rates of the well-behaved: zipf weights by rank, in index order.
	var sum float64
	rank := 0
	for i := range p.Sources {
		if !g.Abusive(i) {
			sum += math.Pow(float64(rank+1), -p.RateZipf)
			rank++
		}
	}
	duty := float64(p.OnMean) / float64(p.OnMean+p.OffMean)
	rank = 0
	g.q = newQueue(p.Sources, g.Rate())
	for i := range p.Sources {
		e := entry{i: int32(i)}
		s := &e.s
		s.rng.Seed(p.Seed, uint64(i)+1)
		var next int64
		if g.Abusive(i) {
			s.rate = -(p.AbusiveRate / 1e9)
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
				next = off
			}
		}
		if s.rate == 0 {
			continue // never sends
		}
		var ok bool
		if e.next, ok = g.advance(s, next); ok {
			g.q.push(e)
		}
	}
	g.q.sortNear()
	return g, nil
}

// uniform is a float in [0, 1) from r.
func uniform(r *rand.PCG) float64 {
	return float64(r.Uint64()>>11) * 0x1p-53 // as / (1 << 53)
}

// uniform is a float in [0, 1) from s's generator.
func (g *Generator) uniform(s *source) float64 { return uniform(&s.rng) }

// pareto is a Pareto length of scale xm (ns) and the tail exponent.
func (g *Generator) pareto(s *source, xm float64) float64 {
	return xm / math.Pow(1-uniform(&s.rng), g.invAlpha)
}

// maxNext is the latest arrival a source may have: past it, a source
// ends.
const maxNext = float64(math.MaxInt64 / 2)

// advance is s's first arrival after from (ns); false when there is none
// before the trace's end.
func (g *Generator) advance(s *source, from int64) (int64, bool) {
	rate, thin := math.Abs(s.rate), g.p.Diurnal != 0 && !s.abusive()
	t := float64(from)
	for {
		// uniform, inline: it is a little over the compiler's budget.
		t += -math.Log(1-float64(float64(s.rng.Uint64()>>11)*0x1p-53)) / rate
		// An abusive source is always on: its end is MaxInt64.
		if t >= float64(s.end) && s.end != math.MaxInt64 {
			var ok bool
			if t, ok = g.offOn(s, rate); !ok {
				return 0, false
			}
		}
		if t >= g.until {
			return 0, false
		}
		if !thin {
			return int64(t), true
		}
		// Diurnal thinning: keep an arrival with probability rate(t)/peak,
		// v < 1 + Diurnal·sin(ωt), most often decided by the sine cache.
		v := float64(s.rng.Uint64()>>11) * 0x1p-53 * g.peakDiur
		if x := g.omega * t; x >= 0 && x < sinMax {
			n := int64(x*sinScale) + 1 // x >= 0: the floor, exact
			if c := &g.sin[uint64(n)%sinCells]; c.cell == n {
				if v < c.lo {
					return int64(t), true
				}
				if v >= c.hi {
					continue
				}
			}
		}
		if g.keep(v, t) {
			return int64(t), true
		}
	}
}

// offOn is s's first arrival after the end of its on period, an arrival
// having fallen after it: an off period, then a new on period, whose
// arrivals start afresh (memoryless); false when the source is done.
func (g *Generator) offOn(s *source, rate float64) (float64, bool) {
	for {
		start := float64(s.end) + g.pareto(s, g.xmOff)
		// Every arrival from here on is at start or later (the floor of
		// it, and until is a whole number): past the end, the source is
		// done. Drawing on, as the generator once did, changes nothing
		// but the state of a source that never sends again, and never
		// ends when start is past maxNext (every on period then ends at
		// maxNext, before its first arrival).
		if start >= g.until {
			return 0, false
		}
		s.end = int64(math.Min(start+g.pareto(s, g.xmOn), math.MaxInt64/2))
		t := start - math.Log(1-uniform(&s.rng))/rate
		if t < float64(s.end) {
			return t, true
		}
	}
}

// sinCache decides most of thinning's draws without a sine. The phase
// x = ωt is cut in cells sinWidth wide, and a cell keeps the sine at one
// x of it, s0: at any x of the cell the sine is within sinWidth of s0
// (|sin x - sin y| <= |x - y|), so 1 + Diurnal·sin x is between the
// cell's lo and hi, computed once, and a draw v below lo is kept, one at
// hi or above dropped, exactly as the sine would have decided. Only the
// draws in between (about one in 10,000) compute it. sinSlack covers
// math.Sin's own error (some 1e-16) many times over.
type sinCache [sinCells]sinCell

type sinCell struct {
	cell   int64 // cell number + 1; 0: empty
	lo, hi float64
}

const (
	sinCells = 256     // cells kept, by cell number modulo sinCells
	sinScale = 1 << 13 // cells per radian: x·sinScale is exact
	sinWidth = 1.0 / sinScale
	sinSlack = 1e-9
	sinMax   = 1 << 40 // x from here on (2.9e10 at most) is computed
)

// keep reports whether v < 1 + Diurnal·sin(ωt), as the expression itself
// would, when the sine cache has not decided: it fills the cell of ωt,
// and computes the sine when the cell cannot tell. x outside [0, sinMax)
// is before the start (a Pareto draw past 2^63 ns overflows int64, as it
// always did), and always computed.
func (g *Generator) keep(v, t float64) bool {
	if x := g.omega * t; x >= 0 && x < sinMax {
		n := int64(x*sinScale) + 1
		c := &g.sin[uint64(n)%sinCells]
		if c.cell != n {
			s0 := math.Sin(x)
			c.cell = n
			c.lo = 1 + float64(g.p.Diurnal*(s0-sinWidth-sinSlack))
			c.hi = 1 + float64(g.p.Diurnal*(s0+sinWidth+sinSlack))
			if v < c.lo {
				return true
			}
			if v >= c.hi {
				return false
			}
		}
	}
	return v < 1+g.p.Diurnal*math.Sin(g.omega*t)
}

// Next is the next request of the trace, in time order (ties by key).
func (g *Generator) Next() (workload.Arrival, bool) {
	q := &g.q
	if len(q.near) == 0 || len(q.early) > 0 {
		return g.nextSlow()
	}
	e := q.first()
	a := workload.Arrival{Offset: time.Duration(e.next), Key: int(e.i), Cost: 1}
	next, ok := g.advance(&e.s, e.next)
	q.step(next, ok)
	return a, true
}

// nextSlow is Next when near is empty, or early is not.
func (g *Generator) nextSlow() (workload.Arrival, bool) {
	e, ok := g.q.peek()
	if !ok {
		return workload.Arrival{}, false
	}
	a := workload.Arrival{Offset: time.Duration(e.next), Key: int(e.i), Cost: 1}
	var next int64
	if next, ok = g.advance(&e.s, e.next); ok {
		e.next = next
		g.q.replace(e)
	} else {
		g.q.remove()
	}
	return a, true
}

// queue holds the sources that will send again by their next arrival,
// then their index, and gives the least first. It is a hierarchical
// timing wheel. Time is cut in slots of 2^shift ns, each a dozen arrivals
// or so, and the entries of the current slot, cur, are in slot, and in
// near by order: each packed in a uint64 (its time in the slot, then its
// index) beside its place in slot. The least is near's first, and a
// source that sends again within the slot moves back past the few
// entries before its next arrival. The later entries wait in the wheel's
// buckets: at level d, bucket j holds those whose slot has cur's digits
// (base 256) above digit d, and j at digit d, where cur has less; a
// bucket of level 0 is one slot, one of level 1 256 slots... Once near is
// empty, the lowest bucket of the lowest level that holds any has the
// least entries: cur moves to their slot, which goes to near, and the
// rest of the bucket to lower levels. An entry is filed once and moves
// down a level or so before it is next: appends and scans of short
// arrays, where a heap of all the sources missed the cache at every level
// of every sift.
//
// Times are ordered as uint64(next) ^ 1<<63, their order as int64.
// Sources never go back in time (advance returns from or later), so an
// entry never lands before cur; if one did, it would wait in early,
// which is searched whole.
type queue struct {
	near   []item  // slot cur's entries, in order
	items  []item  // near's storage
	slot   []entry // slot cur's entries
	early  []entry // entries before slot cur (none, in fact)
	top    int     // where peek found the least entry: in early, or -1 for near
	cur    uint64  // the current slot; every entry of the wheel is later
	base   uint64  // cur << shift: near's times are offsets from it
	shift  uint    // log2 of a slot's length in ns
	levels uint16  // bit d: level d holds entries
	masks  [wheelLevels][wheelSize / 64]uint64
	wheel  [wheelLevels][wheelSize]bucket
	chunks []chunk // the buckets' storage; chunk 0 is unused
	free   int32   // the first free chunk, 0 if none
}

// item is an entry of near: its time in the slot and its index, packed,
// and its place in slot.
type item struct {
	k uint64
	x int32
}

const (
	// wheelLevels of wheelBits cover slots of 64 bits.
	wheelBits   = 8
	wheelSize   = 1 << wheelBits
	wheelLevels = (64 + wheelBits - 1) / wheelBits
	// A packed entry is its offset in the slot, then indexBits of its
	// index: MaxSources < 2^27, and offsets < 2^maxShift.
	indexBits = 27
	indexMask = 1<<indexBits - 1
	maxShift  = 64 - indexBits
	signBit   = 1 << 63
)

// A bucket is a list of chunks, filled in order: its entries are all
// those of its chunks from head to tail, but for tail's last room. The
// zero bucket is empty.
type bucket struct {
	head, tail int32
	room       int32
	least      uint64 // the least key filed, inverted (0: none)
}

// chunkLen entries make a chunk of 488 bytes; a bucket wastes less than
// one, and the chunks of emptied buckets are reused.
const chunkLen = 10

type chunk struct {
	next int32 // first, to be read with the first entries
	e    [chunkLen]entry
}

// level is the wheel level of a slot whose highest bit that differs from
// cur's is bit l-1.
var level = func() (t [65]uint8) {
	for l := 1; l <= 64; l++ {
		t[l] = uint8((l - 1) / wheelBits)
	}
	return t
}()

func less(a, b *entry) bool {
	return a.next < b.next || a.next == b.next && a.i < b.i
}

// key is e's time as a uint64 of the same order.
func key(e *entry) uint64 { return uint64(e.next) ^ signBit }

// newQueue returns an empty queue for at most n entries, in slots of 16
// to 32 arrivals at rate (a second). Its first slot is the earliest there
// is: the entries pushed before the first peek may have any times, even
// negative ones, and the first turns sort them down the levels.
func newQueue(n int, rate float64) queue {
	var q queue
	if gap := 1e9 / rate; gap >= 1 {
		q.shift = uint(min(bits.Len64(uint64(min(gap*16, 1<<maxShift))), maxShift))
	}
	// Room for n entries and a partial chunk a bucket: the chunks do not
	// grow.
	q.chunks = make([]chunk, 1, 4+n/chunkLen+wheelLevels*wheelSize)
	q.items = make([]item, 0, 64)
	return q
}

// push adds e: to the wheel, or to near (which must then be sorted) or
// early.
func (q *queue) push(e entry) {
	k := key(&e)
	switch n := k >> q.shift; {
	case n > q.cur:
		q.file(&e, k)
	case n == q.cur:
		q.slot = append(q.slot, e)
		q.near = append(q.near, item{(k-q.base)<<indexBits | uint64(e.i), int32(len(q.slot) - 1)})
	default:
		q.early = append(q.early, e)
	}
}

// file puts e, of key k and slot n > cur, in its bucket.
func (q *queue) file(e *entry, k uint64) {
	n := k >> q.shift
	d := level[bits.Len64(n^q.cur)]
	j := n >> (wheelBits * d & 63) & (wheelSize - 1)
	b := &q.wheel[d][j]
	if b.room == 0 {
		q.grow(b, d, j)
	}
	q.chunks[b.tail].e[chunkLen-b.room] = *e
	b.room--
	b.least = max(b.least, ^k)
}

// grow gives bucket b, j of level d, a new chunk.
//
//go:noinline
func (q *queue) grow(b *bucket, d uint8, j uint64) {
	c := q.free
	if c != 0 {
		q.free = q.chunks[c].next
	} else {
		c = int32(len(q.chunks))
		q.chunks = append(q.chunks, chunk{})
	}
	q.chunks[c].next = 0
	if b.tail == 0 {
		b.head = c
		q.masks[d][j/64] |= 1 << (j % 64)
		q.levels |= 1 << d
	} else {
		q.chunks[b.tail].next = c
	}
	b.tail, b.room = c, chunkLen
}

// first is near's first entry, the least when early is empty.
func (q *queue) first() *entry { return &q.slot[q.near[0].x] }

// step replaces near's first entry by its next arrival, next, or removes
// it when !ok.
func (q *queue) step(next int64, ok bool) {
	it := q.near[0]
	e := &q.slot[it.x]
	switch u := uint64(next) ^ signBit; {
	case !ok:
		q.near = q.near[1:]
	case u>>q.shift == q.cur:
		e.next = next
		q.moveBack(item{(u-q.base)<<indexBits | it.k&indexMask, it.x})
	default:
		e.next = next
		q.near = q.near[1:]
		q.push(*e)
	}
}

// peek is the least entry, to replace or remove; false when the queue is
// empty.
func (q *queue) peek() (*entry, bool) {
	if len(q.early) > 0 {
		return q.peekEarly(), true
	}
	if len(q.near) == 0 && !q.turn() {
		return nil, false
	}
	q.top = -1
	return &q.slot[q.near[0].x], true
}

// peekEarly is peek with entries in early: their slots are before cur,
// and before all the other entries.
func (q *queue) peekEarly() *entry {
	m := 0
	for j := range q.early {
		if less(&q.early[j], &q.early[m]) {
			m = j
		}
	}
	q.top = m
	return &q.early[m]
}

// replace puts e, the entry peek returned with its next arrival, back in
// order.
func (q *queue) replace(e *entry) {
	v := *e
	q.remove()
	n := len(q.near)
	if q.push(v); len(q.near) > n {
		q.sortNear() // v went to near's end
	}
}

// moveBack replaces near's first item by it, of slot cur and no earlier:
// it moves back past the items before it.
func (q *queue) moveBack(it item) {
	h := q.near
	j := 1
	for ; j < len(h) && h[j].k < it.k; j++ {
		h[j-1] = h[j]
	}
	h[j-1] = it
}

// remove removes the entry peek returned.
func (q *queue) remove() {
	if q.top >= 0 {
		last := len(q.early) - 1
		q.early[q.top] = q.early[last]
		q.early = q.early[:last]
		return
	}
	q.near = q.near[1:]
}

// turn moves cur to the slot of the least entry, near being empty, and
// fills near with the entries of that slot; false when the queue is
// empty.
func (q *queue) turn() bool {
	for q.levels != 0 {
		d := bits.TrailingZeros16(q.levels)
		w := 0
		for q.masks[d][w] == 0 {
			w++
		}
		j := w*64 + bits.TrailingZeros64(q.masks[d][w])
		b := q.wheel[d][j]
		q.wheel[d][j] = bucket{}
		if q.masks[d][w] &^= 1 << (j % 64); q.masks[d] == [wheelSize / 64]uint64{} {
			q.levels &^= 1 << d
		}
		if d == 0 {
			q.cur = q.cur&^(wheelSize-1) | uint64(j) // the bucket is a slot
		} else {
			// The least slot of the bucket is next, in near; the rest of
			// the bucket goes to lower levels.
			q.cur = ^b.least >> q.shift
		}
		q.base = q.cur << q.shift
		q.near, q.slot = q.items[:0], q.slot[:0]
		for c := b.head; c != 0; {
			es := q.chunk(c, b)
			for i := range es {
				e := &es[i]
				k := key(e)
				if n := k >> q.shift; n == q.cur {
					q.slot = append(q.slot, *e)
					q.near = append(q.near, item{(k-q.base)<<indexBits | uint64(e.i), int32(len(q.slot) - 1)})
				} else {
					q.file(e, k)
				}
			}
			// Free the chunk once read: file may take it.
			next := q.chunks[c].next
			q.chunks[c].next = q.free
			q.free = c
			c = next
		}
		q.items = q.near[:0]
		if len(q.near) > 0 {
			q.sortNear()
			return true
		}
	}
	return false
}

// sortNear sorts near: by insertion when short, as it nearly always is
// (a slot holds 16 to 32 arrivals on average).
func (q *queue) sortNear() {
	h := q.near
	if len(h) > 32 {
		slices.SortFunc(h, func(a, b item) int { return cmp.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(h); i++ {
		it := h[i]
		j := i
		for ; j > 0 && h[j-1].k > it.k; j-- {
			h[j] = h[j-1]
		}
		h[j] = it
	}
}

// chunk is the entries of chunk c of bucket b.
func (q *queue) chunk(c int32, b bucket) []entry {
	if c == b.tail {
		return q.chunks[c].e[:chunkLen-b.room]
	}
	return q.chunks[c].e[:]
}

// Err is always nil: a generator cannot fail.
func (g *Generator) Err() error { return nil }

// Keys is the number of sources; Name is source k's key, "src-k".
func (g *Generator) Keys() int         { return g.p.Sources }
func (g *Generator) Name(k int) string { return "src-" + strconv.Itoa(k) }

// Abusive reports whether source k is abusive.
func (g *Generator) Abusive(k int) bool { return g.isAbuse[k/64]&(1<<(k%64)) != 0 }

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

package workload

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// MaxRate is the highest rate a pacer accepts, in requests per second: one
// request a nanosecond, the resolution of a schedule.
const MaxRate = 1e9

// Pacer is a schedule of intended send times for the open model.
//
// A pacer is a pure function of the request number, as in wrk2 and vegeta:
// the runner asks when request i was meant to go out, and measures response
// time from that instant, so a slow server cannot slow the schedule down.
type Pacer interface {
	// At is the intended send time of request number hit (from 0), as an
	// offset from the run's start; ok is false when the schedule has no
	// such request. It must be non-decreasing in hit. Safe for concurrent
	// use.
	At(hit uint64) (offset time.Duration, ok bool)
	// Rate is the intended requests per second at the given offset (for
	// reporting offered load).
	Rate(offset time.Duration) float64
	// String describes the pacer in flag words, e.g. "steady 100/s".
	String() string
}

// Steady sends at a constant rate: request i at i/PerSecond seconds.
//
// Steady{PerSecond: 3} sends requests 0, 1, 2, 3 at 0, 333.333333ms, 666.666667ms
// and 1s. The zero value schedules nothing; use NewSteady. Safe for
// concurrent use.
type Steady struct {
	// PerSecond is the rate, in (0, MaxRate] requests per second. (The
	// field cannot be called Rate: that is the Pacer method.)
	PerSecond float64
}

// NewSteady returns the steady pacer of rate requests per second.
func NewSteady(rate float64) (Steady, error) {
	p := Steady{PerSecond: rate}
	return p, p.check()
}

func (p Steady) check() error { return checkRate("rate", p.PerSecond, false) }

// At is round(hit/PerSecond) seconds, to the nanosecond.
func (p Steady) At(hit uint64) (time.Duration, bool) {
	if p.check() != nil {
		return 0, false
	}
	return steadyAt(p.PerSecond, hit)
}

// Rate is PerSecond at every offset.
func (p Steady) Rate(time.Duration) float64 { return p.PerSecond }

// String is like "steady 100/s".
func (p Steady) String() string { return "steady " + perSecond(p.PerSecond) }

// Bursty sends Size requests at once every Every, starting at the run's
// start, and, when BaseRate is positive, a steady stream at BaseRate besides.
//
// Bursty{Size: 3, Every: time.Second, BaseRate: 2} sends 4 requests at 0
// (the burst of 3, then steady request 0), 1 at 500ms, 4 at 1s, 1 at 1.5s,
// and so on: 5 a second on average. The zero value schedules nothing; use
// NewBursty. Safe for concurrent use.
type Bursty struct {
	// Size is the requests in each burst, at least 1.
	Size int64
	// Every is the time from one burst to the next, positive.
	Every time.Duration
	// BaseRate is the steady requests per second between bursts, in
	// [0, MaxRate]; 0 means bursts only.
	BaseRate float64
}

// NewBursty returns the pacer of bursts of size requests every every, on
// top of a steady baseRate per second (0 for none).
func NewBursty(size int64, every time.Duration, baseRate float64) (Bursty, error) {
	p := Bursty{Size: size, Every: every, BaseRate: baseRate}
	return p, p.check()
}

func (p Bursty) check() error {
	switch {
	case p.Size < 1:
		return invalid(ErrInvalidPacer, "burst-size", p.Size, "must be at least 1")
	case p.Every <= 0:
		return invalid(ErrInvalidPacer, "burst-every", p.Every, "must be positive, such as 1s")
	}
	return checkRate("rate", p.BaseRate, true)
}

// At merges the bursts and the steady stream in time order. The count of
// requests due by any instant has a closed form for each part, so At(hit)
// is the first nanosecond by which more than hit are due, found by binary
// search: exact, and independent of the calls before.
func (p Bursty) At(hit uint64) (time.Duration, bool) {
	if p.check() != nil {
		return 0, false
	}
	// By the time either part alone has sent hit+1 requests, the merge has
	// too: the earlier of those two instants is an upper bound.
	hi, ok := mulDuration(hit/uint64(p.Size), p.Every)
	if p.BaseRate == 0 {
		return hi, ok
	}
	if !ok {
		hi = math.MaxInt64
	}
	if base, ok := steadyAt(p.BaseRate, hit); ok && base < hi {
		hi = base
	}
	if p.due(hi) <= hit {
		return 0, false
	}
	lo := time.Duration(-1) // due(lo) <= hit, due(hi) > hit
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if p.due(mid) > hit {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, true
}

// due is how many requests are scheduled at or before t (t >= 0),
// saturating at the largest uint64.
func (p Bursty) due(t time.Duration) uint64 {
	hi, bursts := bits.Mul64(uint64(t/p.Every)+1, uint64(p.Size))
	if hi != 0 {
		return math.MaxUint64
	}
	sum, carry := bits.Add64(bursts, steadyDue(p.BaseRate, t), 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return sum
}

// Rate is the mean rate, Size/Every + BaseRate, at every offset: the
// instantaneous rate of a burst is unbounded.
func (p Bursty) Rate(time.Duration) float64 {
	return float64(p.Size)/p.Every.Seconds() + p.BaseRate
}

// String is like "bursty 50 every 1s" or "bursty 50 every 1s on 10/s".
func (p Bursty) String() string {
	s := fmt.Sprintf("bursty %d every %v", p.Size, p.Every)
	if p.BaseRate > 0 {
		s += " on " + perSecond(p.BaseRate)
	}
	return s
}

// WindowEdge sends a burst of Size requests just before every epoch-aligned
// window boundary and another just after: the traffic that lets a fixed
// window admit twice its limit within one window length.
//
// With Window 1s, Offset 5ms, Size 2 and a run that starts at 12:00:00.300
// (Phase 300ms), the boundaries fall at offsets 700ms, 1.7s, 2.7s, ..., so
// requests 0-1 go at 695ms, 2-3 at 705ms, 4-5 at 1.695s, 6-7 at 1.705s. A
// run that starts at 12:00:00.998 (Phase 998ms) skips the boundary 2ms
// after its start, whose before-burst would fall before the start, and
// begins at 997ms. The zero value schedules nothing; use NewWindowEdge.
// Safe for concurrent use.
type WindowEdge struct {
	// Window is the limiter's window, positive.
	Window time.Duration
	// Offset is how far from each boundary the bursts go, in (0, Window/2).
	Offset time.Duration
	// Size is the requests in each burst, at least 1.
	Size int64
	// Phase is the run's start time modulo Window, in [0, Window).
	Phase time.Duration
}

// NewWindowEdge returns the window-edge pacer for a run that starts at
// start, aligned to the boundaries of window since the Unix epoch (those of
// a fixed-window limiter on a clock that agrees with this one).
func NewWindowEdge(window, offset time.Duration, size int64, start time.Time) (WindowEdge, error) {
	p := WindowEdge{Window: window, Offset: offset, Size: size}
	if window > 0 {
		p.Phase = time.Duration(start.UnixNano() % int64(window))
		if p.Phase < 0 { // before 1970
			p.Phase += window
		}
	}
	return p, p.check()
}

func (p WindowEdge) check() error {
	switch {
	case p.Window <= 0:
		return invalid(ErrInvalidPacer, "window", p.Window, "must be positive, such as 1s")
	case p.Offset <= 0 || p.Offset >= p.Window-p.Offset:
		return invalid(ErrInvalidPacer, "edge-offset", p.Offset, "must be positive and less than half of the window, %v", p.Window)
	case p.Size < 1:
		return invalid(ErrInvalidPacer, "burst-size", p.Size, "must be at least 1")
	case p.Phase < 0 || p.Phase >= p.Window:
		return invalid(ErrInvalidPacer, "phase", p.Phase, "must be in [0, %v)", p.Window)
	}
	return nil
}

// At is the offset of request hit: pair hit/(2·Size) straddles one
// boundary, its first Size requests before it and the rest after.
func (p WindowEdge) At(hit uint64) (time.Duration, bool) {
	if p.check() != nil {
		return 0, false
	}
	first := p.Window - p.Phase
	if first < p.Offset {
		first += p.Window
	}
	size := uint64(p.Size)
	pair, within := hit/(2*size), hit%(2*size)
	shift, ok := mulDuration(pair, p.Window)
	if !ok || shift > math.MaxInt64-first-p.Offset {
		return 0, false
	}
	boundary := first + shift
	if within < size {
		return boundary - p.Offset, true
	}
	return boundary + p.Offset, true
}

// Rate is the mean rate, 2·Size per Window, at every offset.
func (p WindowEdge) Rate(time.Duration) float64 {
	return 2 * float64(p.Size) / p.Window.Seconds()
}

// String is like "window-edge 20 at ±5ms of each 1s boundary".
func (p WindowEdge) String() string {
	return fmt.Sprintf("window-edge %d at ±%v of each %v boundary", p.Size, p.Offset, p.Window)
}

// poissonMemory is how many of the latest offsets a Poisson pacer keeps, so
// that workers asking for nearby hits out of order do not restart it.
const poissonMemory = 1024

// Poisson sends with exponential inter-arrival times of mean 1/PerSecond: a
// Poisson process, the arrivals of many independent clients. Request 0 goes
// at offset 0, and the gaps come from a PCG generator seeded with Seed
// (rand.NewPCG(Seed, Seed)), so a seed always gives the same schedule.
//
// At(i) walks the gaps from the last hit asked for, so sequential access is
// O(1) amortised; it remembers the latest 1024 offsets and starts again
// from 0 when asked for an earlier hit. Use it through a pointer, built
// with NewPoisson or as &Poisson{PerSecond: r, Seed: s}. A zero PerSecond schedules
// nothing. Safe for concurrent use.
type Poisson struct {
	// PerSecond is the mean rate, in (0, MaxRate] requests per second.
	PerSecond float64
	// Seed selects the schedule.
	Seed uint64

	mu     sync.Mutex
	rng    *rand.Rand
	filled uint64                 // offsets of hits [0, filled) have been drawn
	last   float64                // offset of hit filled-1, in nanoseconds
	recent [poissonMemory]float64 // offset of hit h at h % poissonMemory
}

// NewPoisson returns the Poisson pacer of mean rate requests per second
// whose schedule seed selects.
func NewPoisson(rate float64, seed uint64) (*Poisson, error) {
	p := &Poisson{PerSecond: rate, Seed: seed}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Poisson) check() error { return checkRate("rate", p.PerSecond, false) }

// At is the sum of the first hit exponential gaps.
func (p *Poisson) At(hit uint64) (time.Duration, bool) {
	if p.check() != nil {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if hit < p.filled && p.filled-hit <= poissonMemory {
		return nanos(p.recent[hit%poissonMemory])
	}
	if p.rng == nil || hit < p.filled {
		p.rng = rand.New(rand.NewPCG(p.Seed, p.Seed))
		p.filled, p.last = 0, 0
	}
	for p.filled <= hit {
		if p.filled > 0 {
			p.last += p.rng.ExpFloat64() * 1e9 / p.PerSecond
		}
		p.recent[p.filled%poissonMemory] = p.last
		p.filled++
	}
	return nanos(p.last)
}

// Rate is PerSecond at every offset.
func (p *Poisson) Rate(time.Duration) float64 { return p.PerSecond }

// String is like "poisson 100/s seed 1".
func (p *Poisson) String() string {
	return fmt.Sprintf("poisson %s seed %d", perSecond(p.PerSecond), p.Seed)
}

// Ramp sends at a rate rising linearly from From to To over Over, then
// steady at To. With N(t) = From·t + (To−From)·t²/(2·Over), the count of
// intervals scheduled by t ≤ Over, request i goes at the t where N(t) = i.
//
// Ramp{From: 10, To: 30, Over: 10 * time.Second} sends at 10/s at the
// start, 20/s at 5s and 30/s from 10s on; request 200 goes at exactly 10s,
// since N(10s) = (10+30)/2·10 = 200, and request 230 at 11s. From may
// exceed To (a ramp down); a ramp down to 0 ends at Over. The zero value
// schedules nothing; use NewRamp. Safe for concurrent use.
type Ramp struct {
	// From is the rate at the start, in [0, MaxRate] requests per second.
	From float64
	// To is the rate from Over on, in [0, MaxRate]; From and To are not
	// both 0.
	To float64
	// Over is how long the ramp lasts, positive.
	Over time.Duration
}

// NewRamp returns the pacer whose rate goes from from to to requests per
// second in a straight line over over.
func NewRamp(from, to float64, over time.Duration) (Ramp, error) {
	p := Ramp{From: from, To: to, Over: over}
	return p, p.check()
}

func (p Ramp) check() error {
	if err := checkRate("rate-start", p.From, true); err != nil {
		return err
	}
	if err := checkRate("rate", p.To, true); err != nil {
		return err
	}
	switch {
	case p.From == 0 && p.To == 0:
		return invalid(ErrInvalidPacer, "rate", 0, "with a starting rate of 0 too, but a ramp needs a positive rate at one end")
	case p.Over <= 0:
		return invalid(ErrInvalidPacer, "duration", p.Over, "must be positive, such as 30s, for a ramp to ramp over")
	}
	return nil
}

// At solves N(t) = hit with the quadratic formula in the form
// 2i / (From + √(From² + 4ai)), a = (To−From)/(2·Over), which needs no
// special case for From == To and loses no precision when a is small.
func (p Ramp) At(hit uint64) (time.Duration, bool) {
	if p.check() != nil {
		return 0, false
	}
	if hit == 0 {
		return 0, true
	}
	over := p.Over.Seconds()
	atOver := (p.From + p.To) / 2 * over
	i := float64(hit)
	if i > atOver {
		if p.To == 0 {
			return 0, false
		}
		return nanos((over + (i-atOver)/p.To) * 1e9)
	}
	a := (p.To - p.From) / (2 * over)
	t := 2 * i / (p.From + math.Sqrt(max(0, p.From*p.From+4*a*i)))
	// Rounding must not carry a ramp request past the first one after it.
	return nanos(min(t, over) * 1e9)
}

// Rate is From + (To−From)·offset/Over until Over, To after.
func (p Ramp) Rate(offset time.Duration) float64 {
	switch {
	case offset <= 0:
		return p.From
	case offset >= p.Over:
		return p.To
	}
	return p.From + (p.To-p.From)*offset.Seconds()/p.Over.Seconds()
}

// String is like "ramp 10/s to 100/s over 30s".
func (p Ramp) String() string {
	return fmt.Sprintf("ramp %s to %s over %v", perSecond(p.From), perSecond(p.To), p.Over)
}

// checkRate accepts a rate in (0, MaxRate], or [0, MaxRate] with zeroOK.
func checkRate(field string, rate float64, zeroOK bool) error {
	switch {
	case zeroOK && rate == 0:
		return nil
	case !(rate > 0 && rate <= MaxRate): // NaN fails here too
		accepted := "a positive number of requests per second"
		if zeroOK {
			accepted = "0 or a positive number of requests per second"
		}
		return invalid(ErrInvalidPacer, field, rate, "must be %s, at most %g", accepted, float64(MaxRate))
	}
	return nil
}

// steadyAt is when request hit of a steady stream at rate per second goes.
func steadyAt(rate float64, hit uint64) (time.Duration, bool) {
	return nanos(float64(hit) * 1e9 / rate)
}

// steadyDue is how many requests of a steady stream at rate (0 for none)
// are due at or before t: the estimate t·rate corrected against steadyAt
// itself, so that it agrees with steadyAt to the nanosecond.
func steadyDue(rate float64, t time.Duration) uint64 {
	if rate == 0 {
		return 0
	}
	n := uint64(float64(t)*rate/1e9) + 1
	for n > 0 {
		if at, ok := steadyAt(rate, n-1); ok && at <= t {
			break
		}
		n--
	}
	for {
		if at, ok := steadyAt(rate, n); !ok || at > t {
			return n
		}
		n++
	}
}

// nanos rounds ns to a Duration; ok is false when it does not fit.
func nanos(ns float64) (time.Duration, bool) {
	r := math.Round(ns)
	if !(r >= 0 && r < math.MaxInt64) { // float64(MaxInt64) is 2⁶³, out of range
		return 0, false
	}
	return time.Duration(r), true
}

// mulDuration is n·d for d > 0; ok is false when it overflows.
func mulDuration(n uint64, d time.Duration) (time.Duration, bool) {
	hi, lo := bits.Mul64(n, uint64(d))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return time.Duration(lo), true
}

// perSecond formats a rate like "100/s" or "0.5/s".
func perSecond(rate float64) string {
	return strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
}

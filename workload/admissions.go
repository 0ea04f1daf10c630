package workload

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

// BurstSpanDivisor sets the second span accuracy is measured over: one
// window divided by it. A window-long span hides a bucket that lets a burst
// through at once (its bound over a window, C + r·W, is generous); over a
// hundredth of the window a bucket's bound is about C, a fixed window's
// still 2L, a sliding log's L.
const BurstSpanDivisor = 100

// admissions tracks, for every key, the most requests admitted in any span
// of one window and in any span of a hundredth of one, on the limiter's own
// clock (Decision.At). Answers arrive from many workers slightly out of
// order, so each key keeps its recent admissions sorted and lets go of those
// older than a window plus a reorder allowance: memory follows the
// admissions in one window, not the requests sent.
//
// The busiest half-open span of length D holds as many admissions as the
// busiest span (a−D, a] ending at an admission a, so each admission counts
// the span that ends at it, and a late admission recounts the spans of the
// admissions within D after it (two pointers, no count kept per instant).
//
// Every admission instant is also kept for an exact merge: as instants
// leave the window they enter the key's instantLog in order, a byte or two
// each, so that the kept list costs little and encodes without a copy.
type admissions struct {
	// shards hold the keys asked for, created on first use, so that memory
	// follows the keys used rather than the keys declared (--keys 1e8).
	shards   [64]keyShard
	windowOf func(key int) time.Duration
	reorder  int64 // µs an answer may arrive behind a later one

	// The offset of the limiter's clock from the client's, in µs: each
	// decision made at At, sent at s and answered at d says the offset lies
	// in [At−d, At−s]. lo/hi intersect those ranges; minLo/maxHi join them,
	// for when drift or a stepped clock leaves the intersection empty.
	offMu              sync.Mutex
	offSeen            bool
	offLo, offHi       int64
	offMinLo, offMaxHi int64

	// total counts the admissions of all keys: past
	// report.MaxKeptAdmissions the kept list is incomplete. kept counts
	// those moved into the keys' logs, up to that many.
	total atomic.Int64
	kept  atomic.Int64
}

// complete reports whether every admission is kept.
func (a *admissions) complete() bool { return a.total.Load() <= report.MaxKeptAdmissions }

// noOffsetSlack widens an unknown outcome's span on both sides when no
// decision was seen to estimate the limiter's clock from: the limiter's
// clock is then assumed within a second of the client's.
const noOffsetSlack = int64(time.Second / time.Microsecond)

// decided narrows the clock offset with one decision.
func (a *admissions) decided(sent, done, at time.Time) {
	a.offsetWithin(at.UnixMicro()-done.UnixMicro(), at.UnixMicro()-sent.UnixMicro())
}

// decidedUntimed narrows the offset with a decision made on the client's
// own clock (the target gave no instant) somewhere in a round trip of rtt:
// the decision instant is within rtt of either end.
func (a *admissions) decidedUntimed(rtt time.Duration) {
	a.offsetWithin(-rtt.Microseconds(), rtt.Microseconds())
}

// offsetWithin narrows the clock offset to [lo, hi].
func (a *admissions) offsetWithin(lo, hi int64) {
	a.offMu.Lock()
	defer a.offMu.Unlock()
	if !a.offSeen {
		a.offSeen, a.offLo, a.offHi, a.offMinLo, a.offMaxHi = true, lo, hi, lo, hi
		return
	}
	a.offLo, a.offHi = max(a.offLo, lo), min(a.offHi, hi)
	a.offMinLo, a.offMaxHi = min(a.offMinLo, lo), max(a.offMaxHi, hi)
}

// offset is the range [lo, hi] the limiter's clock is ahead of the
// client's by, and whether any decision was seen.
func (a *admissions) offset() (lo, hi int64, ok bool) {
	a.offMu.Lock()
	defer a.offMu.Unlock()
	if !a.offSeen {
		return 0, 0, false
	}
	if a.offLo <= a.offHi {
		return a.offLo, a.offHi, true
	}
	return a.offMinLo, a.offMaxHi, true
}

// unknownOutcome records an outcome of key k that may have been an
// admission of cost units, sent at sent and given up at done (client clock).
func (a *admissions) unknownOutcome(k int, sent, done time.Time, cost int64) {
	ka := a.key(k)
	ka.mu.Lock()
	defer ka.mu.Unlock()
	for range cost {
		ka.unknown = append(ka.unknown, [2]int64{sent.UnixMicro(), done.UnixMicro()})
	}
}

// unknownSpans turns a key's unknown outcomes into spans on the limiter's
// clock: [sent + offLo, done + offHi].
func (a *admissions) unknownSpans(ka *keyAdmissions) []report.Span {
	if len(ka.unknown) == 0 {
		return nil
	}
	lo, hi, ok := a.offset()
	if !ok {
		lo, hi = -noOffsetSlack, noOffsetSlack
	}
	spans := make([]report.Span, len(ka.unknown))
	for i, u := range ka.unknown {
		spans[i] = report.Span{From: u[0] + lo, To: u[1] + hi}
	}
	return spans
}

// The two spans of a key: its window and its burst span.
const (
	windowSpan = iota
	burstSpan
)

type keyAdmissions struct {
	mu       sync.Mutex
	spans    [2]int64 // µs: the key's window, and its burst span
	times    []int64  // sorted recent admission instants, µs
	most     [2]int64
	admitted int64
	unknown  [][2]int64 // client-clock [sent, done] µs of each unknown unit
	// aligned counts admissions per epoch-aligned window, by index
	// ⌊At/window⌋; only the recent windows are kept.
	aligned     map[int64]int64
	mostAligned int64
	// keep holds the admission instants that left times, in the order
	// they left, for Admissions: with times, every instant kept.
	keep instantLog
	// untimed is set when the target gave no decision instants: each
	// admission is then kept at its send, and rtt is the longest round
	// trip of an admission, which bounds how late its decision came.
	untimed bool
	rtt     int64
}

// floorDiv is ⌊a/b⌋ for b > 0, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// admitAligned counts one admission at t in its aligned window.
func (a *admissions) admitAligned(ka *keyAdmissions, t int64) {
	w := ka.spans[windowSpan]
	idx := floorDiv(t, w)
	if ka.aligned == nil {
		ka.aligned = map[int64]int64{}
	}
	ka.aligned[idx]++
	ka.mostAligned = max(ka.mostAligned, ka.aligned[idx])
	if len(ka.aligned) > 8 {
		// Answers arrive at most a reorder allowance late.
		oldest := idx - 1 - a.reorder/w
		for i := range ka.aligned {
			if i < oldest {
				delete(ka.aligned, i)
			}
		}
	}
}

type keyShard struct {
	mu   sync.Mutex
	keys map[int]*keyAdmissions
}

// newAdmissions tracks keys as they are asked for; windowOf gives each
// key's window. n, the keys declared, allocates nothing.
func newAdmissions(_ int, windowOf func(key int) time.Duration, reorder time.Duration) *admissions {
	return &admissions{windowOf: windowOf, reorder: max(reorder.Microseconds(), 1)}
}

// key is key k's tracker, created on first use: a key is asked for once
// it has one.
func (a *admissions) key(k int) *keyAdmissions {
	sh := &a.shards[uint(k)%uint(len(a.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ka, ok := sh.keys[k]
	if !ok {
		if sh.keys == nil {
			sh.keys = map[int]*keyAdmissions{}
		}
		w := a.windowOf(k).Microseconds()
		ka = &keyAdmissions{spans: [2]int64{w, max(w/BurstSpanDivisor, 1)}}
		sh.keys[k] = ka
	}
	return ka
}

// asked lists the keys asked for, in order.
func (a *admissions) asked() []int {
	var out []int
	for i := range a.shards {
		sh := &a.shards[i]
		sh.mu.Lock()
		for k := range sh.keys {
			out = append(out, k)
		}
		sh.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

// admitUntimed records one admission of key k decided between sent and
// sent+rtt on the client's clock, by a target that gave no instant.
func (a *admissions) admitUntimed(k int, sent time.Time, rtt time.Duration) {
	ka := a.key(k)
	ka.mu.Lock()
	defer ka.mu.Unlock()
	ka.untimed = true
	ka.rtt = max(ka.rtt, rtt.Microseconds())
	a.admitLocked(ka, sent.UnixMicro())
}

// admit records one admission of key k at instant at.
func (a *admissions) admit(k int, at time.Time) {
	ka := a.key(k)
	ka.mu.Lock()
	defer ka.mu.Unlock()
	a.admitLocked(ka, at.UnixMicro())
}

// admitLocked records one admission at t µs; ka.mu is held.
func (a *admissions) admitLocked(ka *keyAdmissions, t int64) {
	ka.admitted++
	a.total.Add(1)
	a.admitAligned(ka, t)

	// Forget what no span reaching the newest admission can hold, keeping
	// the reorder allowance for answers still on their way; what leaves is
	// kept, in order.
	if n := len(ka.times); n > 0 {
		horizon := ka.times[n-1] - ka.spans[windowSpan] - a.reorder
		drop, _ := slices.BinarySearch(ka.times, horizon)
		if drop > 0 && drop > len(ka.times)/2 {
			a.keepInstants(ka, ka.times[:drop])
			ka.times = slices.Delete(ka.times, 0, drop)
		}
	}

	// Insert after any equal instant, so that equal instants count together.
	pos, _ := slices.BinarySearch(ka.times, t+1)
	ka.times = slices.Insert(ka.times, pos, t)
	for s, span := range ka.spans {
		first, _ := slices.BinarySearch(ka.times[:pos], t-span+1)
		ka.most[s] = max(ka.most[s], int64(pos-first)+1)
		// The span ending at each later admission within span now holds t
		// too: (times[j]−span, times[j]] starts at lo, which only moves on.
		lo := first
		for j := pos + 1; j < len(ka.times) && ka.times[j] < t+span; j++ {
			for ka.times[j]-ka.times[lo] >= span {
				lo++
			}
			ka.most[s] = max(ka.most[s], int64(j-lo)+1)
		}
	}
}

// keepInstants moves sorted instants that left ka.times into its log, as
// many as report.MaxKeptAdmissions leaves room for; ka.mu is held.
func (a *admissions) keepInstants(ka *keyAdmissions, ts []int64) {
	n := int64(len(ts))
	before := a.kept.Add(n) - n
	for _, t := range ts[:max(0, min(n, report.MaxKeptAdmissions-before))] {
		ka.keep.add(t)
	}
}

// KeyAccuracy is one key's admissions against its bounds, over one
// window and over its burst span.
type KeyAccuracy struct {
	Key          int
	Admitted     int64
	MostInWindow int64
	// Bound is algorithms.NoBound when the limiter promises nothing.
	Bound int64
	// MostInBurst and BurstBound are the same over BurstSpan.
	MostInBurst, BurstBound int64
	BurstSpan               time.Duration
	// Unknown counts the key's unknown outcomes (in units of cost); the
	// AtMost figures count each as an admission wherever it could have
	// been decided (report.MaxUnknownInSpan), so the truth lies between a
	// figure and its AtMost.
	Unknown                               int64
	MostInWindowAtMost, MostInBurstAtMost int64
}

// OverAtMost is Over with every unknown outcome counted as an admission.
func (k KeyAccuracy) OverAtMost() int64 {
	k.MostInWindow, k.MostInBurst = k.MostInWindowAtMost, k.MostInBurstAtMost
	return k.Over()
}

// Over is how many admissions passed the bound in the busiest span of
// either length.
func (k KeyAccuracy) Over() int64 {
	if k.Bound < 0 {
		return 0
	}
	over := max(0, k.MostInWindow-k.Bound)
	if k.BurstBound >= 0 {
		over = max(over, k.MostInBurst-k.BurstBound)
	}
	return over
}

// Accuracy summarises admissions over every key that was asked for.
type Accuracy struct {
	// Busiest is the key whose busiest window held the most admissions
	// above its bound, or simply the most when none passed; BusiestBurst
	// the same over the burst span.
	Busiest, BusiestBurst KeyAccuracy
	// OverAdmitted sums Over across keys; KeysOverBound counts the keys
	// with any.
	OverAdmitted, KeysOverBound int64
	// OverAdmittedAtMost and KeysMaybeOverBound are the same with every
	// unknown outcome counted as an admission.
	OverAdmittedAtMost, KeysMaybeOverBound int64
	// Keys is how many keys were asked for at least once.
	Keys int64
	// ConfiguredPerS is the sum of the configured rates of those keys.
	ConfiguredPerS float64
	// Kept holds every asked key's admission instants and unknown spans,
	// sorted by key name, for an exact merge of several generators.
	Kept *report.Admissions
	// PerKey holds every asked key's own figures against its own bounds,
	// named as the limiter saw it, for report.Summarise; in key order.
	PerKey []report.KeyAccuracy
}

// summarise holds every key asked for to p's bounds for its limit (none
// when p is nil). asked reports whether a key was asked for at all.
// name and tier give a key's name and its tier's name ("" without tiers).
func (a *admissions) summarise(limitOf func(int) algorithms.Limit, p algorithms.Promise, name, tier func(int) string) Accuracy {
	complete := a.complete()
	acc := Accuracy{Kept: &report.Admissions{Complete: complete}}
	// Instants still in the keys' windows are kept too, as far as
	// MaxKeptAdmissions allows; the logs are left as they are.
	room := max(0, report.MaxKeptAdmissions-a.kept.Load())
	defer func() {
		slices.SortFunc(acc.Kept.Keys, func(x, y report.KeyAdmissions) int { return strings.Compare(x.Key, y.Key) })
	}()
	for _, k := range a.asked() {
		ka := a.key(k)
		limit := limitOf(k)
		ka.mu.Lock()
		burst := time.Duration(ka.spans[burstSpan]) * time.Microsecond
		key := KeyAccuracy{
			Key: k, Admitted: ka.admitted,
			MostInWindow: ka.most[windowSpan], Bound: boundOf(p, limit, limit.Window),
			MostInBurst: ka.most[burstSpan], BurstBound: boundOf(p, limit, burst), BurstSpan: burst,
		}
		spans := a.unknownSpans(ka)
		mostAligned := ka.mostAligned
		tail := ka.times[:min(int64(len(ka.times)), room)]
		room -= int64(len(tail))
		instants := ka.keep.encode(tail)
		var keep []int64
		if ka.untimed && complete {
			keep = ka.keep.sorted(tail)
		}
		untimed, rtt := ka.untimed, ka.rtt
		ka.mu.Unlock()
		key.Unknown = int64(len(spans))
		upperWindow, upperBurst := key.MostInWindow, key.MostInBurst
		if untimed && complete {
			// Each admission was decided somewhere between its send (kept)
			// and its answer, at most rtt later. It surely lies in a span
			// only when all of that does, and may lie in any span it
			// reaches: the sends counted over the span shortened by rtt
			// give a figure the truth cannot be below, over the span
			// lengthened by it one the truth cannot be above. So jitter is
			// never taken for over-admission, and a real excess shows.
			w, b := limit.Window.Microseconds(), burst.Microseconds()
			key.MostInWindow, upperWindow = mostIn(keep, w-rtt), mostIn(keep, w+rtt)
			key.MostInBurst, upperBurst = mostIn(keep, b-rtt), mostIn(keep, b+rtt)
		}
		key.MostInWindowAtMost = upperWindow + report.MaxUnknownInSpan(spans, limit.Window.Microseconds())
		key.MostInBurstAtMost = upperBurst + report.MaxUnknownInSpan(spans, burst.Microseconds())
		aligned := alignedBoundOf(p, limit)
		if untimed {
			// Aligned windows need the decision instant itself.
			aligned = algorithms.NoBound
		}
		acc.PerKey = append(acc.PerKey, report.KeyAccuracy{
			Key: name(k), Tier: tier(k), Admitted: key.Admitted, Unknown: key.Unknown,
			WindowUS: limit.Window.Microseconds(), Bound: key.Bound,
			MaxAdmittedInWindow: key.MostInWindow, MaxAdmittedInWindowAtMost: key.MostInWindowAtMost,
			MaxAdmittedInBurst: key.MostInBurst, MaxAdmittedInBurstAtMost: key.MostInBurstAtMost,
			BurstBound: key.BurstBound, BurstSpanUS: key.BurstSpan.Microseconds(),
			AlignedBound: aligned,
		})
		if k := &acc.PerKey[len(acc.PerKey)-1]; k.AlignedBound >= 0 {
			k.MaxAdmittedInAlignedWindow = mostAligned
			k.MaxAdmittedInAlignedWindowAtMost = mostAligned + report.MaxUnknownInAlignedWindow(spans, limit.Window.Microseconds())
		}
		acc.PerKey[len(acc.PerKey)-1].SetOver()
		pk := acc.PerKey[len(acc.PerKey)-1]
		acc.Kept.Keys = append(acc.Kept.Keys, report.KeyAdmissions{
			Key: pk.Key, Tier: pk.Tier, WindowUS: pk.WindowUS, Bound: pk.Bound,
			BurstSpanUS: pk.BurstSpanUS, BurstBound: pk.BurstBound, AlignedBound: pk.AlignedBound,
			Instants: instants, Unknown: report.EncodeSpans(spans),
			Figures: pk,
		})
		acc.OverAdmittedAtMost += key.OverAtMost()
		if key.OverAtMost() > 0 {
			acc.KeysMaybeOverBound++
		}
		acc.Keys++
		acc.ConfiguredPerS += float64(limit.Requests) / limit.Window.Seconds()
		acc.OverAdmitted += key.Over()
		if key.Over() > 0 {
			acc.KeysOverBound++
		}
		if acc.Keys == 1 || key.Over() > acc.Busiest.Over() ||
			(key.Over() == acc.Busiest.Over() && key.OverAtMost() > acc.Busiest.OverAtMost()) ||
			(key.Over() == acc.Busiest.Over() && key.OverAtMost() == acc.Busiest.OverAtMost() && key.MostInWindow > acc.Busiest.MostInWindow) {
			acc.Busiest = key
		}
		if acc.Keys == 1 || key.MostInBurst-key.BurstBound > acc.BusiestBurst.MostInBurst-acc.BusiestBurst.BurstBound {
			acc.BusiestBurst = key
		}
	}
	return acc
}

// boundOf is p's bound for limit over span, NoBound without a promise.
func boundOf(p algorithms.Promise, limit algorithms.Limit, span time.Duration) int64 {
	if p == nil {
		return algorithms.NoBound
	}
	return p.Bound(limit, span)
}

// alignedBoundOf is p's per-aligned-window bound, NoBound without one.
func alignedBoundOf(p algorithms.Promise, limit algorithms.Limit) int64 {
	if p == nil {
		return algorithms.NoBound
	}
	return algorithms.AlignedBoundOf(p, limit)
}

// mostIn is the most of sorted instants in any span of length span µs; 0
// when the span is empty.
func mostIn(sorted []int64, span int64) int64 {
	most, _ := report.MaxInSpan(sorted, span)
	return int64(most)
}

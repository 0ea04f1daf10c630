package workload

import (
	"math"
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
// clock (Decision.At), and the most in one aligned window. Memory follows
// the admissions in one window, not the requests sent.
//
// Answers arrive from many workers out of order, a pipelined batch's
// admissions of one key all at once. So each key counts its admissions in
// instant order: a new one waits in the key's pending list until the
// newest admission is further ahead of it than twice the most disorder
// seen (how far an admission came behind the newest of its key), and then
// the pending ones are sorted and counted one after another. Counting in
// order, the busiest span (a−D, a] ending at each admission a takes two
// pointers that only move on, and an aligned window one count. An
// admission later still, behind one already counted, is slotted into the
// counted ones and recounts the spans of those within D after it, as every
// admission was before: exact within the reorder allowance, and rare.
// Until any disorder is seen (a simulation: one decision after another),
// every admission is counted as it comes.
//
// Every admission instant is also kept for an exact merge, unless the run
// said nothing will read them (forgetInstants): as instants leave the
// window they enter the key's instantLog in order, a byte or two each, so
// that the kept list costs little and encodes without a copy.
type admissions struct {
	// dense holds the trackers of keys 0..n-1 when n, the keys declared,
	// is at most maxDenseKeys, found without a lock; shards hold other
	// keys. Both are filled on first use, so that memory follows the keys
	// used rather than the keys declared (--keys 1e8).
	dense    []atomic.Pointer[keyAdmissions]
	denseMu  sync.Mutex
	shards   [64]keyShard
	windowOf func(key int) time.Duration
	reorder  int64 // µs an answer may arrive behind a later one
	// disorder is the most µs an admission came behind the newest of its
	// key so far, at most reorder.
	disorder atomic.Int64
	// forgetInstants drops each instant once counted: no admissions are
	// kept for the results file.
	forgetInstants bool

	// The offset of the limiter's clock from the client's, in µs: each
	// decision made at At, sent at s and answered at d says the offset lies
	// in [At−d, At−s]. lo/hi intersect those ranges; minLo/maxHi join them,
	// for when drift or a stepped clock leaves the intersection empty.
	// Each moves one way only, so a range that would move none of them is
	// seen without the lock; offMu orders the changes.
	offMu              sync.Mutex
	offSeen            atomic.Bool
	offLo, offHi       atomic.Int64
	offMinLo, offMaxHi atomic.Int64

	// kept counts the instants moved into the keys' logs, up to
	// report.MaxKeptAdmissions.
	kept atomic.Int64
}

// maxDenseKeys is the most keys declared for which a run holds a pointer
// per declared key (8 MB at most, touched only where keys are used).
const maxDenseKeys = 1 << 20

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
	if a.offSeen.Load() && lo <= a.offLo.Load() && hi >= a.offHi.Load() &&
		lo >= a.offMinLo.Load() && hi <= a.offMaxHi.Load() {
		return
	}
	a.offMu.Lock()
	defer a.offMu.Unlock()
	if !a.offSeen.Load() {
		a.offLo.Store(lo)
		a.offHi.Store(hi)
		a.offMinLo.Store(lo)
		a.offMaxHi.Store(hi)
		a.offSeen.Store(true)
		return
	}
	a.offLo.Store(max(a.offLo.Load(), lo))
	a.offHi.Store(min(a.offHi.Load(), hi))
	a.offMinLo.Store(min(a.offMinLo.Load(), lo))
	a.offMaxHi.Store(max(a.offMaxHi.Load(), hi))
}

// offset is the range [lo, hi] the limiter's clock is ahead of the
// client's by, and whether any decision was seen.
func (a *admissions) offset() (lo, hi int64, ok bool) {
	a.offMu.Lock()
	defer a.offMu.Unlock()
	if !a.offSeen.Load() {
		return 0, 0, false
	}
	if lo, hi := a.offLo.Load(), a.offHi.Load(); lo <= hi {
		return lo, hi, true
	}
	return a.offMinLo.Load(), a.offMaxHi.Load(), true
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

// keyAdmissions is one key's tracker. What each admission reads and
// writes comes first, in two cache lines; with many keys, touching a
// key's state is most of what an admission costs.
type keyAdmissions struct {
	mu       sync.Mutex
	admitted int64
	newest   int64    // the latest admission, counted or pending
	spans    [2]int64 // µs: the key's window, and its burst span
	// times holds the admissions counted, sorted, back to a window and
	// the reorder allowance before the newest of them; first[s] indexes
	// the oldest of them in the span spans[s] that ends at the newest.
	times []int64
	first [2]int
	most  [2]int64
	// alignedStart is where the epoch-aligned window of the newest
	// admission counted begins, µs; alignedCount counts the admissions
	// in it.
	alignedStart, alignedCount, mostAligned int64
	// pending holds the admissions not counted yet, once any disorder
	// was seen; nil before.
	pending *pendingAdmissions

	unknown [][2]int64 // client-clock [sent, done] µs of each unknown unit
	// keep holds the admission instants that left times, in the order
	// they left, for Admissions: with times, every instant kept.
	keep instantLog
	// untimed is set when the target gave no decision instants: each
	// admission is then kept at its send, and rtt is the longest round
	// trip of an admission, which bounds how late its decision came.
	untimed bool
	rtt     int64
}

// pendingAdmissions are a key's admissions not counted yet, none before
// the newest counted; the first sorted of them are in order.
type pendingAdmissions struct {
	times  []int64
	sorted int
}

// floorDiv is ⌊a/b⌋ for b > 0, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

type keyShard struct {
	mu   sync.Mutex
	keys map[int]*keyAdmissions
}

// newAdmissions tracks keys as they are asked for; windowOf gives each
// key's window. n, the keys declared, costs a pointer each when at most
// maxDenseKeys, nothing otherwise.
func newAdmissions(n int, windowOf func(key int) time.Duration, reorder time.Duration) *admissions {
	a := &admissions{windowOf: windowOf, reorder: max(reorder.Microseconds(), 1)}
	if n > 0 && n <= maxDenseKeys {
		a.dense = make([]atomic.Pointer[keyAdmissions], n)
	}
	return a
}

// newAdmissions is the tracker of a run of c, whose answers may come
// reorder behind one another.
func (c Config) newAdmissions(reorder time.Duration) *admissions {
	a := newAdmissions(c.Keys.N(), func(k int) time.Duration { return c.limitOf(k).Window }, reorder)
	a.forgetInstants = c.ForgetAdmissions
	return a
}

// key is key k's tracker, created on first use: a key is asked for once
// it has one.
func (a *admissions) key(k int) *keyAdmissions {
	if uint(k) < uint(len(a.dense)) {
		if ka := a.dense[k].Load(); ka != nil {
			return ka
		}
		a.denseMu.Lock()
		defer a.denseMu.Unlock()
		ka := a.dense[k].Load()
		if ka == nil {
			ka = a.newKey(k)
			a.dense[k].Store(ka)
		}
		return ka
	}
	sh := &a.shards[uint(k)%uint(len(a.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ka, ok := sh.keys[k]
	if !ok {
		if sh.keys == nil {
			sh.keys = map[int]*keyAdmissions{}
		}
		ka = a.newKey(k)
		sh.keys[k] = ka
	}
	return ka
}

func (a *admissions) newKey(k int) *keyAdmissions {
	ka := &keyAdmissions{}
	a.initKey(ka, k)
	return ka
}

// initKey readies ka, a zero tracker, for key k.
func (a *admissions) initKey(ka *keyAdmissions, k int) {
	w := a.windowOf(k).Microseconds()
	ka.spans = [2]int64{w, max(w/BurstSpanDivisor, 1)}
}

// adopt makes ka, a zero tracker held elsewhere, key k's: the key is
// asked for. k must have none yet.
func (a *admissions) adopt(k int, ka *keyAdmissions) {
	a.initKey(ka, k)
	if uint(k) < uint(len(a.dense)) {
		a.dense[k].Store(ka)
		return
	}
	sh := &a.shards[uint(k)%uint(len(a.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.keys == nil {
		sh.keys = map[int]*keyAdmissions{}
	}
	sh.keys[k] = ka
}

// asked lists the keys asked for, in order.
func (a *admissions) asked() []int {
	var out []int
	for k := range a.dense {
		if a.dense[k].Load() != nil {
			out = append(out, k)
		}
	}
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

// admitUntimed records one admission of the key whose tracker is ka,
// decided between sent and sent+rtt on the client's clock, by a target
// that gave no instant.
func (a *admissions) admitUntimed(ka *keyAdmissions, sent time.Time, rtt time.Duration) {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	ka.untimed = true
	ka.rtt = max(ka.rtt, rtt.Microseconds())
	a.admitLocked(ka, sent.UnixMicro())
}

// admit records one admission of the key whose tracker is ka at instant at.
func (a *admissions) admit(ka *keyAdmissions, at time.Time) {
	ka.mu.Lock()
	defer ka.mu.Unlock()
	a.admitLocked(ka, at.UnixMicro())
}

// minPendingCount is how many admissions a key holds pending at least
// before counting them: a sort and merge per admission would cost more
// than the insertion it saves.
const minPendingCount = 64

// admitLocked records one admission at t µs; ka.mu is held.
func (a *admissions) admitLocked(ka *keyAdmissions, t int64) {
	ka.admitted++
	switch {
	case ka.admitted == 1 || t > ka.newest:
		ka.newest = t
	case t < ka.newest:
		a.noteDisorder(ka.newest - t)
	}
	switch p := ka.pending; {
	case len(ka.times) > 0 && t < ka.times[len(ka.times)-1]:
		a.countLate(ka, t)
	case p == nil && a.disorder.Load() == 0:
		a.count(ka, t)
	default:
		if p == nil {
			p = &pendingAdmissions{}
			ka.pending = p
		}
		p.times = append(p.times, t)
		if len(p.times) >= max(minPendingCount, 2*p.sorted) {
			a.countPending(ka, ka.newest-min(2*a.disorder.Load(), a.reorder))
		}
	}
}

// noteDisorder records that an admission came d µs behind the newest of
// its key.
func (a *admissions) noteDisorder(d int64) {
	d = min(d, a.reorder)
	for {
		seen := a.disorder.Load()
		if d <= seen || a.disorder.CompareAndSwap(seen, d) {
			return
		}
	}
}

// countPending counts, in order, the pending admissions of ka at or
// before through µs, and keeps the others pending, sorted; ka.mu is held.
func (a *admissions) countPending(ka *keyAdmissions, through int64) {
	p, m := ka.pending.times, ka.pending.sorted
	slices.Sort(p[m:])
	i, j := 0, m // the next of the sorted runs p[:m] and p[m:]
	for {
		var t int64
		switch {
		case i < m && (j == len(p) || p[i] <= p[j]):
			t = p[i]
		case j < len(p):
			t = p[j]
		}
		if (i == m && j == len(p)) || t > through {
			break
		}
		a.count(ka, t)
		if i < m && p[i] == t && (j == len(p) || p[i] <= p[j]) {
			i++
		} else {
			j++
		}
	}
	// Merge what is left of both runs to the front: the first run's rest
	// is copied out, so that writing never overtakes reading.
	rest := p[:0]
	switch {
	case i == m:
		rest = append(rest, p[j:]...)
	case j == len(p):
		rest = append(rest, p[i:m]...)
	default:
		first := slices.Clone(p[i:m])
		x := 0
		for x < len(first) && j < len(p) {
			if first[x] <= p[j] {
				rest = append(rest, first[x])
				x++
			} else {
				rest = append(rest, p[j])
				j++
			}
		}
		rest = append(rest, first[x:]...)
		rest = append(rest, p[j:]...)
	}
	ka.pending.times, ka.pending.sorted = rest, len(rest)
}

// countAll counts every pending admission of ka; ka.mu is held.
func (a *admissions) countAll(ka *keyAdmissions) {
	if ka.pending != nil {
		a.countPending(ka, math.MaxInt64)
		ka.pending = nil
	}
}

// count counts an admission at t µs, at or after every one counted: the
// spans ending at it, its aligned window; ka.mu is held.
func (a *admissions) count(ka *keyAdmissions, t int64) {
	// Forget what no span reaching the newest admission can hold, keeping
	// the reorder allowance for answers still on their way; what leaves is
	// kept, in order. Half of times at least leaves at once, so that the
	// move costs little per admission.
	if n := len(ka.times); n > 1 {
		horizon := ka.times[n-1] - ka.spans[windowSpan] - a.reorder
		if ka.times[n/2] < horizon {
			drop, _ := slices.BinarySearch(ka.times, horizon)
			a.keepInstants(ka, ka.times[:drop])
			ka.times = slices.Delete(ka.times, 0, drop)
			ka.first[windowSpan] -= drop
			ka.first[burstSpan] -= drop
		}
	}
	ka.times = append(ka.times, t)
	n := len(ka.times)
	for s, span := range ka.spans {
		f := ka.first[s]
		for ka.times[f] <= t-span {
			f++
		}
		ka.first[s] = f
		ka.most[s] = max(ka.most[s], int64(n-f))
	}
	if w := ka.spans[windowSpan]; ka.alignedCount > 0 && t-ka.alignedStart < w {
		ka.alignedCount++
	} else {
		ka.alignedStart, ka.alignedCount = floorDiv(t, w)*w, 1
	}
	ka.mostAligned = max(ka.mostAligned, ka.alignedCount)
}

// countLate counts an admission at t µs that came behind one counted
// already: slotted into times, it recounts the spans of the admissions
// within a span after it; ka.mu is held.
func (a *admissions) countLate(ka *keyAdmissions, t int64) {
	// Insert after any equal instant, so that equal instants count together.
	pos, _ := slices.BinarySearch(ka.times, t+1)
	ka.times = slices.Insert(ka.times, pos, t)
	last := ka.times[len(ka.times)-1]
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
		ka.first[s], _ = slices.BinarySearch(ka.times, last-span+1)
	}
	if t >= ka.alignedStart {
		// The aligned window of the newest counted.
		ka.alignedCount++
		ka.mostAligned = max(ka.mostAligned, ka.alignedCount)
		return
	}
	// An earlier aligned window: all of it that came is counted, in times.
	w := ka.spans[windowSpan]
	start := floorDiv(t, w) * w
	from, _ := slices.BinarySearch(ka.times, start)
	to, _ := slices.BinarySearch(ka.times, start+w)
	ka.mostAligned = max(ka.mostAligned, int64(to-from))
}

// keepInstants moves sorted instants that left ka.times into its log, as
// many as report.MaxKeptAdmissions leaves room for; ka.mu is held.
func (a *admissions) keepInstants(ka *keyAdmissions, ts []int64) {
	if a.forgetInstants && !ka.untimed {
		return // an untimed key's figures are worked out from its instants
	}
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
	// sorted by key name, for an exact merge of several generators; nil
	// when the run's Config.ForgetAdmissions said nothing would read them.
	Kept *report.Admissions
	// PerKey holds every asked key's own figures against its own bounds,
	// named as the limiter saw it, for report.Summarise; in key order.
	PerKey []report.KeyAccuracy
}

// summarise holds every key asked for to p's bounds for its limit (none
// when p is nil). asked reports whether a key was asked for at all.
// name and tier give a key's name and its tier's name ("" without tiers).
func (a *admissions) summarise(limitOf func(int) algorithms.Limit, p algorithms.Promise, name, tier func(int) string) Accuracy {
	asked := a.asked()
	// Every admission is counted first: past report.MaxKeptAdmissions in
	// all, the kept list is incomplete.
	var total int64
	for _, k := range asked {
		ka := a.key(k)
		ka.mu.Lock()
		a.countAll(ka)
		total += ka.admitted
		ka.mu.Unlock()
	}
	complete := total <= report.MaxKeptAdmissions
	var acc Accuracy
	if !a.forgetInstants {
		acc.Kept = &report.Admissions{Complete: complete}
		defer func() {
			slices.SortFunc(acc.Kept.Keys, func(x, y report.KeyAdmissions) int { return strings.Compare(x.Key, y.Key) })
		}()
	}
	// Instants still in the keys' windows are kept too, as far as
	// MaxKeptAdmissions allows; the logs are left as they are.
	room := max(0, report.MaxKeptAdmissions-a.kept.Load())
	for _, k := range asked {
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
		var instants string
		if acc.Kept != nil {
			instants = ka.keep.encode(tail)
		}
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
		if pk := acc.PerKey[len(acc.PerKey)-1]; acc.Kept != nil {
			acc.Kept.Keys = append(acc.Kept.Keys, report.KeyAdmissions{
				Key: pk.Key, Tier: pk.Tier, WindowUS: pk.WindowUS, Bound: pk.Bound,
				BurstSpanUS: pk.BurstSpanUS, BurstBound: pk.BurstBound, AlignedBound: pk.AlignedBound,
				Instants: instants, Unknown: report.EncodeSpans(spans),
				Figures: pk,
			})
		}
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

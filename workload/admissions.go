package workload

import (
	"slices"
	"sync"
	"time"

	"github.com/rlbench/rlbench/algorithms"
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
// busiest span (a−D, a] ending at an admission a, so each admission carries
// the count of the span that ends at it; a late admission adds one to the
// counts of the admissions within D after it.
type admissions struct {
	keys    []keyAdmissions
	reorder int64 // µs an answer may arrive behind a later one
}

// The two spans of a key: its window and its burst span.
const (
	windowSpan = iota
	burstSpan
)

type keyAdmissions struct {
	mu       sync.Mutex
	spans    [2]int64   // µs: the key's window, and its burst span
	times    []int64    // sorted admission instants, µs
	counts   [2][]int64 // counts[s][i]: admissions in (times[i]-spans[s], times[i]]
	most     [2]int64
	admitted int64
}

// newAdmissions tracks n keys; windowOf gives each key's window.
func newAdmissions(n int, windowOf func(key int) time.Duration, reorder time.Duration) *admissions {
	a := &admissions{keys: make([]keyAdmissions, n), reorder: max(reorder.Microseconds(), 1)}
	for k := range a.keys {
		w := windowOf(k).Microseconds()
		a.keys[k].spans = [2]int64{w, max(w/BurstSpanDivisor, 1)}
	}
	return a
}

// admit records one admission of key k at instant at.
func (a *admissions) admit(k int, at time.Time) {
	ka := &a.keys[k]
	t := at.UnixMicro()
	ka.mu.Lock()
	defer ka.mu.Unlock()
	ka.admitted++

	// Forget what no span reaching the newest admission can hold, keeping
	// the reorder allowance for answers still on their way.
	if n := len(ka.times); n > 0 {
		horizon := ka.times[n-1] - ka.spans[windowSpan] - a.reorder
		drop, _ := slices.BinarySearch(ka.times, horizon)
		if drop > 0 && drop > len(ka.times)/2 {
			ka.times = slices.Delete(ka.times, 0, drop)
			for s := range ka.counts {
				ka.counts[s] = slices.Delete(ka.counts[s], 0, drop)
			}
		}
	}

	// Insert after any equal instant, so that equal instants count together.
	pos, _ := slices.BinarySearch(ka.times, t+1)
	ka.times = slices.Insert(ka.times, pos, t)
	for s, span := range ka.spans {
		first, _ := slices.BinarySearch(ka.times[:pos], t-span+1)
		count := int64(pos-first) + 1
		ka.counts[s] = slices.Insert(ka.counts[s], pos, count)
		ka.most[s] = max(ka.most[s], count)
		for j := pos + 1; j < len(ka.times) && ka.times[j] < t+span; j++ {
			ka.counts[s][j]++
			ka.most[s] = max(ka.most[s], ka.counts[s][j])
		}
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
	// Keys is how many keys were asked for at least once.
	Keys int64
	// ConfiguredPerS is the sum of the configured rates of those keys.
	ConfiguredPerS float64
}

// summarise holds every key to bound(k), the limiter's promise for key k's
// limit over one window. asked reports whether a key was asked for at all.
func (a *admissions) summarise(limitOf func(int) algorithms.Limit, l algorithms.Limiter, asked func(int) bool) Accuracy {
	var acc Accuracy
	for k := range a.keys {
		if !asked(k) {
			continue
		}
		ka := &a.keys[k]
		limit := limitOf(k)
		ka.mu.Lock()
		burst := time.Duration(ka.spans[burstSpan]) * time.Microsecond
		key := KeyAccuracy{
			Key: k, Admitted: ka.admitted,
			MostInWindow: ka.most[windowSpan], Bound: l.Bound(limit, limit.Window),
			MostInBurst: ka.most[burstSpan], BurstBound: l.Bound(limit, burst), BurstSpan: burst,
		}
		ka.mu.Unlock()
		acc.Keys++
		acc.ConfiguredPerS += float64(limit.Requests) / limit.Window.Seconds()
		acc.OverAdmitted += key.Over()
		if key.Over() > 0 {
			acc.KeysOverBound++
		}
		if acc.Keys == 1 || key.Over() > acc.Busiest.Over() ||
			(key.Over() == acc.Busiest.Over() && key.MostInWindow > acc.Busiest.MostInWindow) {
			acc.Busiest = key
		}
		if acc.Keys == 1 || key.MostInBurst-key.BurstBound > acc.BusiestBurst.MostInBurst-acc.BusiestBurst.BurstBound {
			acc.BusiestBurst = key
		}
	}
	return acc
}

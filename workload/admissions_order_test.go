package workload

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/report"
)

// straightforward is the tracker as it was before admissions were counted
// in order: each admission slotted into its key's sorted instants as it
// comes, recounting the spans of those within a span after it, and a count
// per aligned window in a map. It is the reference the tracker must match.
type straightforward struct {
	spans       [2]int64
	reorder     int64
	times       []int64
	most        [2]int64
	aligned     map[int64]int64
	mostAligned int64
}

func (r *straightforward) admit(t int64) {
	w := r.spans[windowSpan]
	idx := floorDiv(t, w)
	if r.aligned == nil {
		r.aligned = map[int64]int64{}
	}
	r.aligned[idx]++
	r.mostAligned = max(r.mostAligned, r.aligned[idx])
	if n := len(r.times); n > 0 {
		horizon := r.times[n-1] - w - r.reorder
		if drop, _ := slices.BinarySearch(r.times, horizon); drop > len(r.times)/2 {
			r.times = slices.Delete(r.times, 0, drop)
		}
	}
	pos, _ := slices.BinarySearch(r.times, t+1)
	r.times = slices.Insert(r.times, pos, t)
	for s, span := range r.spans {
		first, _ := slices.BinarySearch(r.times[:pos], t-span+1)
		r.most[s] = max(r.most[s], int64(pos-first)+1)
		lo := first
		for j := pos + 1; j < len(r.times) && r.times[j] < t+span; j++ {
			for r.times[j]-r.times[lo] >= span {
				lo++
			}
			r.most[s] = max(r.most[s], int64(j-lo)+1)
		}
	}
}

// arrivals is n admissions of keys 0..keys-1 as concurrent pipelined
// workers deliver them: each worker's batch is in order, batches arrive
// out of order within disorder µs, now and then one admission comes much
// later (within the reorder allowance), and instants repeat.
func arrivals(rng *rand.Rand, n, keys int, spacing, disorder, late int64) (ks []int, ts []int64) {
	now := int64(1_700_000_000_000_000) + rng.Int64N(1e9)
	var batches [][]int64
	for len(ts)+sumLen(batches) < n {
		size := 1 + rng.IntN(64)
		b := make([]int64, 0, size)
		at := now + rng.Int64N(disorder+1)
		for range size {
			at += rng.Int64N(spacing + 1) // 0: an instant repeated
			b = append(b, at)
		}
		now += rng.Int64N(2*spacing + 1)
		batches = append(batches, b)
		// Deliver a random waiting batch, most of the time.
		for len(batches) > 0 && rng.IntN(3) > 0 {
			i := rng.IntN(len(batches))
			ts = append(ts, batches[i]...)
			batches = slices.Delete(batches, i, i+1)
		}
	}
	for _, b := range batches {
		ts = append(ts, b...)
	}
	ts = ts[:n]
	for i := range ts {
		if late > 0 && rng.IntN(500) == 0 {
			ts[i] -= rng.Int64N(late)
		}
		ks = append(ks, rng.IntN(keys))
	}
	return ks, ts
}

func sumLen(bs [][]int64) int {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	return n
}

// TestOutOfOrderMatchesStraightforward: on random out-of-order arrivals
// (pipelined batches, repeated instants, now and then one far behind), the
// tracker's figures equal the straightforward tracker's, key by key, and
// the sweep's over every sorted instant; its kept instants are all of them.
func TestOutOfOrderMatchesStraightforward(t *testing.T) {
	const reorder = 50 * time.Millisecond
	for _, tt := range []struct {
		name     string
		window   time.Duration
		keys, n  int
		spacing  int64 // µs, the most between two admissions of a batch
		disorder int64 // µs a batch may come behind another
		late     int64 // µs an admission now and then comes behind its batch
	}{
		{"one key, pipelined", 100 * time.Millisecond, 1, 20000, 20, 2000, 0},
		{"one key, late ones", 100 * time.Millisecond, 1, 20000, 20, 2000, 40000},
		{"one key, equal instants", 10 * time.Millisecond, 1, 20000, 1, 300, 1000},
		{"three keys, long window", time.Second, 3, 30000, 50, 20000, 30000},
		{"in order", 50 * time.Millisecond, 2, 5000, 100, 0, 0},
		{"window shorter than the disorder", 3 * time.Millisecond, 2, 20000, 30, 5000, 20000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(5) {
				rng := rand.New(rand.NewPCG(seed, 11))
				ks, ts := arrivals(rng, tt.n, tt.keys, tt.spacing, tt.disorder, tt.late)
				a := newAdmissions(tt.keys, func(int) time.Duration { return tt.window }, reorder)
				refs := make([]straightforward, tt.keys)
				byKey := make([][]int64, tt.keys)
				for i, k := range ks {
					a.admit(a.key(k), time.UnixMicro(ts[i]))
					if refs[k].reorder == 0 {
						refs[k] = straightforward{spans: a.key(k).spans, reorder: a.reorder}
					}
					refs[k].admit(ts[i])
					byKey[k] = append(byKey[k], ts[i])
				}
				for k := range tt.keys {
					ka := a.key(k)
					a.countAll(ka)
					ref := &refs[k]
					if ka.most != ref.most || ka.mostAligned != ref.mostAligned {
						t.Errorf("seed %d key %d: most %v, aligned %d; straightforward %v, %d", seed, k, ka.most, ka.mostAligned, ref.most, ref.mostAligned)
					}
					sorted := slices.Sorted(slices.Values(byKey[k]))
					for s, span := range ka.spans {
						if want, _ := report.MaxInSpan(sorted, span); ka.most[s] != int64(want) {
							t.Errorf("seed %d key %d span %dµs: most %d, sweep %d", seed, k, span, ka.most[s], want)
						}
					}
					if got := ka.keep.sorted(ka.times); !slices.Equal(got, sorted) {
						t.Errorf("seed %d key %d: %d instants kept, want the %d admitted", seed, k, len(got), len(sorted))
					}
				}
			}
		})
	}
}

// TestLateBurstsMatchStraightforward: bursts that come further behind
// than any disorder seen before are slotted in behind admissions already
// counted, and can hold the busiest span or aligned window.
func TestLateBurstsMatchStraightforward(t *testing.T) {
	const reorder = 10 * time.Second
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 13))
		window := time.Duration(10+rng.IntN(100)) * time.Millisecond
		a := newAdmissions(1, func(int) time.Duration { return window }, reorder)
		var ref straightforward
		var all []int64
		admit := func(t int64) {
			a.admit(a.key(0), time.UnixMicro(t))
			if ref.reorder == 0 {
				ref = straightforward{spans: a.key(0).spans, reorder: a.reorder}
			}
			ref.admit(t)
			all = append(all, t)
		}
		now := int64(1_700_000_000_000_000) + rng.Int64N(1e9)
		lateness := int64(500)
		for range 20 {
			for range 200 + rng.IntN(2000) {
				now += rng.Int64N(2000)
				admit(now)
			}
			// A burst of equal instants, then a spread one, each further
			// behind than the one before.
			at := now - lateness - rng.Int64N(lateness)
			for range 1 + rng.IntN(40) {
				admit(at)
			}
			for range rng.IntN(40) {
				admit(at + rng.Int64N(window.Microseconds()))
			}
			// Five times as far behind: past twice any disorder seen.
			lateness = min(lateness*5, reorder.Microseconds()/3)
		}
		ka := a.key(0)
		a.countAll(ka)
		if ka.most != ref.most || ka.mostAligned != ref.mostAligned {
			t.Errorf("seed %d: most %v, aligned %d; straightforward %v, %d", seed, ka.most, ka.mostAligned, ref.most, ref.mostAligned)
		}
		sorted := slices.Sorted(slices.Values(all))
		for s, span := range ka.spans {
			if want, _ := report.MaxInSpan(sorted, span); ka.most[s] != int64(want) {
				t.Errorf("seed %d span %dµs: most %d, sweep %d", seed, span, ka.most[s], want)
			}
		}
		if got := ka.keep.sorted(ka.times); !slices.Equal(got, sorted) {
			t.Errorf("seed %d: %d instants kept, want the %d admitted", seed, len(got), len(sorted))
		}
	}
}

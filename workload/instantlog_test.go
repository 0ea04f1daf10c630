package workload

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
)

// TestInstantLogEncodesAsEncodeInstants: whatever order instants enter the
// log in, with whatever tail, the log encodes what report.EncodeInstants
// writes of them all sorted, across chunk boundaries and extreme values.
func TestInstantLogEncodesAsEncodeInstants(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []struct {
		name       string
		n, tail    int
		spacing    int64
		outOfOrder bool
	}{
		{"empty", 0, 0, 10, false},
		{"tail only", 0, 50, 10, false},
		{"one chunk", 20, 3, 10, false},
		{"many chunks, one byte each", 300_000, 100, 20, false},
		{"wide gaps", 50_000, 10, 1 << 40, false},
		{"straggler in the log", 5000, 10, 100, true},
		{"tail before the log", 5000, 10, 100, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var all []int64
			now := int64(1_700_000_000_000_000)
			for range tt.n + tt.tail {
				now += rng.Int64N(tt.spacing)
				all = append(all, now)
			}
			var l instantLog
			in := slices.Clone(all[:tt.n])
			if tt.outOfOrder {
				in[tt.n/2], in[tt.n/2+1] = in[tt.n/2+1]+1, in[tt.n/2]
				all[tt.n/2], all[tt.n/2+1] = in[tt.n/2], in[tt.n/2+1]
			}
			tail := all[tt.n:]
			if tt.name == "tail before the log" {
				tail = []int64{all[0] - 5, all[0] - 1}
				all = append(all[:tt.n:tt.n], tail...)
			}
			for _, v := range in {
				l.add(v)
			}
			want := report.EncodeInstants(slices.Sorted(slices.Values(all)))
			if got := l.encode(tail); got != want {
				t.Errorf("encode differs from EncodeInstants (%d and %d characters)", len(got), len(want))
			}
			if got := l.sorted(tail); !slices.Equal(got, slices.Sorted(slices.Values(all))) {
				t.Errorf("sorted differs")
			}
		})
	}
	var l instantLog
	extremes := []int64{math.MinInt64, math.MaxInt64, 0, -1, math.MaxInt64}
	for _, v := range extremes {
		l.add(v)
	}
	if got, want := l.encode(nil), report.EncodeInstants(slices.Sorted(slices.Values(extremes))); got != want {
		t.Errorf("extremes: %q, want %q", got, want)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestAdmissionsMemoryFollowsTheWindow: the tracker's memory follows the
// admissions in one window, not the run's length. Nine hundred thousand
// more admissions, 10 µs apart, may add to the heap only what their kept
// instants take encoded (a byte each): keeping them as int64s, or a count
// per instant, takes eight bytes or more. Past MaxKeptAdmissions the kept
// list stops growing, says it is incomplete, and holds each key's earliest
// admissions in order.
func TestAdmissionsMemoryFollowsTheWindow(t *testing.T) {
	limit := algorithms.Limit{Requests: 1_000_000_000, Window: 100 * time.Millisecond}
	a := newAdmissions(2, func(int) time.Duration { return limit.Window }, 10*time.Millisecond)
	start := int64(1_700_000_000_000_000)
	admit := func(from, to int) {
		for i := from; i < to; i++ {
			a.admit(a.key(i%2), time.UnixMicro(start+int64(i)*10))
		}
	}
	const small, big = 100_000, 1_000_000
	admit(0, small)
	before := liveHeap()
	admit(small, big)
	after := liveHeap()
	grew := int64(after) - int64(before)
	perAdmission := float64(grew) / float64(big-small)
	t.Logf("live heap %d KiB after %d admissions, %d KiB after %d: %.2f B per admission", before>>10, small, after>>10, big, perAdmission)
	if perAdmission > 2.5 {
		t.Errorf("live heap grew %.2f B per admission from %d to %d admissions (%d → %d KiB), want at most 2.5: memory grows with the run", perAdmission, small, big, before>>10, after>>10)
	}

	over := report.MaxKeptAdmissions + 5000 - big
	admit(big, big+over)
	acc := a.summarise(func(int) algorithms.Limit { return limit }, algorithms.NewSlidingLog(nil, algorithms.Options{}),
		func(k int) string { return string(rune('a' + k)) }, func(int) string { return "" })
	if acc.Kept.Complete {
		t.Errorf("kept list complete after %d admissions, over MaxKeptAdmissions", big+over)
	}
	kept := 0
	for k, ka := range acc.Kept.Keys {
		instants, err := report.DecodeInstants(ka.Instants)
		if err != nil {
			t.Fatal(err)
		}
		kept += len(instants)
		for i, v := range instants {
			if want := start + int64(2*i+k)*10; v != want {
				t.Fatalf("key %s: kept instant %d is %d, want %d: not the earliest admissions in order", ka.Key, i, v, want)
			}
		}
	}
	if kept != report.MaxKeptAdmissions {
		t.Errorf("kept %d instants, want MaxKeptAdmissions (%d)", kept, report.MaxKeptAdmissions)
	}
}

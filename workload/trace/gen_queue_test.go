package trace

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// entryHeap is the plain heap the queue must agree with.
type entryHeap []entry

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(a, b int) bool { return less(&h[a], &h[b]) }
func (h entryHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *entryHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// The queue gives its entries in order, ties by index, whatever their
// times: spread over all of int64, negative, tied by the thousand, in
// slots of one nanosecond or of 2^37, and even times that go back, which
// the generator never asks for (they wait in early). Each case replaces
// the least entry by a later one, as Next does, or removes it, until the
// queue is empty, through Next's path (first and step) when it applies
// and peek, replace and remove otherwise, beside container/heap.
func TestQueueOrder(t *testing.T) {
	type tc struct {
		n      int
		rate   float64 // sets the slot length
		spread int64   // first times in [-spread, spread), and mean step
		tied   bool    // times in a few values only
		back   float64 // share of steps that go back in time
	}
	var cases []tc
	for _, n := range []int{1, 2, 5, 100, 2000} {
		for _, rate := range []float64{1e-3, 10, 1e5, 1e10} {
			cases = append(cases,
				tc{n, rate, 1 << 30, false, 0},
				tc{n, rate, math.MaxInt64 / 4, false, 0},
				tc{n, rate, 1 << 12, true, 0},
				tc{n, rate, 1 << 20, false, 0.05},
				tc{n, rate, 1 << 20, false, 0.5},
			)
		}
	}
	for k, c := range cases {
		t.Run(fmt.Sprintf("%d:%+v", k, c), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(k), 9))
			time := func(base int64) int64 {
				if c.tied {
					return base + r.Int64N(4)*1000
				}
				return base + r.Int64N(c.spread)
			}
			q := newQueue(c.n, c.rate)
			var ref entryHeap
			for i := range c.n {
				e := entry{next: time(-c.spread / 2), i: int32(i)}
				q.push(e)
				heap.Push(&ref, e)
			}
			q.sortNear()
			for step := 0; step < 8*c.n+100; step++ {
				fast := len(q.near) > 0 && len(q.early) == 0
				var e *entry
				if fast {
					e = q.first()
				} else if e, _ = q.peek(); e == nil {
					if len(ref) > 0 {
						t.Fatalf("step %d: empty, want %+v", step, ref[0])
					}
					return
				}
				if len(ref) == 0 || e.next != ref[0].next || e.i != ref[0].i {
					t.Fatalf("step %d: %+v, want %v", step, *e, ref)
				}
				want := heap.Pop(&ref).(entry)
				keep := r.IntN(8) > 0
				next := e.next
				switch {
				case r.Float64() < c.back:
					next -= r.Int64N(c.spread)
				case !c.tied:
					next += r.Int64N(c.spread)
				case r.IntN(2) == 0:
					next += 1000
				}
				if keep {
					heap.Push(&ref, entry{next: next, i: want.i})
				}
				switch {
				case fast:
					q.step(next, keep)
				case keep:
					e.next = next
					q.replace(e)
				default:
					q.remove()
				}
			}
		})
	}
}

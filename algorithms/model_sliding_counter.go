package algorithms

import "time"

// slidingCounterModel is the sliding-window counter of
// lua/sliding_counter.lua: two fixed-window counts, the previous aligned
// window's weighted by how much of it still overlaps the trailing window
// (now-W, now], plus the current one. A request for n passes when
//
//	prev·(W-elapsed)/W + cur + n ≤ limit,
//
// with the weight rounded up to a whole request, so that the rule is exact
// in integers. With 100 per minute, 80 in the previous window and 30 s into
// this one with 10 so far, the weight is 80×30/60 = 40 and 50 more may pass.
// Each window's key lives until the next window has ended, while it is
// still read as the previous one.
type slidingCounterModel[K comparable] struct {
	modelBase
	keys keyStore[K, windows]
}

// AllowN implements Model.
func (m *slidingCounterModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	limit, w := m.limit.Requests, m.window
	index, elapsed := m.windowOf(t)
	ws := m.keys.state(key)
	prev, cur := ws.count(&m.modelBase, index-1), ws.count(&m.modelBase, index)
	weight, r := mulDivMod(prev, w-elapsed, w)
	if r > 0 {
		weight++
	}
	switch {
	case n > limit:
		return decide(false, max(0, limit-cur-weight), -1, counterReset(cur, prev, w, elapsed), t), nil
	case weight+cur+n > limit:
		var retry int64
		if cur+n <= limit {
			// Only the previous window's weight is in the way: wait until
			// it has slid out far enough, to the first elapsed time e with
			// prev·(W-e) ≤ (limit-cur-n)·W.
			fits, _ := mulDivMod(limit-cur-n, w, prev)
			retry = w - fits - elapsed
		} else {
			// Not even an empty past would do: wait for the next window,
			// where this window's count becomes the weighted one.
			fits, _ := mulDivMod(limit-n, w, cur)
			retry = w - elapsed + max(0, w-fits)
		}
		return decide(false, max(0, limit-cur-weight), retry, counterReset(cur, prev, w, elapsed), t), nil
	}
	cur += n
	// The count is read again as the previous window's during the next one.
	ws.set(&m.modelBase, index, cur, m.expiry(2*w-elapsed))
	return decide(true, max(0, limit-cur-weight), 0, counterReset(cur, prev, w, elapsed), t), nil
}

// counterReset is when a key whose current window counts cur and previous
// one prev, elapsed into a window of w, is empty again: when this window's
// count has slid out, else the previous one's.
func counterReset(cur, prev, w, elapsed int64) int64 {
	switch {
	case cur > 0:
		return 2*w - elapsed
	case prev > 0:
		return w - elapsed
	}
	return 0
}

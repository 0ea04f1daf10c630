package algorithms

import "time"

// fixedModel is the fixed window of lua/fixed.lua: at most Limit.Requests
// per epoch-aligned window [k·W, (k+1)·W), counted in one key per window
// that expires once the window has ended. A request for n passes when the
// window's count plus n stays within the limit.
//
// With 10 per second, asking for 6 at 12:00:00.250 passes with Remaining 4
// and ResetAfter 750ms (the window ends at 12:00:01); asking for 6 again at
// 12:00:00.500 is rejected with Remaining 4, RetryAfter and ResetAfter
// 500ms. At 12:00:01.000 a new window starts from 0.
type fixedModel[K comparable] struct {
	modelBase
	keys keyStore[K, windows]
}

// AllowN implements Model.
func (m *fixedModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	limit := m.limit.Requests
	index, elapsed := m.windowOf(t)
	toEnd := m.window - elapsed
	ws := m.keys.state(key)
	count := ws.count(&m.modelBase, index)
	if n > limit {
		reset := int64(0)
		if count > 0 {
			reset = toEnd
		}
		return decide(false, max(0, limit-count), -1, reset, t), nil
	}
	if count+n > limit {
		return decide(false, max(0, limit-count), toEnd, toEnd, t), nil
	}
	count += n
	// The key matters until its window ends; the next window has its own.
	ws.set(&m.modelBase, index, count, m.expiry(toEnd))
	return decide(true, limit-count, 0, toEnd, t), nil
}

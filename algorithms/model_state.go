package algorithms

// The per-key state of the models, each the shape of the Redis keys its
// script keeps.

// bucket is the hash a token or leaky bucket keeps, {count, frac, ts}: a
// whole count (tokens or level), a fraction in units of 1/window, and the
// instant they were written; the key lives while the model's clock is
// before expireAt.
type bucket struct {
	count, frac, ts, expireAt int64
}

// readBucket is read_bucket (lua/clock.lua): whether the key exists and,
// when it does, stamp = max(now, ts) and how many units of 1/window moved
// since ts at rate per microsecond, as (whole, part). Time is counted up to
// the stamp, never beyond: a clock that steps back must not move the bucket
// twice.
func (b *modelBase) readBucket(s *bucket, now int64) (ok bool, stamp, whole, part int64) {
	if s == nil || !b.live(s.expireAt) {
		return false, now, 0, 0
	}
	stamp = max(now, s.ts)
	whole, part = mulDivMod(stamp-s.ts, b.limit.Requests, b.window)
	return true, stamp, whole, part
}

// windows are one user key's per-window counters, the Redis keys
// <prefix>:<window index> of fixed and sliding-counter, each with its own
// TTL, in index order. Without a clock that steps back there are one or
// two; the expired ones are dropped from the front as they age. Two are
// kept inline, so that a key's state is one cache line of 64 bytes; a key
// that once needs three moves them all to spill, for good.
type windows struct {
	first [2]windowCount
	n     int            // entries in first, while spill is nil
	spill *[]windowCount // every entry instead, once three were kept at once
}

type windowCount struct {
	index, count, expireAt int64
}

// list is the entries, in index order.
func (ws *windows) list() []windowCount {
	if ws.spill != nil {
		return *ws.spill
	}
	return ws.first[:ws.n]
}

// count is the count of window index, 0 when its key is missing.
func (ws *windows) count(b *modelBase, index int64) int64 {
	w := ws.list()
	for i := len(w) - 1; i >= 0; i-- {
		switch e := w[i]; {
		case e.index == index && b.live(e.expireAt):
			return e.count
		case e.index <= index:
			return 0
		}
	}
	return 0
}

// set writes window index's count and expiry.
func (ws *windows) set(b *modelBase, index, count, expireAt int64) {
	w := ws.list()
	dead := 0
	for dead < len(w) && !b.live(w[dead].expireAt) {
		dead++
	}
	if dead > 0 {
		w = w[:copy(w, w[dead:])]
	}
	i := len(w)
	for i > 0 && w[i-1].index > index {
		i--
	}
	e := windowCount{index: index, count: count, expireAt: expireAt}
	if i > 0 && w[i-1].index == index {
		w[i-1] = e
	} else {
		// Within first's capacity, append writes into first; a third
		// entry makes a new array.
		w = append(w, windowCount{})
		copy(w[i+1:], w[i:])
		w[i] = e
	}
	switch {
	case ws.spill != nil:
		*ws.spill = w
	case len(w) <= len(ws.first):
		ws.n = len(w)
	default:
		ws.spill = new([]windowCount)
		*ws.spill = w
	}
}

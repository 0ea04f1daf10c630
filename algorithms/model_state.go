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
// two; the expired ones are dropped from the front as they age.
type windows struct {
	w []windowCount
}

type windowCount struct {
	index, count, expireAt int64
}

// count is the count of window index, 0 when its key is missing.
func (ws *windows) count(b *modelBase, index int64) int64 {
	for i := len(ws.w) - 1; i >= 0; i-- {
		switch e := ws.w[i]; {
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
	dead := 0
	for dead < len(ws.w) && !b.live(ws.w[dead].expireAt) {
		dead++
	}
	if dead > 0 {
		ws.w = ws.w[:copy(ws.w, ws.w[dead:])]
	}
	i := len(ws.w)
	for i > 0 && ws.w[i-1].index > index {
		i--
	}
	e := windowCount{index: index, count: count, expireAt: expireAt}
	if i > 0 && ws.w[i-1].index == index {
		ws.w[i-1] = e
		return
	}
	ws.w = append(ws.w, windowCount{})
	copy(ws.w[i+1:], ws.w[i:])
	ws.w[i] = e
}

package algorithms

import "time"

// leakyModel is the policing leaky bucket of lua/leaky.lua. A key's queue
// has depth C = Limit.Capacity() and drains Limit.Requests per Window,
// continuously; a request for n that would overflow it is rejected and
// changes nothing (a meter, not a shaper: nothing waits). A key with no
// state is an empty queue.
//
// The level is a whole count and a fraction in units of 1/window of a
// request (0 ≤ frac < window), so that it drains Requests units per
// microsecond. With 10 per second and C = 5, five requests at once fill the
// queue; a sixth 30 ms later finds a level of 4.7, gets Remaining 0,
// RetryAfter 70ms and ResetAfter 470ms.
type leakyModel[K comparable] struct {
	modelBase
	keys keyStore[K, bucket]
}

// AllowN implements Model.
func (m *leakyModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	w, c := m.window, m.limit.Capacity()
	s := m.keys.state(key)
	level, frac := int64(0), int64(0)
	ok, stamp, whole, part := m.readBucket(s, t)
	if ok && (whole < s.count || whole == s.count && part < s.frac) {
		level, frac = s.count-whole, s.frac-part
		if frac < 0 {
			level, frac = level-1, frac+w
		}
	}
	ahead := stamp - t
	// Room left, in whole requests: C less the level, rounded down.
	remaining := max(0, c-level)
	if frac > 0 {
		remaining = max(0, c-level-1)
	}
	switch {
	case n > c:
		return decide(false, remaining, -1, m.untilBelow(c, level, frac, ahead), t), nil
	case level+n > c || level+n == c && frac > 0:
		return decide(false, remaining, m.untilBelow(n, level, frac, ahead), m.untilBelow(c, level, frac, ahead), t), nil
	}
	level += n
	empty := m.untilBelow(c, level, frac, ahead)
	// A missing key reads as an empty queue, so the key may go once the
	// queue has drained.
	*s = bucket{count: level, frac: frac, ts: stamp, expireAt: m.expiry(empty)}
	if frac > 0 {
		return decide(true, max(0, c-level-1), 0, empty, t), nil
	}
	return decide(true, max(0, c-level), 0, empty, t), nil
}

// untilBelow is how long until a queue of level and frac, written ahead µs
// after now, is at most C - room.
func (m *leakyModel[K]) untilBelow(room, level, frac, ahead int64) int64 {
	over := level + room - m.limit.Capacity()
	if over < 0 || over == 0 && frac == 0 {
		return ahead
	}
	return min(maxWhole, ahead+unitsTime(over, frac, m.window, m.limit.Requests))
}

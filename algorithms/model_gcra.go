package algorithms

import "time"

// gcraModel is the generic cell rate algorithm of lua/gcra.lua (virtual
// scheduling). A key's one value is its theoretical arrival time (TAT): when
// the next request would be due at the steady rate of one per emission
// interval T = Window/Requests, rounded up to a whole microsecond so that
// the rate is never above the limit. A request for n passes when it would
// not push the TAT more than B = Limit.Capacity() intervals ahead of now,
// and then moves the TAT n intervals on. A key with no state has its TAT at
// now.
//
// Exactly B pass back to back after idle. With 10 per second and B = 3,
// three pass at 12:00:00.000 (TAT 12:00:00.300), the fourth is asked at
// 12:00:00.050 and gets Remaining 0, RetryAfter 50ms and ResetAfter 250ms.
type gcraModel[K comparable] struct {
	modelBase
	interval, burst int64
	keys            keyStore[K, tat]
}

// tat is a key's theoretical arrival time in µs, and when its key expires.
type tat struct {
	at, expireAt int64
}

func newGCRAModel[K comparable](base modelBase) *gcraModel[K] {
	return &gcraModel[K]{
		modelBase: base,
		interval:  ceilDiv(base.window, base.limit.Requests),
		burst:     base.limit.Capacity(),
		keys:      newKeyStore[K, tat](),
	}
}

// AllowN implements Model.
func (m *gcraModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	s := m.keys.state(key)
	at := t
	if m.live(s.expireAt) {
		at = max(t, s.at)
	}
	if n > m.burst {
		return decide(false, m.remaining(at, t), -1, at-t, t), nil
	}
	// It passes when at + n·T - B·T <= now, that is when at - now <=
	// (B - n)·T, compared through the quotient as the script does.
	q, r := divMod(at-t, m.interval)
	spare := m.burst - n
	if q > spare || q == spare && r > 0 {
		return decide(false, m.remaining(at, t), (q-spare)*m.interval+r, at-t, t), nil
	}
	// A debt reaching past 2^53 µs (the year 2255) is cut there, as the
	// script cuts it.
	next := min(maxWhole, addSat(at, mulSat(n, m.interval)))
	// Once now passes the TAT a missing key means the same as the stored one.
	*s = tat{at: next, expireAt: m.expiry(next - t)}
	return decide(true, m.remaining(next, t), 0, next-t, t), nil
}

// remaining is how many whole intervals of the burst a TAT of at leaves
// at now: B - ⌈(at - now)/T⌉, not below 0.
func (m *gcraModel[K]) remaining(at, now int64) int64 {
	return max(0, m.burst-ceilDiv(at-now, m.interval))
}

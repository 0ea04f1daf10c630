package algorithms

import "time"

// tokenModel is the token bucket of lua/token.lua. A key's bucket holds up
// to C = Limit.Capacity() tokens and refills Limit.Requests of them per
// Window, continuously; a request for n takes n tokens or is rejected and
// changes nothing. A key with no state is a full bucket.
//
// Tokens are a whole count and a fraction in units of 1/window of a token
// (0 ≤ frac < window), so that the refill is Requests units per
// microsecond and every number is a whole one. With 10 per second and C =
// 20, an idle key lets 20 through at once, then one every 100 ms; asked 30
// ms after the 20th, a request finds 0 tokens and 300,000 units (0.3 of a
// token) and gets RetryAfter 70ms, ResetAfter 1.97s.
type tokenModel[K comparable] struct {
	modelBase
	keys keyStore[K, bucket]
}

// AllowN implements Model.
func (m *tokenModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	w, c := m.window, m.limit.Capacity()
	s := m.keys.state(key)
	tokens, frac := c, int64(0)
	ok, stamp, whole, part := m.readBucket(s, t)
	if ok {
		if whole >= c-s.count {
			tokens, frac = c, 0
		} else {
			tokens, frac = s.count+whole, s.frac+part
			if frac >= w {
				tokens, frac = tokens+1, frac-w
			}
			if tokens >= c {
				tokens, frac = c, 0
			}
		}
	}
	// Waits count from now, also when the bucket was written at a later
	// instant by a clock that has since stepped back.
	ahead := stamp - t
	switch {
	case n > c:
		return decide(false, tokens, -1, m.untilHolds(c, tokens, frac, ahead), t), nil
	case tokens < n:
		return decide(false, tokens, m.untilHolds(n, tokens, frac, ahead), m.untilHolds(c, tokens, frac, ahead), t), nil
	}
	tokens -= n
	full := m.untilHolds(c, tokens, frac, ahead)
	// A missing key reads as a full bucket, so the key may go once the
	// bucket is full.
	*s = bucket{count: tokens, frac: frac, ts: stamp, expireAt: m.expiry(full)}
	return decide(true, tokens, 0, full, t), nil
}

// untilHolds is how long until a bucket of tokens and frac, written ahead
// µs after now, holds k tokens.
func (m *tokenModel[K]) untilHolds(k, tokens, frac, ahead int64) int64 {
	if tokens >= k {
		return ahead
	}
	return min(maxWhole, ahead+unitsTime(k-tokens, -frac, m.window, m.limit.Requests))
}

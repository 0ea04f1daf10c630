package algorithms

import (
	"math"
	"math/big"
	"time"
)

// LongestTTL is the longest TTL the named algorithm gives any key it
// writes under limit and opts: how long its state can matter, padded as
// its script pads every TTL (clock.lua's ttl_ms), or the whole seconds the
// seed's EXPIRE sets. A key whose remaining TTL is longer will outlive its
// state. ok is false for an algorithm that writes no keys (the baseline).
func LongestTTL(name string, limit Limit, opts Options) (ttl time.Duration, ok bool) {
	for _, r := range registry {
		if r.Name == name && r.lifetime != nil {
			return r.lifetime(limit, opts), true
		}
	}
	return 0, false
}

// scriptTTL is the longest PEXPIRE a script sets for state that matters
// for span: ttl_ms of clock.lua.
func scriptTTL(span time.Duration, opts Options) time.Duration {
	us := satAdd(span.Microseconds(), opts.skewAllowance().Microseconds())
	ms := max(2, satAdd(us/1000+boolInt(us%1000 != 0), 1))
	return satMul(ms, time.Millisecond)
}

// aheadTTL is scriptTTL for the state that a client clock up to the skew
// allowance ahead of this one may have stamped: the sliding log's newest
// entry, a bucket's last update. Its span is counted from that stamp.
func aheadTTL(span time.Duration, opts Options) time.Duration {
	return scriptTTL(span+opts.skewAllowance(), opts)
}

// lifetimes of each algorithm's state.
func windowLife(l Limit, o Options) time.Duration { return scriptTTL(l.Window, o) }

func slidingLife(l Limit, o Options) time.Duration { return aheadTTL(l.Window, o) }

func twoWindowLife(l Limit, o Options) time.Duration { return scriptTTL(satMul(2, l.Window), o) }

// refillLife is a bucket's time from empty to full (or full to empty):
// ⌈C·W/L⌉ µs.
func refillLife(l Limit, o Options) time.Duration {
	us := new(big.Int).Mul(big.NewInt(l.Capacity()), big.NewInt(l.windowMicros()))
	q, r := new(big.Int).QuoRem(us, big.NewInt(l.Requests), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return aheadTTL(bigMicros(q), o)
}

// gcraLife is the furthest ahead a TAT can be: C emission intervals of
// ⌈W/L⌉ µs.
func gcraLife(l Limit, o Options) time.Duration {
	interval := (l.windowMicros() + l.Requests - 1) / l.Requests
	us := new(big.Int).Mul(big.NewInt(l.Capacity()), big.NewInt(interval))
	return scriptTTL(bigMicros(us), o)
}

func seedFixedLife(l Limit, _ Options) time.Duration {
	return time.Duration(expireSeconds(l.Window)) * time.Second
}

func seedSlidingLife(l Limit, _ Options) time.Duration {
	return time.Duration(expireSeconds(l.Window)+1) * time.Second
}

// seedLeakyLife is the seed's quiet period, computed as SeedLeaky does.
func seedLeakyLife(l Limit, _ Options) time.Duration {
	quiet := time.Duration(l.Capacity()) * l.Window / time.Duration(l.Requests)
	return time.Duration(expireSeconds(quiet)) * time.Second
}

func bigMicros(us *big.Int) time.Duration {
	if !us.IsInt64() {
		return math.MaxInt64
	}
	return satMul(us.Int64(), time.Microsecond)
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul[D int64 | time.Duration](a int64, unit D) time.Duration {
	if a != 0 && int64(unit) > math.MaxInt64/a {
		return math.MaxInt64
	}
	return time.Duration(a * int64(unit))
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

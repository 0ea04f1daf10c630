package algorithms

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"
)

// Model is an exact, in-memory reference of one atomic algorithm at one
// Limit: the same decisions as the algorithm's script, field for field,
// with no Redis. It keeps each key's state as the script keeps it in Redis,
// in integer microseconds and with the same exact arithmetic, and takes the
// time as a parameter (as golang.org/x/time/rate's AllowN does), so that a
// workload of millions of decisions runs in memory at the speed of a map
// lookup. The models are also the shortest complete description of each
// algorithm: read one beside its script in lua/.
//
// A Model is not safe for concurrent use: give each goroutine its own (keys
// are independent, so a workload splits by key).
type Model = KeyedModel[string]

// KeyedModel is a Model whose keys are values of K: a simulation names its
// keys by their index, which spares a string per request and its hashing,
// and an int-keyed model keeps its states in pages by index, not in a map.
// Keys only tell states apart: a key's decisions are those of the user key
// it stands for.
type KeyedModel[K comparable] interface {
	// Name is the algorithm's registry name, such as "token".
	Name() string
	// Limit is the limit every key is held to.
	Limit() Limit
	// AllowN asks for n units of key's allowance at the instant now and
	// records them when they pass, exactly as the limiter of the same name
	// would with a client clock reading now. It fails only for n < 1
	// (ErrInvalidCost) and for instants before the Unix epoch
	// (ErrInvalidTime). On a key it has seen it allocates nothing, but
	// for the sliding log's list of admissions as it grows and a third
	// window kept at once, which only a clock that steps back needs.
	AllowN(now time.Time, key K, n int64) (Decision, error)
}

// ErrInvalidTime is returned by Model.AllowN for an instant before the Unix
// epoch, which no Redis clock reads.
var ErrInvalidTime = errors.New("invalid time")

// NewModel returns the model of the atomic algorithm name at limit, keyed
// by K (string, as Model is, or a simulation's key index), or
// ErrUnknownAlgorithm for a name in neither Names (the seed variants and the
// baseline have none), or the error of limit.Validate or opts.Validate.
//
// NewModel[string](name, limit, opts) decides as New(name, rdb, opts) does for
// limit, with opts.Clock reading the instants given to AllowN. Of opts only
// the TTL padding matters (Options.ClockSkewAllowance, and its default of
// DefaultClockSkewAllowance under a client Clock): each key expires as its
// Redis key would, on the model's own clock, which is the latest instant it
// has been asked at. That clock never steps back, as Redis's does not, so a
// key whose TTL has run out stays gone when a caller's clock steps back
// behind it. Expiry is counted to the microsecond, as miniredis counts it;
// Redis counts whole milliseconds and keeps a key up to 1 ms longer. It
// never changes a decision otherwise: every TTL outlasts the time its state
// matters.
//
// The arithmetic is the scripts' exactly, wherever theirs is exact (limits
// and bursts up to 1e15, windows up to 8784h): quotients and waits saturate
// at 2^53-1 µs (285 years) as theirs do.
func NewModel[K comparable](name string, limit Limit, opts Options) (KeyedModel[K], error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := limit.Validate(); err != nil {
		return nil, err
	}
	base := modelBase{
		name:   name,
		limit:  limit,
		window: limit.windowMicros(),
		skew:   opts.skewAllowance().Microseconds(),
	}
	switch name {
	case "fixed":
		return &fixedModel[K]{modelBase: base, keys: newKeyStore[K, windows]()}, nil
	case "sliding":
		return &slidingModel[K]{modelBase: base, keys: newKeyStore[K, admissionLog]()}, nil
	case "sliding-counter":
		return &slidingCounterModel[K]{modelBase: base, keys: newKeyStore[K, windows]()}, nil
	case "token":
		return &tokenModel[K]{modelBase: base, keys: newKeyStore[K, bucket]()}, nil
	case "leaky":
		return &leakyModel[K]{modelBase: base, keys: newKeyStore[K, bucket]()}, nil
	case "gcra":
		return newGCRAModel[K](base), nil
	}
	return nil, fmt.Errorf("%w %q: models exist for %s", ErrUnknownAlgorithm, name, strings.Join(Names(), ", "))
}

// maxWhole is where the scripts saturate quotients and waits: 2^53-1 µs,
// 285 years (MAX_WHOLE in lua/clock.lua).
const maxWhole = 1<<53 - 1

// modelBase is what every model shares: its limit and its clock.
type modelBase struct {
	name   string
	limit  Limit
	window int64 // µs
	skew   int64 // TTL padding, µs: the last ARGV of every script
	// clock is the latest instant asked, in µs: the Redis clock that keys
	// expire by.
	clock int64
	// eachCall: the clock is each call's instant (StampEachCall).
	eachCall bool
	// windowStart and windowIndex are the last window windowOf found (at
	// first window 0, which starts at 0): one key's instants arrive in
	// order but for a clock that steps back, so most fall in it and need
	// no division.
	windowStart, windowIndex int64
}

// StampEachCall makes m's Redis clock the instant of each call instead of
// the latest instant asked, for a caller that decides keys in any order
// among themselves (each key's calls in the order of their instants) in a
// world whose instants, in time order, never step back: a simulation
// without clock skew, decided key by key. There, the latest instant asked
// is always the call's own, so the decisions are the same as if the keys
// had been decided in time order. m must be a model NewModel returned.
func StampEachCall[K comparable](m KeyedModel[K]) {
	if s, ok := m.(interface{ stampEachCall() }); ok {
		s.stampEachCall()
	}
}

func (b *modelBase) stampEachCall() { b.eachCall = true }

// Name implements Model.
func (b *modelBase) Name() string { return b.name }

// Limit implements Model.
func (b *modelBase) Limit() Limit { return b.limit }

// begin checks a request and moves the clock; it returns now in µs.
func (b *modelBase) begin(now time.Time, n int64) (int64, error) {
	if n < 1 {
		return 0, fmt.Errorf("%w: cost %d must be at least 1", ErrInvalidCost, n)
	}
	t := now.UnixMicro()
	if t < 0 {
		return 0, fmt.Errorf("%w: %v is before the Unix epoch", ErrInvalidTime, now)
	}
	if b.eachCall {
		b.clock = t
	} else {
		b.clock = max(b.clock, t)
	}
	return t, nil
}

// live reports whether a key that expires at expireAt still exists. A key
// never written has expireAt 0 and never does.
func (b *modelBase) live(expireAt int64) bool { return b.clock < expireAt }

// expiry is when a key written now with PEXPIRE ttl_ms(span) expires:
// ttl_ms is never shorter than the span plus the padding, carries one
// millisecond more and is never below 2 ms (see lua/clock.lua).
func (b *modelBase) expiry(span int64) int64 {
	ms := max(2, ceilDiv(addSat(span, b.skew), 1000)+1)
	return addSat(b.clock, mulSat(ms, 1000))
}

// windowOf is the epoch-aligned window an instant t ≥ 0 falls in: its
// index ⌊t/window⌋ and how far into it t is.
func (b *modelBase) windowOf(t int64) (index, elapsed int64) {
	if elapsed := t - b.windowStart; 0 <= elapsed && elapsed < b.window {
		return b.windowIndex, elapsed
	}
	index, elapsed = divMod(t, b.window)
	b.windowStart, b.windowIndex = t-elapsed, index
	return index, elapsed
}

// decide is the reply every script returns, {allowed, remaining,
// retry_after_us, reset_after_us, now_us}, as a Decision: the conversion
// the limiters make of it.
func decide(allowed bool, remaining, retry, reset, at int64) Decision {
	d := Decision{
		Allowed:    allowed,
		Remaining:  remaining,
		RetryAfter: time.Duration(retry) * time.Microsecond,
		ResetAfter: time.Duration(reset) * time.Microsecond,
		At:         time.UnixMicro(at),
	}
	if retry < 0 {
		d.RetryAfter = NeverRetry
	}
	return d
}

// The scripts' exact arithmetic (lua/clock.lua), on int64 and 128-bit
// products where Lua builds them bit by bit.

// divMod is ⌊a/m⌋ and a - ⌊a/m⌋·m for m > 0: div_mod, which floors for
// negative a too.
func divMod(a, m int64) (q, r int64) {
	q, r = a/m, a%m
	if r < 0 {
		q, r = q-1, r+m
	}
	return q, r
}

// mulDivMod is ⌊a·b/m⌋ and a·b mod m for a, b ≥ 0 and m > 0, the product
// held in 128 bits: mul_div_mod. The quotient saturates at maxWhole, and
// the remainder is then 0.
func mulDivMod(a, b, m int64) (q, r int64) {
	if a == 0 {
		// An empty window or bucket, often: spare the division.
		return 0, 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(m) {
		return maxWhole, 0
	}
	uq, ur := bits.Div64(hi, lo, uint64(m))
	if uq > maxWhole {
		return maxWhole, 0
	}
	return int64(uq), int64(ur)
}

// unitsTime is ⌈(whole·window + part)/rate⌉, saturating at maxWhole: how
// many microseconds a bucket moving rate units per microsecond takes to move
// whole units of window plus part (-window < part < window, the sum not
// negative): units_time.
func unitsTime(whole, part, window, rate int64) int64 {
	q, r := mulDivMod(whole, window, rate)
	if q >= maxWhole {
		return maxWhole
	}
	pq, pr := divMod(part, rate)
	t, s := q+pq, r+pr
	switch {
	case s > rate:
		t += 2
	case s > 0:
		t++
	}
	return min(t, maxWhole)
}

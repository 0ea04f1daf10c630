// Package algorithms implements Redis-backed rate-limiting algorithms behind one interface.
package algorithms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limit is the rate a key is allowed: Requests per Window, with Burst as the
// capacity of the bucket-shaped algorithms (token, leaky, gcra).
//
// Limit{Requests: 100, Window: time.Minute} allows 100 requests a minute; a
// token bucket with that limit refills one token every 600 ms and holds at
// most 100 (Burst 0 means Burst = Requests).
//
// The scripts' arithmetic is exact to the request and the microsecond for
// every limit rlbench accepts (Requests and Burst up to 1e15, windows up to
// 8784h), though Lua's numbers are doubles: token, leaky and sliding-counter
// keep their state as a whole count and a fraction below 2^53 and divide
// the larger products without forming them. RetryAfter and ResetAfter
// saturate at 2^53-1 µs (285 years).
type Limit struct {
	Requests int64
	Window   time.Duration
	Burst    int64
}

// Sentinel errors for limits and requests that no algorithm can decide on.
var (
	// ErrInvalidLimit is returned when a Limit has a non-positive field.
	ErrInvalidLimit = errors.New("invalid limit")
	// ErrInvalidCost is returned when a decision is asked for fewer than one request.
	ErrInvalidCost = errors.New("invalid cost")
	// ErrUnknownAlgorithm is returned by New for a name not in Names or SeedNames.
	ErrUnknownAlgorithm = errors.New("unknown algorithm")
	// ErrBadReply is returned when a script or command answers with an
	// unexpected type or shape: a bug, never a rejection.
	ErrBadReply = errors.New("unexpected reply from redis")
	// ErrInvalidOptions is returned when Options hold a value no limiter
	// can use, such as a negative ClockSkewAllowance.
	ErrInvalidOptions = errors.New("invalid options")
)

// Validate reports whether every field of l can be used: Requests and Window
// positive, Window at least one millisecond, Burst zero (meaning Requests) or positive.
func (l Limit) Validate() error {
	switch {
	case l.Requests <= 0:
		return fmt.Errorf("%w: requests %d must be at least 1", ErrInvalidLimit, l.Requests)
	case l.Window < time.Millisecond:
		return fmt.Errorf("%w: window %v must be at least 1ms", ErrInvalidLimit, l.Window)
	case l.Burst < 0:
		return fmt.Errorf("%w: burst %d must be at least 1 (0 means the request limit)", ErrInvalidLimit, l.Burst)
	}
	return nil
}

// Capacity is the burst size: Burst when set, else Requests.
func (l Limit) Capacity() int64 {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Requests
}

// windowMicros is the window in whole microseconds.
func (l Limit) windowMicros() int64 { return l.Window.Microseconds() }

// Decision is the answer to one request for n units of a key's allowance.
//
// With Limit{Requests: 10, Window: time.Second} on a fresh fixed-window key,
// asking for 6 at 12:00:00.250 gives Allowed true, Remaining 4, RetryAfter 0
// and ResetAfter 750ms (the window ends at 12:00:01). Asking for 6 again at
// 12:00:00.500 gives Allowed false, Remaining 4, RetryAfter 500ms (the next
// window) and ResetAfter 500ms.
type Decision struct {
	// Allowed reports whether the request passed and was counted.
	Allowed bool
	// Remaining is how many more units would pass right now; never negative.
	Remaining int64
	// RetryAfter is how long a rejected caller must wait before the same
	// request can pass: 0 when Allowed, NeverRetry when the cost exceeds the
	// capacity, so that no wait can help.
	RetryAfter time.Duration
	// ResetAfter is how long until the key's state is back to its full,
	// idle allowance if nothing else is admitted; 0 when it already is.
	ResetAfter time.Duration
	// At is the instant the decision was made, by the clock the limiter
	// uses: Redis TIME, read inside the script, by default. Accuracy is
	// measured on these instants, not on when the answer reached the client.
	At time.Time
}

// NeverRetry is the RetryAfter of a request that costs more than the limit's capacity.
const NeverRetry time.Duration = -1

// Limiter decides whether requests for a key may pass. Implementations are
// safe for concurrent use by many goroutines.
type Limiter interface {
	// Name is the algorithm's registry name, such as "sliding".
	Name() string
	// AllowN asks for n units of key's allowance under limit at the
	// limiter's clock, and records them when they pass.
	AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error)
	Promise
}

// Promise is what an algorithm promises, apart from any Redis: what an
// HTTP API that claims to be a token bucket is held to, as much as the
// token bucket itself. Every Limiter is one; New(name, nil, Options{})
// gives an algorithm's without a Redis, since a limiter uses its client only
// to decide.
type Promise interface {
	// Bound is the most requests the algorithm promises to admit for one
	// key in any half-open span of the given length, when no request is
	// ever rejected for lack of capacity: the figure accuracy is held to.
	Bound(limit Limit, span time.Duration) int64
}

// Clock reads the current time. A nil Clock in Options means the Redis
// server's clock, read inside the script with TIME.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Options configure a Limiter. The zero value is usable: keys start with
// "rl" and time comes from the Redis server.
type Options struct {
	// Prefix starts every key; "" means "rl". Keys look like rl:{user}:fixed.
	Prefix string
	// Clock, when set, passes its time to the script instead of Redis TIME:
	// for simulations, tests and clock-skew experiments. The seed variants
	// always use a client clock, as the seed did (time.Now when nil).
	Clock Clock
	// ClockSkewAllowance is how far a client Clock may run behind or
	// ahead of the Redis server's: every TTL the scripts set is padded by
	// it. TTLs are counted from the client's stamp while Redis expires keys
	// on its own clock, so without the padding a request stamped a little
	// early finds its window's key gone. Zero means
	// DefaultClockSkewAllowance when Clock is set and none with the server
	// clock; a negative value is invalid (ErrInvalidOptions from New and
	// from every decision).
	ClockSkewAllowance time.Duration
}

// DefaultClockSkewAllowance is the TTL padding of a client clock when
// Options.ClockSkewAllowance is zero.
const DefaultClockSkewAllowance = time.Second

// Validate reports whether o can be used: ClockSkewAllowance not negative.
func (o Options) Validate() error {
	if o.ClockSkewAllowance < 0 {
		return fmt.Errorf("%w: clock skew allowance %v must be 0 or more", ErrInvalidOptions, o.ClockSkewAllowance)
	}
	return nil
}

// skewAllowance is the TTL padding in effect.
func (o Options) skewAllowance() time.Duration {
	if o.ClockSkewAllowance == 0 && o.Clock != nil {
		return DefaultClockSkewAllowance
	}
	return o.ClockSkewAllowance
}

func (o Options) prefix() string {
	if o.Prefix == "" {
		return "rl"
	}
	return o.Prefix
}

// checkRequest validates what every AllowN needs before any round trip.
func checkRequest(limit Limit, n int64) error {
	if err := limit.Validate(); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("%w: cost %d must be at least 1", ErrInvalidCost, n)
	}
	return nil
}

package algorithms

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The seed variants replay, command for command, the three middlewares of
// the FastAPI demo rlbench started from (docs/seed.md):
// one command per round trip, no MULTI, no Lua, the client's clock, keys
// "rate_limit:<user>...". They exist to be measured beside the atomic
// algorithms, races and quirks included; never use them to limit anything.

// seed is what the seed variants share: plain commands and a client clock.
type seed struct {
	name string
	rdb  redis.Cmdable
	opts Options
}

func (s seed) Name() string { return s.name }

func (s seed) now() time.Time {
	if s.opts.Clock == nil {
		return time.Now()
	}
	return s.opts.Clock.Now()
}

func (s seed) key(userKey string) string {
	prefix := s.opts.Prefix
	if prefix == "" {
		prefix = "rate_limit"
	}
	return prefix + ":" + userKey
}

// expireSeconds is the seed's whole-second EXPIRE argument: a window shorter
// than a second becomes one second, since EXPIRE 0 would delete the key.
func expireSeconds(d time.Duration) int64 {
	return max(1, int64(math.Ceil(d.Seconds())))
}

// expireDuration is d rounded up to whole seconds as the seed's EXPIRE
// argument, at most the longest whole number of seconds a Duration holds.
func expireDuration(d time.Duration) time.Duration {
	return time.Duration(min(expireSeconds(d), int64(math.MaxInt64/time.Second))) * time.Second
}

// pythonTime formats t as Python's str(time.time()) does: float seconds in
// their shortest round-trip form, so members collide as the seed's did.
func pythonTime(t time.Time) (float64, string) {
	secs := float64(t.UnixNano()) / 1e9
	return secs, strconv.FormatFloat(secs, 'f', -1, 64)
}

// SeedFixed is the seed's first middleware: INCR on
// rate_limit:<user>:<window index>, then EXPIRE in a second round trip when
// the count is new, rejecting when the count passes the limit. Rejected
// requests are counted too, and a crash between the two calls leaves a key
// without a TTL.
type SeedFixed struct{ seed }

// NewSeedFixed returns the seed's fixed window on rdb.
func NewSeedFixed(rdb redis.Cmdable, opts Options) *SeedFixed {
	return &SeedFixed{seed{name: "seed-fixed", rdb: rdb, opts: opts}}
}

// AllowN implements Limiter. RetryAfter and ResetAfter are the time to the
// window's end.
func (s *SeedFixed) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if err := checkRequest(limit, n); err != nil {
		return Decision{}, err
	}
	at := s.now()
	now := at.UnixMicro()
	window := limit.windowMicros()
	index := now / window
	toEnd := time.Duration((index+1)*window-now) * time.Microsecond
	k := s.key(key) + ":" + strconv.FormatInt(index, 10)
	count, err := s.rdb.IncrBy(ctx, k, n).Result()
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if count == n {
		if err := s.rdb.Expire(ctx, k, time.Duration(expireSeconds(limit.Window))*time.Second).Err(); err != nil {
			return Decision{}, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	d := Decision{Allowed: count <= limit.Requests, Remaining: max(0, limit.Requests-count), ResetAfter: toEnd, At: at}
	if !d.Allowed {
		d.RetryAfter = toEnd
		if n > limit.Requests {
			d.RetryAfter = NeverRetry
		}
	}
	return d, nil
}

// Bound is the fixed window's: 2×Requests across a boundary.
func (s *SeedFixed) Bound(limit Limit, span time.Duration) int64 { return fixedBound(limit, span) }

// SeedSliding is the seed's second middleware: ZREMRANGEBYSCORE, ZCARD,
// then ZADD of the float timestamp as both member and score, then EXPIRE
// Window+1s, each in its own round trip. Concurrent callers all read the
// same count and all get in, and equal timestamps share one member.
type SeedSliding struct{ seed }

// NewSeedSliding returns the seed's sliding-window log on rdb.
func NewSeedSliding(rdb redis.Cmdable, opts Options) *SeedSliding {
	return &SeedSliding{seed{name: "seed-sliding", rdb: rdb, opts: opts}}
}

// AllowN implements Limiter. The seed sent no Retry-After; RetryAfter and
// ResetAfter are the window, the most any entry can stay, since finding the
// oldest entry would take a round trip the seed never made.
func (s *SeedSliding) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if err := checkRequest(limit, n); err != nil {
		return Decision{}, err
	}
	k := s.key(key)
	at := s.now()
	secs, member := pythonTime(at)
	if err := s.rdb.ZRemRangeByScore(ctx, k, "0", strconv.FormatFloat(secs-limit.Window.Seconds(), 'f', -1, 64)).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	count, err := s.rdb.ZCard(ctx, k).Result()
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if count+n > limit.Requests {
		d := Decision{Remaining: max(0, limit.Requests-count), RetryAfter: limit.Window, ResetAfter: limit.Window, At: at}
		if n > limit.Requests {
			d.RetryAfter = NeverRetry
		}
		return d, nil
	}
	// n units of one timestamp are one member: the seed's undercount.
	if err := s.rdb.ZAdd(ctx, k, redis.Z{Score: secs, Member: member}).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := s.rdb.Expire(ctx, k, time.Duration(expireSeconds(limit.Window)+1)*time.Second).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return Decision{Allowed: true, Remaining: max(0, limit.Requests-count-n), ResetAfter: limit.Window, At: at}, nil
}

// Bound is what a sliding log promises: Requests per window.
func (s *SeedSliding) Bound(limit Limit, span time.Duration) int64 { return slidingBound(limit, span) }

// SeedLeaky is the seed's third middleware, its README's "leaky bucket":
// LTRIM to the capacity, LLEN, then LPUSH of the time and EXPIRE of
// capacity/leak-rate seconds. Nothing ever leaks: once Capacity requests are
// in, every request is rejected until the key expires after a quiet period.
type SeedLeaky struct{ seed }

// NewSeedLeaky returns the seed's list-based "leaky bucket" on rdb. Its
// stated leak rate is Limit.Requests per Window.
func NewSeedLeaky(rdb redis.Cmdable, opts Options) *SeedLeaky {
	return &SeedLeaky{seed{name: "seed-leaky", rdb: rdb, opts: opts}}
}

// AllowN implements Limiter. RetryAfter and ResetAfter are the expiry the
// seed set, the only way the list ever empties.
func (s *SeedLeaky) AllowN(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if err := checkRequest(limit, n); err != nil {
		return Decision{}, err
	}
	k := s.key(key)
	at := s.now()
	capacity := limit.Capacity()
	// capacity / (Requests per Window) seconds: 100 / (1/s) = 100 s in the seed.
	// The product is taken in 128 bits: 1e15 over a year overflows int64.
	quiet := time.Duration(mulDivSat(capacity, int64(limit.Window), limit.Requests))
	if err := s.rdb.LTrim(ctx, k, 0, capacity-1).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	length, err := s.rdb.LLen(ctx, k).Result()
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if length+n > capacity {
		d := Decision{Remaining: max(0, capacity-length), RetryAfter: quiet, ResetAfter: quiet, At: at}
		if n > capacity {
			d.RetryAfter = NeverRetry
		}
		return d, nil
	}
	_, stamp := pythonTime(at)
	values := make([]any, n)
	for i := range values {
		values[i] = stamp
	}
	if err := s.rdb.LPush(ctx, k, values...).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	if err := s.rdb.Expire(ctx, k, expireDuration(quiet)).Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return Decision{Allowed: true, Remaining: capacity - length - n, ResetAfter: quiet, At: at}, nil
}

// Bound is what a leaky bucket promises, C + ⌊r·D⌋; the seed's admits less.
func (s *SeedLeaky) Bound(limit Limit, span time.Duration) int64 { return bucketBound(limit, span) }

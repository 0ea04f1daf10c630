package algorithms

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// clockLua is the prelude every script starts with: the clock, TTLs and
// exact arithmetic.
//
//go:embed lua/clock.lua
var clockLua string

// newScript prepends the shared clock prelude to an algorithm's body.
func newScript(body string) *redis.Script {
	return redis.NewScript(clockLua + body)
}

// scripted is what the atomic algorithms share: one script, one round trip.
type scripted struct {
	name   string
	script *redis.Script
	rdb    redis.Scripter
	opts   Options
	// args are the algorithm's ARGV after ARGV[1], the time, for one
	// request: the one place AllowN and AllowBatch both take them from.
	args func(limit Limit, n int64) []any
}

// key names the state of userKey for this algorithm. The braces make the
// user key a Cluster hash tag, so every key of one decision shares a slot.
func (s scripted) key(userKey string) string {
	return s.opts.prefix() + ":{" + userKey + "}:" + s.name
}

// nowArg is ARGV[1]: the client clock in microseconds, or "" for Redis TIME.
func (s scripted) nowArg() string {
	if s.opts.Clock == nil {
		return ""
	}
	return strconv.FormatInt(s.opts.Clock.Now().UnixMicro(), 10)
}

// run validates, runs the script with EVALSHA (EVAL on NOSCRIPT) and
// type-checks its reply.
func (s scripted) run(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	keys, argv, err := s.call(key, limit, n)
	if err != nil {
		return Decision{}, err
	}
	return s.decision(s.script.Run(ctx, s.rdb, keys, argv...).Result())
}

// call validates a request and returns the KEYS and ARGV of its script.
func (s scripted) call(key string, limit Limit, n int64) ([]string, []any, error) {
	if err := s.opts.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkRequest(limit, n); err != nil {
		return nil, nil, err
	}
	// The last ARGV is the TTL padding in microseconds, read by clock.lua.
	argv := append(append([]any{s.nowArg()}, s.args(limit, n)...), s.opts.skewAllowance().Microseconds())
	return []string{s.key(key)}, argv, nil
}

// decision type-checks a script's reply, or names the algorithm in err.
func (s scripted) decision(reply any, err error) (Decision, error) {
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	d, err := parseDecision(reply)
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return d, nil
}

// parseDecision reads the {allowed, remaining, retry_after_us,
// reset_after_us, now_us} reply that every script returns.
func parseDecision(reply any) (Decision, error) {
	vals, ok := reply.([]any)
	if !ok || len(vals) != 5 {
		return Decision{}, fmt.Errorf("%w: want an array of 5 integers, got %T %v", ErrBadReply, reply, reply)
	}
	var ints [5]int64
	for i, v := range vals {
		n, ok := v.(int64)
		if !ok {
			return Decision{}, fmt.Errorf("%w: element %d is %T %v, want an integer", ErrBadReply, i, v, v)
		}
		ints[i] = n
	}
	if ints[0] != 0 && ints[0] != 1 {
		return Decision{}, fmt.Errorf("%w: allowed is %d, want 0 or 1", ErrBadReply, ints[0])
	}
	d := Decision{
		Allowed:    ints[0] == 1,
		Remaining:  ints[1],
		RetryAfter: time.Duration(ints[2]) * time.Microsecond,
		ResetAfter: time.Duration(ints[3]) * time.Microsecond,
		At:         time.UnixMicro(ints[4]),
	}
	if ints[2] < 0 {
		d.RetryAfter = NeverRetry
	}
	return d, nil
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0, without overflow.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// The bounds saturate: a promise past math.MaxInt64 requests is no promise
// at all, and a wrapped one (negative, or small) would switch the
// over-admission checks off or make them cry wolf.

// addSat is a+b for a, b ≥ 0, or math.MaxInt64 when that overflows.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// mulSat is a×b for a, b ≥ 0, or math.MaxInt64 when that overflows.
func mulSat(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// mulDivSat is ⌊a×b/c⌋ for a, b ≥ 0, c > 0, with a 128-bit product, or
// math.MaxInt64 when the quotient does not fit.
func mulDivSat(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

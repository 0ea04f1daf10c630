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
// Only package variables call it, so sources is written before any read.
func newScript(body string) *redis.Script {
	src := clockLua + body
	s := redis.NewScript(src)
	sources[s] = src
	return s
}

// sources is the text of every script newScript made, which an
// IntScripter sends on NOSCRIPT (go-redis's Script keeps its own private).
var sources = map[*redis.Script]string{}

// An IntScripter is a Scripter that can also run a script and read its
// reply without go-redis's commands: rlbench's rueidis driver
// (internal/redisconn) is one, so that a decision through it pays for one
// client, not two. A limiter on one decides through EvalInts.
type IntScripter interface {
	redis.Scripter
	// EvalInts runs the script src, whose SHA-1 is hash, with keys and
	// args as go-redis's Script.Run does: EVALSHA, then EVAL on NOSCRIPT.
	// When the reply is an array of len(ints) integers it fills ints and
	// returns ok. Any other reply comes back as go-redis's ReadReply
	// would give it, for the caller to reject; errors are go-redis's
	// (redis.Nil, a redis.Error for an error reply, redis.ErrClosed, a
	// context's or the network's error). keys must share one hash slot.
	EvalInts(ctx context.Context, hash, src string, keys, args []string, ints []int64) (ok bool, reply any, err error)
}

// scripted is what the atomic algorithms share: one script, one round trip.
type scripted struct {
	name   string
	script *redis.Script
	rdb    redis.Scripter
	// ints is rdb when it is an IntScripter and src, script's text, is
	// known.
	ints   IntScripter
	src    string
	opts   Options
	params params
	hot    *hot
}

// newScripted is the shared part of an atomic algorithm whose ARGV after
// the time are params.
func newScripted(name string, script *redis.Script, rdb redis.Scripter, opts Options, p params) scripted {
	s := scripted{name: name, script: script, src: sources[script], opts: opts, params: p, hot: new(hot)}
	return s.on(rdb)
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

// decide validates, runs the script with EVALSHA (EVAL on NOSCRIPT) and
// type-checks its reply.
func (s scripted) decide(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if s.ints != nil {
		return s.decideInts(ctx, key, limit, n)
	}
	keys, argv, err := s.call(key, limit, n)
	if err != nil {
		return Decision{}, err
	}
	return s.decision(s.script.Run(ctx, s.rdb, keys, argv...).Result())
}

// decideInts is decide through s.ints: the same checks of the request
// and of the reply, without go-redis's commands.
func (s scripted) decideInts(ctx context.Context, key string, limit Limit, n int64) (Decision, error) {
	if err := s.opts.Validate(); err != nil {
		return Decision{}, err
	}
	if err := checkRequest(limit, n); err != nil {
		return Decision{}, err
	}
	var ints [5]int64
	ok, reply, err := s.ints.EvalInts(ctx, s.script.Hash(), s.src, s.keysOf(key), s.argsOf(limit, n), ints[:])
	if err != nil || !ok {
		return s.decision(reply, err)
	}
	d, err := decisionOf(ints)
	if err != nil {
		return Decision{}, fmt.Errorf("%s: %w", s.name, err)
	}
	return d, nil
}

// call validates a request and returns the KEYS and ARGV of its script:
// the time, the algorithm's params and the TTL padding, from the
// limiter's caches (hot.go). Both are shared and must not be written to.
func (s scripted) call(key string, limit Limit, n int64) ([]string, []any, error) {
	if err := s.opts.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkRequest(limit, n); err != nil {
		return nil, nil, err
	}
	return s.keysOf(key), s.argvOf(limit, n), nil
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
	return decisionOf(ints)
}

// decisionOf is the decision of a reply's five integers.
func decisionOf(ints [5]int64) (Decision, error) {
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

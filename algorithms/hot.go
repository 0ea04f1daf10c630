package algorithms

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// A decision's only variable parts are its key and, with a client clock,
// the time: the ARGV of a limit and cost and the KEYS of a user key are the
// same strings every time. hot keeps them, formatted once, so that a
// decision builds no string and boxes no integer of its own (go-redis
// still allocates its command); BenchmarkDecision and TestDecisionAllocs
// hold rlbench to that.

// maxCachedKeys bounds the state keys a limiter keeps, about 100 bytes
// each: past it, the keys of more user keys are built for each decision.
const maxCachedKeys = 1 << 16

// maxCachedArgs bounds the (limit, cost) pairs a limiter keeps the ARGV
// of: one per tier is the most a run uses.
const maxCachedArgs = 64

// hot is what a limiter and its Rebind copies share: the KEYS of each user
// key and the ARGV of each limit and cost. It is safe for concurrent use.
type hot struct {
	mu   sync.RWMutex
	keys map[string][]string
	args atomic.Pointer[[]cachedArgs]
	// argsMu serialises the writers of args, which readers load lock-free.
	argsMu sync.Mutex
}

// cachedArgs is the ARGV of one limit and cost: the time ("" for Redis
// TIME), the algorithm's integers, the TTL padding; all strings, as
// go-redis takes them (argv) and as an IntScripter does (strs).
type cachedArgs struct {
	limit Limit
	n     int64
	argv  []any
	strs  []string
}

// params are an algorithm's integer ARGV after the time, for a limit and
// cost.
type params func(limit Limit, n int64) []int64

// keysOf is KEYS for userKey: one state key. The slice is shared and must
// not be written to.
func (s scripted) keysOf(userKey string) []string {
	h := s.hot
	h.mu.RLock()
	keys, ok := h.keys[userKey]
	h.mu.RUnlock()
	if ok {
		return keys
	}
	keys = []string{s.key(userKey)}
	h.mu.Lock()
	if len(h.keys) < maxCachedKeys {
		if h.keys == nil {
			h.keys = make(map[string][]string)
		}
		h.keys[userKey] = keys
	}
	h.mu.Unlock()
	return keys
}

// argvOf is ARGV for limit and cost n. With the time Redis's the slice is
// shared and must not be written to; with a client clock it is a copy
// with the time in front.
func (s scripted) argvOf(limit Limit, n int64) []any {
	argv := s.cachedArgv(limit, n)
	if s.opts.Clock == nil {
		return argv
	}
	own := make([]any, len(argv))
	copy(own, argv)
	own[0] = s.nowArg()
	return own
}

// argsOf is argvOf as strings, for an IntScripter: shared and not to be
// written to with the time Redis's, a copy with a client clock.
func (s scripted) argsOf(limit Limit, n int64) []string {
	strs := s.cachedArgs(limit, n).strs
	if s.opts.Clock == nil {
		return strs
	}
	own := make([]string, len(strs))
	copy(own, strs)
	own[0] = s.nowArg()
	return own
}

// cachedArgv is the ARGV of limit and n with the server clock, formatted
// on first use.
func (s scripted) cachedArgv(limit Limit, n int64) []any {
	return s.cachedArgs(limit, n).argv
}

// cachedArgs is the cache entry of limit and n, made on first use.
func (s scripted) cachedArgs(limit Limit, n int64) *cachedArgs {
	h := s.hot
	if p := h.args.Load(); p != nil {
		for i := range *p {
			if e := &(*p)[i]; e.limit == limit && e.n == n {
				return e
			}
		}
	}
	ints := s.params(limit, n)
	strs := make([]string, 0, len(ints)+2)
	strs = append(strs, "")
	for _, v := range ints {
		strs = append(strs, strconv.FormatInt(v, 10))
	}
	strs = append(strs, strconv.FormatInt(s.opts.skewAllowance().Microseconds(), 10))
	argv := make([]any, len(strs))
	for i, v := range strs {
		argv[i] = v
	}
	e := &cachedArgs{limit, n, argv, strs}
	h.argsMu.Lock()
	defer h.argsMu.Unlock()
	var old []cachedArgs
	if p := h.args.Load(); p != nil {
		old = *p
	}
	if len(old) < maxCachedArgs {
		grown := append(append(make([]cachedArgs, 0, len(old)+1), old...), *e)
		h.args.Store(&grown)
	}
	return e
}

// Rebinder is implemented by the atomic limiters. Rebind is the same
// limiter deciding through rdb instead, such as one connection of its
// own: same options, same caches, same answers. A load generator gives
// each worker one, so that no decision waits on a shared pool.
type Rebinder interface {
	Limiter
	Rebind(rdb redis.Scripter) Limiter
}

// on is s deciding through rdb, its caches shared.
func (s scripted) on(rdb redis.Scripter) scripted {
	s.rdb = rdb
	s.ints = nil
	if ints, ok := rdb.(IntScripter); ok && s.src != "" {
		s.ints = ints
	}
	return s
}

// Rebind implements Rebinder.
func (f *FixedWindow) Rebind(rdb redis.Scripter) Limiter { return &FixedWindow{f.on(rdb)} }

// Rebind implements Rebinder.
func (s *SlidingCounter) Rebind(rdb redis.Scripter) Limiter { return &SlidingCounter{s.on(rdb)} }

// Rebind implements Rebinder.
func (t *TokenBucket) Rebind(rdb redis.Scripter) Limiter { return &TokenBucket{t.on(rdb)} }

// Rebind implements Rebinder.
func (l *LeakyBucket) Rebind(rdb redis.Scripter) Limiter { return &LeakyBucket{l.on(rdb)} }

// Rebind implements Rebinder.
func (g *GCRA) Rebind(rdb redis.Scripter) Limiter { return &GCRA{g.on(rdb)} }

// Rebind implements Rebinder.
func (s *SlidingLog) Rebind(rdb redis.Scripter) Limiter { return &SlidingLog{s.on(rdb)} }

// windowParams are the ARGV of fixed, sliding and sliding-counter: the
// limit, the window in µs, the cost.
func windowParams(l Limit, n int64) []int64 { return []int64{l.Requests, l.windowMicros(), n} }

// capacityParams are the ARGV of token, leaky and gcra: the limit, the
// window in µs, the capacity, the cost.
func capacityParams(l Limit, n int64) []int64 {
	return []int64{l.Requests, l.windowMicros(), l.Capacity(), n}
}

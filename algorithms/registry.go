package algorithms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// All is the name that stands for every atomic algorithm in ParseNames.
const All = "all"

// BaselineName is the PING pseudo-algorithm: a round trip and nothing else.
const BaselineName = "baseline"

// kind sorts the registry: what "all" means, and what is only for comparison.
type kind int

const (
	atomicKind   kind = iota // a correct, one-round-trip algorithm
	seedKind                 // a seed-faithful variant
	baselineKind             // the PING baseline
)

// constructor builds one algorithm. Atomic algorithms need only scripts;
// the seed variants send plain commands, as the seed did.
type constructor func(rdb redis.Cmdable, opts Options) Limiter

// Info is what the registry knows of an algorithm besides its code.
type Info struct {
	// Name is its registry name, such as "token".
	Name string
	// Title is its name in tables, such as "Token Bucket".
	Title string
	// Cost is what one decision costs Redis, such as "O(1) Redis ops".
	Cost string
	// UsesBurst reports whether Limit.Burst sets its capacity; the others
	// admit Limit.Requests per window whatever the burst.
	UsesBurst bool
}

// registry is every algorithm: its facts, what "all" means, its script
// (for Preload; nil without one) and its constructor. Adding an algorithm
// is one line here, its file and its script.
var registry = []struct {
	Info
	kind   kind
	script *redis.Script
	build  constructor
	// lifetime is LongestTTL's; nil for an algorithm that writes no keys.
	lifetime func(Limit, Options) time.Duration
}{
	{Info{"fixed", "Fixed Window", "O(1) Redis ops", false}, atomicKind, fixedScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewFixedWindow(rdb, o) }, windowLife},
	{Info{"sliding", "Sliding Window", "O(log n) Redis ops", false}, atomicKind, slidingScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingLog(rdb, o) }, slidingLife},
	{Info{"sliding-counter", "Sliding Counter", "O(1) Redis ops", false}, atomicKind, slidingCounterScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingCounter(rdb, o) }, twoWindowLife},
	{Info{"token", "Token Bucket", "O(1) Redis ops", true}, atomicKind, tokenScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewTokenBucket(rdb, o) }, refillLife},
	{Info{"leaky", "Leaky Bucket", "O(1) Redis ops", true}, atomicKind, leakyScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewLeakyBucket(rdb, o) }, refillLife},
	{Info{"gcra", "GCRA", "O(1) Redis ops", true}, atomicKind, gcraScript,
		func(rdb redis.Cmdable, o Options) Limiter { return NewGCRA(rdb, o) }, gcraLife},
	{Info{"seed-fixed", "Seed Fixed Window", "INCR + EXPIRE, 2 calls", false}, seedKind, nil,
		func(rdb redis.Cmdable, o Options) Limiter { return NewSeedFixed(rdb, o) }, seedFixedLife},
	{Info{"seed-sliding", "Seed Sliding Window", "4 calls, not atomic", false}, seedKind, nil,
		func(rdb redis.Cmdable, o Options) Limiter { return NewSeedSliding(rdb, o) }, seedSlidingLife},
	{Info{"seed-leaky", "Seed Leaky Bucket", "4 calls, not atomic", true}, seedKind, nil,
		func(rdb redis.Cmdable, o Options) Limiter { return NewSeedLeaky(rdb, o) }, seedLeakyLife},
	{Info{BaselineName, "Baseline (PING)", "1 round trip", false}, baselineKind, nil,
		func(rdb redis.Cmdable, o Options) Limiter { return NewBaseline(rdb, o) }, nil},
}

// Lookup is the registered algorithm's Info.
func Lookup(name string) (Info, error) {
	for _, r := range registry {
		if r.Name == name {
			return r.Info, nil
		}
	}
	return Info{}, unknown(name)
}

// BurstNames lists the algorithms whose capacity Limit.Burst sets.
func BurstNames() []string {
	var names []string
	for _, r := range registry {
		if r.UsesBurst {
			names = append(names, r.Name)
		}
	}
	return names
}

// Preload loads every script into Redis (SCRIPT LOAD), so that no timed
// decision pays for sending one; a Redis Cluster client sends it to every
// master. A limiter that finds its script missing (NOSCRIPT, after a
// restart or a failover) still sends it once by itself.
func Preload(ctx context.Context, rdb redis.Scripter) error {
	for _, r := range registry {
		if r.script == nil {
			continue
		}
		if err := r.script.Load(ctx, rdb).Err(); err != nil {
			return fmt.Errorf("loading the %s script: %w", r.Name, err)
		}
	}
	return nil
}

// Names lists the atomic algorithms in their canonical order: what "all" means.
func Names() []string { return namesWhere(atomicKind) }

// SeedNames lists the seed-faithful, non-atomic variants.
func SeedNames() []string { return namesWhere(seedKind) }

func namesWhere(k kind) []string {
	var names []string
	for _, r := range registry {
		if r.kind == k {
			names = append(names, r.Name)
		}
	}
	return names
}

// New builds the algorithm registered under name.
func New(name string, rdb redis.Cmdable, opts Options) (Limiter, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for _, r := range registry {
		if r.Name == name {
			return r.build(rdb, opts), nil
		}
	}
	return nil, unknown(name)
}

// ParseNames turns a comma-separated list such as "all,seed-fixed" into
// registry names, in the order given, without duplicates.
func ParseNames(list string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == All:
			for _, n := range Names() {
				add(n)
			}
		case known(part):
			add(part)
		default:
			return nil, unknown(part)
		}
	}
	return names, nil
}

func known(name string) bool {
	for _, r := range registry {
		if r.Name == name {
			return true
		}
	}
	return false
}

func unknown(name string) error {
	valid := append(append(append([]string{All}, Names()...), SeedNames()...), BaselineName)
	return fmt.Errorf("%w %q: valid names are %s", ErrUnknownAlgorithm, name, strings.Join(valid, ", "))
}

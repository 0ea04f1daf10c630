package algorithms

import (
	"fmt"
	"strings"

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

var registry = []struct {
	name  string
	kind  kind
	build constructor
}{
	{"fixed", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewFixedWindow(rdb, o) }},
	{"sliding", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingLog(rdb, o) }},
	{"sliding-counter", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingCounter(rdb, o) }},
	{"token", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewTokenBucket(rdb, o) }},
	{"leaky", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewLeakyBucket(rdb, o) }},
	{"gcra", atomicKind, func(rdb redis.Cmdable, o Options) Limiter { return NewGCRA(rdb, o) }},
	{"seed-fixed", seedKind, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedFixed(rdb, o) }},
	{"seed-sliding", seedKind, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedSliding(rdb, o) }},
	{"seed-leaky", seedKind, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedLeaky(rdb, o) }},
	{BaselineName, baselineKind, func(rdb redis.Cmdable, o Options) Limiter { return NewBaseline(rdb, o) }},
}

// Names lists the atomic algorithms in their canonical order: what "all" means.
func Names() []string { return namesWhere(atomicKind) }

// SeedNames lists the seed-faithful, non-atomic variants.
func SeedNames() []string { return namesWhere(seedKind) }

func namesWhere(k kind) []string {
	var names []string
	for _, r := range registry {
		if r.kind == k {
			names = append(names, r.name)
		}
	}
	return names
}

// IsSeed reports whether name is one of the seed-faithful variants.
func IsSeed(name string) bool {
	for _, r := range registry {
		if r.name == name {
			return r.kind == seedKind
		}
	}
	return false
}

// New builds the algorithm registered under name.
func New(name string, rdb redis.Cmdable, opts Options) (Limiter, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for _, r := range registry {
		if r.name == name {
			return r.build(rdb, opts), nil
		}
	}
	return nil, unknown(name)
}

// PromiseOf is the promise of the algorithm registered under name: its
// bound, and its per-aligned-window limit when it has one (WindowAligned).
func PromiseOf(name string) (Promise, error) {
	for _, r := range registry {
		if r.name == name {
			// A limiter with no client is never asked to decide.
			return r.build(nil, Options{}), nil
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
		if r.name == name {
			return true
		}
	}
	return false
}

func unknown(name string) error {
	valid := append(append(append([]string{All}, Names()...), SeedNames()...), BaselineName)
	return fmt.Errorf("%w %q: valid names are %s", ErrUnknownAlgorithm, name, strings.Join(valid, ", "))
}

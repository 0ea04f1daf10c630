package algorithms

import (
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// All is the name that stands for every non-seed algorithm in ParseNames.
const All = "all"

// constructor builds one algorithm. Atomic algorithms need only scripts;
// the seed variants send plain commands, as the seed did.
type constructor func(rdb redis.Cmdable, opts Options) Limiter

var registry = []struct {
	name  string
	seed  bool
	build constructor
}{
	{"fixed", false, func(rdb redis.Cmdable, o Options) Limiter { return NewFixedWindow(rdb, o) }},
	{"sliding", false, func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingLog(rdb, o) }},
	{"sliding-counter", false, func(rdb redis.Cmdable, o Options) Limiter { return NewSlidingCounter(rdb, o) }},
	{"token", false, func(rdb redis.Cmdable, o Options) Limiter { return NewTokenBucket(rdb, o) }},
	{"leaky", false, func(rdb redis.Cmdable, o Options) Limiter { return NewLeakyBucket(rdb, o) }},
	{"gcra", false, func(rdb redis.Cmdable, o Options) Limiter { return NewGCRA(rdb, o) }},
	{"seed-fixed", true, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedFixed(rdb, o) }},
	{"seed-sliding", true, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedSliding(rdb, o) }},
	{"seed-leaky", true, func(rdb redis.Cmdable, o Options) Limiter { return NewSeedLeaky(rdb, o) }},
}

// Names lists the atomic algorithms in their canonical order: what "all" means.
func Names() []string { return namesWhere(false) }

// SeedNames lists the seed-faithful, non-atomic variants.
func SeedNames() []string { return namesWhere(true) }

func namesWhere(seed bool) []string {
	var names []string
	for _, r := range registry {
		if r.seed == seed {
			names = append(names, r.name)
		}
	}
	return names
}

// IsSeed reports whether name is one of the seed-faithful variants.
func IsSeed(name string) bool {
	for _, r := range registry {
		if r.name == name {
			return r.seed
		}
	}
	return false
}

// New builds the algorithm registered under name.
func New(name string, rdb redis.Cmdable, opts Options) (Limiter, error) {
	for _, r := range registry {
		if r.name == name {
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
		if r.name == name {
			return true
		}
	}
	return false
}

func unknown(name string) error {
	valid := append(append([]string{All}, Names()...), SeedNames()...)
	return fmt.Errorf("%w %q: valid names are %s", ErrUnknownAlgorithm, name, strings.Join(valid, ", "))
}

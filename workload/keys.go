package workload

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// MaxZipfKeys is the most keys NewZipfKeys accepts: its table takes 8 bytes
// a key, 80 MB at the most.
const MaxZipfKeys = 10_000_000

// Keys chooses the user key (and its tier) of each request.
type Keys interface {
	// Key returns the key index (0..N-1) for request number hit;
	// deterministic for a seed, safe for concurrent use.
	Key(hit uint64) int
	// N is the number of keys.
	N() int
}

// NewUniformKeys returns a chooser that picks each of n keys with
// probability 1/n, from a hash of (seed, hit).
//
// With 1000 keys every key gets close to 0.1 % of the requests, so a limit
// of 100 a minute per key lets through up to 100,000 a minute in all.
func NewUniformKeys(n int, seed uint64) (Keys, error) {
	if n < 1 {
		return nil, invalid(ErrInvalidKeys, "keys", n, "must be at least 1")
	}
	return uniformKeys{n: uint64(n), seed: mix64(seed)}, nil
}

type uniformKeys struct{ n, seed uint64 }

func (k uniformKeys) Key(hit uint64) int {
	// Lemire's multiply-shift maps 64 random bits onto [0, n) with a bias
	// below n/2⁶⁴, far under any sampling error.
	i, _ := bits.Mul64(hitBits(k.seed, hit), k.n)
	return int(i)
}

func (k uniformKeys) N() int { return int(k.n) }

// String is like "uniform over 1000 keys".
func (k uniformKeys) String() string { return fmt.Sprintf("uniform over %d keys", k.n) }

// NewZipfKeys returns a chooser that picks key k of n with probability
// proportional to 1/(k+1)^s, so key 0 is the hottest: a few heavy users
// and a long tail, as in real traffic.
//
// With n = 1000 and s = 1.1, key 0 gets 17.9 % of the requests, key 1
// 8.4 %, and the last 500 keys 6.4 % between them. Any s > 0 works, since
// the population is finite: s = 0.99 is YCSB's default. The table of n
// cumulative probabilities is built once (8 bytes a key) and each choice is
// a binary search in it.
func NewZipfKeys(n int, s float64, seed uint64) (Keys, error) {
	switch {
	case n < 1 || n > MaxZipfKeys:
		return nil, invalid(ErrInvalidKeys, "keys", n, "must be between 1 and %d with a zipf key distribution", MaxZipfKeys)
	case !(s > 0) || math.IsInf(s, 1):
		return nil, invalid(ErrInvalidKeys, "zipf-s", s, "must be a positive exponent, such as 1.1")
	}
	cdf := make([]float64, n)
	sum := 0.0
	for k := range cdf {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	cdf[n-1] = 1 // so that every uniform in [0, 1) finds a key
	return &zipfKeys{cdf: cdf, s: s, seed: mix64(seed)}, nil
}

type zipfKeys struct {
	cdf  []float64 // cdf[k] is the probability of a key ≤ k
	s    float64
	seed uint64
}

// Key is the first key whose cumulative probability exceeds a uniform u in
// [0, 1).
func (k *zipfKeys) Key(hit uint64) int {
	u := float64(hitBits(k.seed, hit)>>11) / (1 << 53)
	lo, hi := 0, len(k.cdf)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if k.cdf[mid] > u {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

func (k *zipfKeys) N() int { return len(k.cdf) }

// String is like "zipf s=1.1 over 1000 keys".
func (k *zipfKeys) String() string {
	return fmt.Sprintf("zipf s=%v over %d keys", k.s, len(k.cdf))
}

// hitBits is the random bits of request hit: output hit+1 of a SplitMix64
// generator from the mixed seed. Being a function of the counter alone, it
// needs no shared state, so any goroutine gets the same key for a hit.
func hitBits(mixedSeed, hit uint64) uint64 {
	return mix64(mixedSeed + (hit+1)*0x9e3779b97f4a7c15)
}

// mix64 is SplitMix64's finaliser (Steele, Lea and Flood, 2014).
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// tierForm is the accepted form of --tier, for error messages.
const tierForm = "want NAME=REQUESTS/WINDOW:SHARE, such as free=100/10m:0.9"

// Tier is a named share of the key population with its own limit.
//
// Tier{Name: "free", Limit: algorithms.Limit{Requests: 100, Window: 10 *
// time.Minute}, Share: 0.9} gives 90 % of the users 100 requests every 10
// minutes each: with --keys 1000, keys 0-899.
type Tier struct {
	// Name labels the tier in reports: letters, digits, '-', '_' and '.'.
	Name string
	// Limit is what each key of the tier is allowed.
	Limit algorithms.Limit
	// Share is the fraction of the keys in the tier, in (0, 1].
	Share float64
}

// ParseTier parses a --tier flag value: NAME=REQUESTS/WINDOW:SHARE, such as
// "free=100/10m:0.9" or "premium=500/600s:0.1", where WINDOW is a Go
// duration. The Limit's Burst is left 0, which means Requests.
func ParseTier(s string) (Tier, error) {
	bad := func(why string) (Tier, error) {
		return Tier{}, invalid(ErrInvalidKeys, "tier", strconv.Quote(s), "%s; %s", why, tierForm)
	}
	name, rest, ok := strings.Cut(s, "=")
	if !ok {
		return bad("no '='")
	}
	limit, share, ok := cutLast(rest, ":")
	if !ok {
		return bad("no ':' before the share")
	}
	requests, window, ok := strings.Cut(limit, "/")
	if !ok {
		return bad("no '/' between requests and window")
	}
	t := Tier{Name: name}
	var err error
	if t.Limit.Requests, err = strconv.ParseInt(requests, 10, 64); err != nil {
		return bad(fmt.Sprintf("requests %q is not a whole number", requests))
	}
	if t.Limit.Window, err = time.ParseDuration(window); err != nil {
		return bad(fmt.Sprintf("window %q is not a duration like 10m or 600s", window))
	}
	if t.Share, err = strconv.ParseFloat(share, 64); err != nil {
		return bad(fmt.Sprintf("share %q is not a number", share))
	}
	if err := t.check(); err != nil {
		return Tier{}, invalid(ErrInvalidKeys, "tier", strconv.Quote(s), "%v", err)
	}
	return t, nil
}

// String is the tier in the form ParseTier reads, such as "free=100/10m0s:0.9".
func (t Tier) String() string {
	return fmt.Sprintf("%s=%d/%v:%s", t.Name, t.Limit.Requests, t.Limit.Window, strconv.FormatFloat(t.Share, 'f', -1, 64))
}

// check reports the first field of t that cannot be used.
func (t Tier) check() error {
	if t.Name == "" {
		return errors.New("the name is empty")
	}
	for _, r := range t.Name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("name %q may hold only letters, digits, '-', '_' and '.'", t.Name)
		}
	}
	if err := t.Limit.Validate(); err != nil {
		return err
	}
	if !(t.Share > 0 && t.Share <= 1) {
		return fmt.Errorf("share %v must be in (0, 1]", t.Share)
	}
	return nil
}

// AssignTiers assigns key index k of n keys to a tier: the first
// round(share₀·n) keys to tier 0, the keys up to round((share₀+share₁)·n)
// to tier 1, and so on, the last tier taking the rest. Rounding the running
// total, not each share, keeps the counts within one of share·n and summing
// to n. The shares must sum to 1 within 1e-9, the names be distinct, and
// every tier get at least one key. The returned function gives -1 for a key
// outside [0, n).
//
// For free:0.9 and premium:0.1 over 1000 keys, keys 0-899 are free and
// 900-999 premium; over 5 keys premium would get none, which is an error.
func AssignTiers(tiers []Tier, n int) (func(key int) int, error) {
	if len(tiers) == 0 {
		return nil, invalid(ErrInvalidKeys, "tier", "", "none given; %s", tierForm)
	}
	if n < 1 {
		return nil, invalid(ErrInvalidKeys, "keys", n, "must be at least 1")
	}
	total := 0.0
	terms := make([]string, len(tiers))
	for i, t := range tiers {
		if err := t.check(); err != nil {
			return nil, invalid(ErrInvalidKeys, "tier", strconv.Quote(t.String()), "%v", err)
		}
		for _, u := range tiers[:i] {
			if u.Name == t.Name {
				return nil, invalid(ErrInvalidKeys, "tier", strconv.Quote(t.String()), "the name %q is given twice", t.Name)
			}
		}
		total += t.Share
		terms[i] = fmt.Sprintf("%s %v", t.Name, t.Share)
	}
	if math.Abs(total-1) > 1e-9 {
		return nil, invalid(ErrInvalidKeys, "tier", "shares", "%s = %v, want a total of 1", strings.Join(terms, " + "), total)
	}
	ends := make([]int, len(tiers)) // tier i holds keys [ends[i-1], ends[i])
	cum, prev := 0.0, 0
	for i, t := range tiers {
		cum += t.Share
		end := min(n, int(math.Round(cum*float64(n))))
		if i == len(tiers)-1 {
			end = n
		}
		if end <= prev {
			return nil, invalid(ErrInvalidKeys, "tier", strconv.Quote(t.String()), "gets none of the %d keys; raise the number of keys or its share", n)
		}
		ends[i], prev = end, end
	}
	return func(key int) int {
		if key < 0 || key >= n {
			return -1
		}
		return sort.SearchInts(ends, key+1) // the first tier ending after key
	}, nil
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

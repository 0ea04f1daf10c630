package workload_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/workload"
)

// counts tallies the keys of hits [0, hits).
func counts(k workload.Keys, hits uint64) []int {
	c := make([]int, k.N())
	for h := range hits {
		c[k.Key(h)]++
	}
	return c
}

func TestUniformKeys(t *testing.T) {
	tests := []struct {
		name string
		n    int
		seed uint64
	}{
		{"one key", 1, 0},
		{"a hundred keys", 100, 1},
		{"a thousand keys, another seed", 1000, 0xdeadbeef},
		{"a prime number of keys", 997, 12345},
	}
	const hits = 200_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := must(workload.NewUniformKeys(tt.n, tt.seed))
			if k.N() != tt.n {
				t.Fatalf("N = %d, want %d", k.N(), tt.n)
			}
			c := counts(k, hits)
			// Chi-square with n-1 degrees of freedom has mean n-1 and
			// standard deviation √(2(n-1)): 8 of them is far beyond chance.
			expected := float64(hits) / float64(tt.n)
			chi2 := 0.0
			for key, got := range c {
				if got == 0 {
					t.Fatalf("key %d never chosen in %d hits", key, hits)
				}
				d := float64(got) - expected
				chi2 += d * d / expected
			}
			df := float64(tt.n - 1)
			if limit := df + 8*math.Sqrt(2*df); chi2 > limit {
				t.Errorf("chi-square %.1f over %d keys, want at most %.1f", chi2, tt.n, limit)
			}
		})
	}
}

func TestZipfKeys(t *testing.T) {
	tests := []struct {
		name string
		n    int
		s    float64
		seed uint64
	}{
		{"1000 keys, s 1.1", 1000, 1.1, 1},
		{"100 keys, s 2", 100, 2, 2},
		{"10000 keys, s 1.01", 10_000, 1.01, 3},
		{"YCSB's 0.99", 1000, 0.99, 4},
		{"two keys", 2, 1.5, 5},
	}
	const hits = 200_000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := must(workload.NewZipfKeys(tt.n, tt.s, tt.seed))
			if k.N() != tt.n {
				t.Fatalf("N = %d, want %d", k.N(), tt.n)
			}
			harmonic := 0.0
			for i := tt.n; i >= 1; i-- {
				harmonic += math.Pow(float64(i), -tt.s)
			}
			c := counts(k, hits)
			for key := range 2 {
				want := math.Pow(float64(key+1), -tt.s) / harmonic
				got := float64(c[key]) / hits
				if math.Abs(got-want) > 0.02*want {
					t.Errorf("key %d chosen %.4f of the time, want %.4f ± 2%%", key, got, want)
				}
			}
			if c[0] < c[tt.n-1] {
				t.Errorf("key 0 chosen %d times, fewer than the last key's %d", c[0], c[tt.n-1])
			}
		})
	}
}

func TestKeysAreDeterministic(t *testing.T) {
	const hits = 20_000
	choosers := map[string]func(seed uint64) workload.Keys{
		"uniform": func(seed uint64) workload.Keys { return must(workload.NewUniformKeys(500, seed)) },
		"zipf":    func(seed uint64) workload.Keys { return must(workload.NewZipfKeys(500, 1.2, seed)) },
	}
	for name, newKeys := range choosers {
		t.Run(name, func(t *testing.T) {
			want := make([]int, hits)
			first := newKeys(9)
			for h := range want {
				want[h] = first.Key(uint64(h))
			}
			again := newKeys(9)
			other := newKeys(10)
			differ := 0
			for h := hits - 1; h >= 0; h-- { // another order, another instance
				if got := again.Key(uint64(h)); got != want[h] {
					t.Fatalf("second instance: Key(%d) = %d, want %d", h, got, want[h])
				}
				if other.Key(uint64(h)) != want[h] {
					differ++
				}
			}
			if differ < hits/2 {
				t.Errorf("seeds 9 and 10 choose different keys for only %d of %d hits", differ, hits)
			}
			// Workers on many goroutines share one chooser.
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for h := w; h < hits; h += 8 {
						if got := first.Key(uint64(h)); got != want[h] {
							t.Errorf("goroutine %d: Key(%d) = %d, want %d", w, h, got, want[h])
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestKeysInvalidArguments(t *testing.T) {
	tests := []struct {
		name string
		new  func() (workload.Keys, error)
		want string
	}{
		{"uniform no keys", func() (workload.Keys, error) { return workload.NewUniformKeys(0, 1) },
			"invalid keys 0: must be at least 1"},
		{"zipf no keys", func() (workload.Keys, error) { return workload.NewZipfKeys(0, 1.1, 1) },
			"invalid keys 0: must be between 1 and 10000000 with a zipf key distribution"},
		{"zipf too many keys", func() (workload.Keys, error) { return workload.NewZipfKeys(workload.MaxZipfKeys+1, 1.1, 1) },
			"invalid keys 10000001: must be between 1 and 10000000"},
		{"zipf s 0", func() (workload.Keys, error) { return workload.NewZipfKeys(10, 0, 1) },
			"invalid zipf-s 0: must be a positive exponent, such as 1.1"},
		{"zipf negative s", func() (workload.Keys, error) { return workload.NewZipfKeys(10, -1, 1) },
			"invalid zipf-s -1: must be a positive exponent"},
		{"zipf NaN s", func() (workload.Keys, error) { return workload.NewZipfKeys(10, math.NaN(), 1) },
			"invalid zipf-s NaN: must be a positive exponent"},
		{"zipf infinite s", func() (workload.Keys, error) { return workload.NewZipfKeys(10, math.Inf(1), 1) },
			"invalid zipf-s +Inf: must be a positive exponent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := tt.new()
			if !errors.Is(err, workload.ErrInvalidKeys) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidKeys", err)
			}
			if err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to start %q", err, tt.want)
			}
			if k != nil {
				t.Errorf("keys = %v, want nil with an error", k)
			}
		})
	}
}

func TestParseTier(t *testing.T) {
	limit := func(requests int64, window time.Duration) algorithms.Limit {
		return algorithms.Limit{Requests: requests, Window: window}
	}
	good := []struct {
		in   string
		want workload.Tier
	}{
		{"free=100/10m:0.9", workload.Tier{Name: "free", Limit: limit(100, 10*time.Minute), Share: 0.9}},
		{"premium=500/600s:0.1", workload.Tier{Name: "premium", Limit: limit(500, 10*time.Minute), Share: 0.1}},
		{"all=1/1s:1", workload.Tier{Name: "all", Limit: limit(1, time.Second), Share: 1}},
		{"api-v2_gold.eu=20/1h30m:0.005", workload.Tier{Name: "api-v2_gold.eu", Limit: limit(20, 90*time.Minute), Share: 0.005}},
		{"ms=3/1ms:.5", workload.Tier{Name: "ms", Limit: limit(3, time.Millisecond), Share: 0.5}},
	}
	for _, tt := range good {
		t.Run(tt.in, func(t *testing.T) {
			got, err := workload.ParseTier(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseTier = %+v, want %+v", got, tt.want)
			}
			if again, err := workload.ParseTier(got.String()); err != nil || again != got {
				t.Errorf("ParseTier(%q) = %+v, %v; want %+v", got.String(), again, err, got)
			}
		})
	}

	const form = "; want NAME=REQUESTS/WINDOW:SHARE, such as free=100/10m:0.9"
	bad := []struct {
		name, in, want string
	}{
		{"empty", "", `invalid tier "": no '='` + form},
		{"no window", "free=100:0.9", `invalid tier "free=100:0.9": no '/' between requests and window` + form},
		{"no share", "free=100/10m", `invalid tier "free=100/10m": no ':' before the share` + form},
		{"no name", "=100/10m:0.9", `invalid tier "=100/10m:0.9": the name is empty`},
		{"name with a space", "free tier=100/10m:0.9", `invalid tier "free tier=100/10m:0.9": name "free tier" may hold only letters, digits, '-', '_' and '.'`},
		{"name with a colon", "a:b=100/10m:0.9", `name "a:b" may hold only`},
		{"requests not a number", "free=lots/10m:0.9", `invalid tier "free=lots/10m:0.9": requests "lots" is not a whole number` + form},
		{"fractional requests", "free=1.5/10m:0.9", `requests "1.5" is not a whole number`},
		{"zero requests", "free=0/10m:0.9", `invalid tier "free=0/10m:0.9": invalid limit: requests 0 must be at least 1`},
		{"window without a unit", "free=100/10:0.9", `invalid tier "free=100/10:0.9": window "10" is not a duration like 10m or 600s` + form},
		{"window below a millisecond", "free=100/10us:0.9", `invalid limit: window 10µs must be at least 1ms`},
		{"negative window", "free=100/-1s:0.9", `invalid limit: window -1s must be at least 1ms`},
		{"share not a number", "free=100/10m:most", `share "most" is not a number`},
		{"share as a percentage", "free=100/10m:90%", `share "90%" is not a number`},
		{"zero share", "free=100/10m:0", `invalid tier "free=100/10m:0": share 0 must be in (0, 1]`},
		{"share above 1", "free=100/10m:1.5", `share 1.5 must be in (0, 1]`},
		{"NaN share", "free=100/10m:NaN", `share NaN must be in (0, 1]`},
		{"burst syntax", "free=100/10m+20:0.9", `window "10m+20" is not a duration`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := workload.ParseTier(tt.in)
			if !errors.Is(err, workload.ErrInvalidKeys) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidKeys", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// tier is a tier of 10 a second with the given share of the keys.
func tier(name string, share float64) workload.Tier {
	return workload.Tier{Name: name, Limit: algorithms.Limit{Requests: 10, Window: time.Second}, Share: share}
}

func TestAssignTiers(t *testing.T) {
	tests := []struct {
		name  string
		tiers []workload.Tier
		n     int
		want  []int // keys per tier, in order
	}{
		{"one tier", []workload.Tier{tier("all", 1)}, 7, []int{7}},
		{"free and premium", []workload.Tier{tier("free", 0.9), tier("premium", 0.1)}, 1000, []int{900, 100}},
		{"rounding half up", []workload.Tier{tier("a", 0.5), tier("b", 0.5)}, 3, []int{2, 1}},
		{"thirds", []workload.Tier{tier("a", 1.0/3), tier("b", 1.0/3), tier("c", 1.0/3)}, 10, []int{3, 4, 3}},
		{"running total, not each share, is rounded", []workload.Tier{tier("a", 0.25), tier("b", 0.25), tier("c", 0.25), tier("d", 0.25)}, 6, []int{2, 1, 2, 1}},
		{"shares off by 1e-10", []workload.Tier{tier("a", 0.7), tier("b", 0.3-1e-10)}, 10, []int{7, 3}},
		{"one key each", []workload.Tier{tier("a", 0.5), tier("b", 0.5)}, 2, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tierOf, err := workload.AssignTiers(tt.tiers, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int, len(tt.tiers))
			prev := 0
			for k := range tt.n {
				i := tierOf(k)
				if i < prev {
					t.Fatalf("key %d in tier %d after a key in tier %d: tiers must be contiguous", k, i, prev)
				}
				got[i]++
				prev = i
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("keys per tier = %v, want %v", got, tt.want)
			}
			for _, k := range []int{-1, tt.n, tt.n + 100} {
				if i := tierOf(k); i != -1 {
					t.Errorf("tierOf(%d) = %d for a key outside [0, %d), want -1", k, i, tt.n)
				}
			}
		})
	}
}

func TestAssignTiersInvalid(t *testing.T) {
	tests := []struct {
		name  string
		tiers []workload.Tier
		n     int
		want  string
	}{
		{"no tiers", nil, 10, "invalid tier: none given; want NAME=REQUESTS/WINDOW:SHARE"},
		{"no keys", []workload.Tier{tier("all", 1)}, 0, "invalid keys 0: must be at least 1"},
		{"shares above 1", []workload.Tier{tier("free", 0.9), tier("premium", 0.2)}, 10,
			"invalid tier shares: free 0.9 + premium 0.2 = 1.1, want a total of 1"},
		{"shares below 1", []workload.Tier{tier("free", 0.5), tier("premium", 0.4)}, 10,
			"invalid tier shares: free 0.5 + premium 0.4 = 0.9, want a total of 1"},
		{"shares off by 1e-8", []workload.Tier{tier("a", 0.7), tier("b", 0.3-1e-8)}, 10, "want a total of 1"},
		{"same name twice", []workload.Tier{tier("free", 0.5), tier("free", 0.5)}, 10,
			`invalid tier "free=10/1s:0.5": the name "free" is given twice`},
		{"a tier with no keys", []workload.Tier{tier("free", 0.9), tier("premium", 0.1)}, 5,
			`invalid tier "premium=10/1s:0.1": gets none of the 5 keys; raise the number of keys or its share`},
		{"an invalid limit", []workload.Tier{{Name: "free", Share: 1}}, 5,
			`invalid tier "free=0/0s:1": invalid limit: requests 0 must be at least 1`},
		{"a zero share", []workload.Tier{tier("free", 1), tier("none", 0)}, 5,
			`invalid tier "none=10/1s:0": share 0 must be in (0, 1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := workload.AssignTiers(tt.tiers, tt.n)
			if !errors.Is(err, workload.ErrInvalidKeys) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidKeys", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// FuzzParseTier checks that ParseTier never panics, refuses only with
// ErrInvalidKeys, and that what it accepts is usable and prints back to
// itself.
func FuzzParseTier(f *testing.F) {
	for _, s := range []string{
		"free=100/10m:0.9", "premium=500/600s:0.1", "x=1/1ms:1", "free=100:0.9", "=/:", "a=b=c/1s:1",
		"a=1/1s:1e-300", "a=9223372036854775807/2562047h47m16.854775807s:0.5", "a=+1/1s:0x1p-2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tier, err := workload.ParseTier(s)
		if err != nil {
			if !errors.Is(err, workload.ErrInvalidKeys) {
				t.Fatalf("ParseTier(%q) = %v, want an error wrapping ErrInvalidKeys", s, err)
			}
			return
		}
		if tier.Name == "" || tier.Limit.Validate() != nil || !(tier.Share > 0 && tier.Share <= 1) {
			t.Fatalf("ParseTier(%q) = %+v, unusable", s, tier)
		}
		if again, err := workload.ParseTier(tier.String()); err != nil || again != tier {
			t.Fatalf("ParseTier(%q) = %+v, %v; want %+v", tier.String(), again, err, tier)
		}
		if _, err := workload.AssignTiers([]workload.Tier{{Name: tier.Name, Limit: tier.Limit, Share: 1}}, 1); err != nil {
			t.Fatalf("AssignTiers of %+v: %v", tier, err)
		}
	})
}

func BenchmarkKeys(b *testing.B) {
	for _, k := range []workload.Keys{
		must(workload.NewUniformKeys(1_000_000, 1)),
		must(workload.NewZipfKeys(1_000_000, 1.1, 1)),
	} {
		b.Run(fmt.Sprint(k), func(b *testing.B) {
			var hit uint64
			for b.Loop() {
				k.Key(hit)
				hit++
			}
		})
	}
}

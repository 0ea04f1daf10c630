package algorithms_test

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// exactBound is each algorithm's Bound in unbounded integers, the figure
// Bound must equal wherever it fits in an int64.
func exactBound(name string, limit algorithms.Limit, span time.Duration) *big.Int {
	if span <= 0 {
		return big.NewInt(0)
	}
	n := big.NewInt
	d, w := span.Microseconds(), limit.Window.Microseconds()
	ceil := n(d / w)
	if d%w != 0 {
		ceil.Add(ceil, n(1))
	}
	switch name {
	case "fixed", "sliding-counter", "seed-fixed":
		return new(big.Int).Mul(n(limit.Requests), ceil.Add(ceil, n(1)))
	case "sliding", "seed-sliding":
		return new(big.Int).Mul(n(limit.Requests), ceil)
	case "token", "leaky", "seed-leaky":
		refill := new(big.Int).Mul(n(d), n(limit.Requests))
		refill.Quo(refill, n(w))
		return refill.Add(refill, n(limit.Capacity()))
	case "gcra":
		interval := new(big.Int).Add(n(w), n(limit.Requests-1))
		interval.Quo(interval, n(limit.Requests))
		return new(big.Int).Add(n(limit.Capacity()), interval.Quo(n(d), interval))
	}
	panic("no exact bound for " + name)
}

// saturated is x, or math.MaxInt64 when x does not fit.
func saturated(x *big.Int) int64 {
	if x.IsInt64() {
		return x.Int64()
	}
	return math.MaxInt64
}

func boundedNames() []string { return append(algorithms.Names(), algorithms.SeedNames()...) }

// TestBoundDoesNotOverflow holds the limits that wrapped Bound around:
// the bucket bound of a day's span at a billion a day came out as 932,480,089,
// and at 200 million a day with burst 1 as a negative figure, which turned
// every over-admission check off.
func TestBoundDoesNotOverflow(t *testing.T) {
	tests := []struct {
		name  string
		limit algorithms.Limit
		span  time.Duration
		want  map[string]int64
	}{
		{
			name:  "a billion a day",
			limit: algorithms.Limit{Requests: 1_000_000_000, Window: 24 * time.Hour},
			span:  24 * time.Hour,
			want:  map[string]int64{"token": 2_000_000_000, "leaky": 2_000_000_000, "seed-leaky": 2_000_000_000, "fixed": 2_000_000_000, "sliding": 1_000_000_000},
		},
		{
			name:  "200 million a day, burst 1",
			limit: algorithms.Limit{Requests: 200_000_000, Window: 24 * time.Hour, Burst: 1},
			span:  24 * time.Hour,
			want:  map[string]int64{"token": 200_000_001, "leaky": 200_000_001, "seed-leaky": 200_000_001, "gcra": 200_000_001},
		},
		{
			name:  "saturates",
			limit: algorithms.Limit{Requests: math.MaxInt64 / 2, Window: time.Millisecond},
			span:  time.Hour,
			want:  map[string]int64{"token": math.MaxInt64, "fixed": math.MaxInt64, "sliding": math.MaxInt64},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, want := range tt.want {
				l, err := algorithms.New(name, nil, algorithms.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if got := l.Bound(tt.limit, tt.span); got != want {
					t.Errorf("%s Bound(%+v, %v) = %d, want %d", name, tt.limit, tt.span, got, want)
				}
			}
		})
	}
}

// FuzzBound holds every Bound to its exact value in math/big, saturated at
// math.MaxInt64: never negative, never wrapped, never smaller for a longer span.
func FuzzBound(f *testing.F) {
	f.Add(int64(1_000_000_000), int64(24*time.Hour), int64(0), int64(24*time.Hour), int64(time.Hour))
	f.Add(int64(200_000_000), int64(24*time.Hour), int64(1), int64(24*time.Hour), int64(time.Second))
	f.Add(int64(10), int64(time.Second), int64(0), int64(time.Millisecond), int64(time.Minute))
	f.Add(int64(math.MaxInt64), int64(time.Millisecond), int64(math.MaxInt64), int64(math.MaxInt64), int64(1))
	f.Fuzz(func(t *testing.T, requests, window, burst, span, other int64) {
		limit := algorithms.Limit{Requests: requests, Window: time.Duration(window), Burst: burst}
		if limit.Validate() != nil {
			t.Skip()
		}
		shorter, longer := time.Duration(min(span, other)), time.Duration(max(span, other))
		for _, name := range boundedNames() {
			l, err := algorithms.New(name, nil, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []time.Duration{shorter, longer} {
				got := l.Bound(limit, s)
				if want := saturated(exactBound(name, limit, s)); got != want {
					t.Fatalf("%s Bound(%+v, %v) = %d, want %d", name, limit, s, got, want)
				}
			}
			if a, b := l.Bound(limit, shorter), l.Bound(limit, longer); a > b {
				t.Fatalf("%s Bound(%+v): %d for %v but %d for the longer %v", name, limit, a, shorter, b, longer)
			}
		}
	})
}

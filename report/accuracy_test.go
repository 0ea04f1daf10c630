package report

import (
	"slices"
	"testing"
)

func TestMaxInSpan(t *testing.T) {
	tests := []struct {
		name      string
		times     []int64
		span      int64
		wantMost  int
		wantStart int64
	}{
		{"empty", nil, 1000, 0, 0},
		{"zero span", []int64{1, 2, 3}, 0, 0, 0},
		{"one", []int64{42}, 1000, 1, 42},
		{"all equal", []int64{5, 5, 5, 5}, 1, 4, 5},
		{"half-open end excluded", []int64{0, 1000}, 1000, 1, 0},
		{"just inside", []int64{0, 999}, 1000, 2, 0},
		{"busiest starts later", []int64{0, 10, 20, 995, 1000, 1005}, 1000, 5, 10},
		{"window edge burst", []int64{990, 991, 992, 1000, 1001, 1002, 2500}, 1000, 6, 990},
		{"spread out", []int64{0, 1000, 2000, 3000}, 1000, 1, 0},
		{"first of equal maxima", []int64{0, 1, 5000, 5001}, 10, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			most, start := MaxInSpan(tt.times, tt.span)
			if most != tt.wantMost || start != tt.wantStart {
				t.Errorf("MaxInSpan(%v, %d) = %d from %d, want %d from %d", tt.times, tt.span, most, start, tt.wantMost, tt.wantStart)
			}
		})
	}
}

// TestMaxInSpanMatchesBruteForce checks the sweep against counting every
// span that starts at an admission.
func TestMaxInSpanMatchesBruteForce(t *testing.T) {
	times := []int64{}
	x := int64(7)
	for i := 0; i < 300; i++ {
		x = (x*1103515245 + 12345) % 2147483648
		times = append(times, x%5000)
	}
	times = slices.Sorted(slices.Values(times))
	for _, span := range []int64{1, 10, 100, 333, 1000, 5000} {
		want := 0
		for _, s := range times {
			n := 0
			for _, u := range times {
				if u >= s && u < s+span {
					n++
				}
			}
			want = max(want, n)
		}
		if got, _ := MaxInSpan(times, span); got != want {
			t.Errorf("span %d: MaxInSpan = %d, brute force = %d", span, got, want)
		}
	}
}

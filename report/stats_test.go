package report

import (
	"math"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{9, 1, 5}, 5},
		{"even takes the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"ties", []float64{2, 2, 2, 9}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := append([]float64(nil), tt.xs...)
			if got := Median(xs); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			for i := range xs {
				if xs[i] != tt.xs[i] {
					t.Fatalf("median reordered its input: %v", xs)
				}
			}
		})
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

// TestMedianCI checks the order statistics that bound the 95 % interval
// against go-moremath's stats.QuantileCI(n, 0.5, 0.95), which benchstat
// uses (LoOrder, HiOrder; 0 and n+1 mean unbounded). Above 30 go-moremath
// approximates the binomial with a normal distribution and medianCI does
// not, so the table stops at 30.
func TestMedianCI(t *testing.T) {
	tests := []struct{ n, lo, hi int }{
		{1, 0, 2},
		{2, 0, 3},
		{5, 0, 5},
		{6, 1, 6},
		{7, 1, 7},
		{8, 1, 7},
		{9, 2, 8},
		{10, 2, 9},
		{11, 2, 9},
		{12, 3, 10},
		{15, 4, 12},
		{20, 6, 15},
		{25, 8, 18},
		{30, 10, 21},
	}
	for _, tt := range tests {
		// Samples 10, 20, … make order statistic k equal 10k, and are
		// given in reverse to show that medianCI sorts.
		xs := make([]float64, tt.n)
		for i := range xs {
			xs[i] = float64(10 * (tt.n - i))
		}
		order := func(k int) float64 {
			switch {
			case k < 1:
				return math.Inf(-1)
			case k > tt.n:
				return math.Inf(1)
			}
			return float64(10 * k)
		}
		lo, hi := medianCI(xs, 0.95)
		if lo != order(tt.lo) || hi != order(tt.hi) {
			t.Errorf("n=%d: medianCI = [%v, %v], want [%v, %v]", tt.n, lo, hi, order(tt.lo), order(tt.hi))
		}
	}
}

func TestMedianCIContainsMedian(t *testing.T) {
	for n := 1; n <= 200; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64((i * 7919) % 101)
		}
		lo, hi := medianCI(xs, 0.95)
		if m := Median(xs); !(lo <= m && m <= hi) {
			t.Errorf("n=%d: median %v outside [%v, %v]", n, m, lo, hi)
		}
	}
}

// TestMannWhitneyP checks two-sided p-values against go-moremath's
// stats.MannWhitneyUTest(x, y, stats.LocationDiffers), benchstat's test,
// and against values known in closed form.
func TestMannWhitneyP(t *testing.T) {
	seq := func(from, to int, repeat int) []float64 {
		var xs []float64
		for v := from; v <= to; v++ {
			for range repeat {
				xs = append(xs, float64(v))
			}
		}
		return xs
	}
	tests := []struct {
		name string
		x, y []float64
		want float64
		tol  float64
	}{
		// Every arrangement of 12 ranks into 6 + 6 is equally likely; only
		// two are as extreme: 2/C(12, 6). scipy.stats.mannwhitneyu agrees.
		{"disjoint", seq(1, 6, 1), seq(7, 12, 1), 0.0021645021645021645, 1e-12},
		{"disjoint reversed", seq(7, 12, 1), seq(1, 6, 1), 0.0021645021645021645, 1e-12},
		{"identical", seq(1, 6, 1), seq(1, 6, 1), 1, 0},
		{"interleaved", []float64{1, 3, 5, 7, 9, 11}, []float64{2, 4, 6, 8, 10, 12}, 0.69913419913419927, 1e-12},
		{"unequal sizes with an outlier", []float64{10, 11, 12, 13, 14, 15, 30}, seq(16, 21, 1), 0.034965034965034968, 1e-12},
		{"exact with ties", []float64{1, 2, 2, 3, 3, 3}, []float64{3, 4, 4, 5, 5, 6}, 0.008658008658008658, 1e-12},
		{"exact with heavy ties", []float64{5, 5, 5, 5, 5, 6}, []float64{5, 6, 6, 6, 6, 6}, 0.080086580086580081, 1e-12},
		{"latencies", []float64{512, 515, 509, 530, 498, 520}, []float64{601, 598, 610, 540, 515, 620}, 0.010822510822510822, 1e-12},
		// Past 25 a side, go-moremath is still exact without ties (up to
		// 50) and mannWhitneyP approximates.
		{"normal approximation without ties", seq(1, 30, 1), seq(5, 34, 1), 0.099135506962219566, 2e-3},
		// With ties past 25 a side both approximate, identically.
		{"normal approximation with ties", seq(1, 14, 2), seq(3, 16, 2), 0.089198096681705655, 1e-12},
		{"all equal", []float64{3, 3, 3, 3, 3, 3}, []float64{3, 3, 3, 3, 3, 3}, 1, 0},
		{"empty", nil, seq(1, 6, 1), 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mannWhitneyP(tt.x, tt.y)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("mannWhitneyP = %.17g, want %.17g (±%g)", got, tt.want, tt.tol)
			}
		})
	}
}

// TestMannWhitneyPSymmetric: which sample comes first does not matter to
// a two-sided test, and p is a probability.
func TestMannWhitneyPSymmetric(t *testing.T) {
	x := []float64{4, 4, 5, 7, 7, 7, 9, 12}
	y := []float64{3, 4, 6, 7, 8, 8, 8, 10, 11, 11}
	p, q := mannWhitneyP(x, y), mannWhitneyP(y, x)
	if math.Abs(p-q) > 1e-12 || p <= 0 || p > 1 {
		t.Errorf("p(x, y) = %v, p(y, x) = %v", p, q)
	}
}

func BenchmarkMannWhitneyPExact(b *testing.B) {
	x, y := make([]float64, 25), make([]float64, 25)
	for i := range x {
		x[i], y[i] = float64(i), float64(i)+3.5
	}
	for b.Loop() {
		mannWhitneyP(x, y)
	}
}

package report

import (
	"math"
	"slices"
	"testing"

	"golang.org/x/perf/benchmath"
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
		// a + (b−a)/2, as benchstat computes it; (a+b)/2 is 7399.8571428571422.
		{"even, rounded as benchstat", []float64{11204.42857142857, 3595.285714285714}, 7399.8571428571431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := slices.Clone(tt.xs)
			if got := Median(xs); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			if !slices.Equal(xs, tt.xs) {
				t.Fatalf("median reordered its input: %v", xs)
			}
		})
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

// TestMedianCI checks the order statistics that bound the 95 % interval
// (0 and n+1 mean unbounded). Above 30 samples benchmath approximates the
// binomial distribution with a normal one; rlbench's own code, before it
// used benchmath, counted exactly and gave one rank more on each side at
// n = 32 ([11, 23]), 39, 41, 43 (lower bound only), 44 and 57 ([22, 37]).
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
		{32, 10, 22},
		{43, 15, 29},
		{57, 21, 36},
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

// TestMannWhitneyP checks two-sided p-values, exactly, against those
// known in closed form and those benchstat prints. Where rlbench's own
// code, before it used benchmath, gave another figure, the comment says
// which.
func TestMannWhitneyP(t *testing.T) {
	seq := func(from, to, step int) []float64 {
		var xs []float64
		for v := from; v <= to; v += step {
			xs = append(xs, float64(v))
		}
		return xs
	}
	ones := func(n int) []float64 { return slices.Repeat([]float64{1}, n) }
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		// Every arrangement of 12 ranks into 6 + 6 is equally likely; only
		// two are as extreme: 2/C(12, 6), to the last bit of float64.
		{"disjoint", seq(1, 6, 1), seq(7, 12, 1), 0.0021645021645021649},
		{"disjoint reversed", seq(7, 12, 1), seq(1, 6, 1), 0.0021645021645021649},
		{"identical", seq(1, 6, 1), seq(1, 6, 1), 1},
		{"interleaved", seq(1, 11, 2), seq(2, 12, 2), 0.69913419913419927},
		{"unequal sizes with an outlier", []float64{10, 11, 12, 13, 14, 15, 30}, seq(16, 21, 1), 0.034965034965034968},
		{"exact with ties", []float64{1, 2, 2, 3, 3, 3}, []float64{3, 4, 4, 5, 5, 6}, 0.008658008658008658},
		{"exact with heavy ties", []float64{5, 5, 5, 5, 5, 6}, []float64{5, 6, 6, 6, 6, 6}, 0.080086580086580081},
		{"latencies", []float64{512, 515, 509, 530, 498, 520}, []float64{601, 598, 610, 540, 515, 620}, 0.010822510822510822},
		// 30 a side without ties is counted exactly (up to 50); the
		// hand-written code approximated past 25: 0.027086318388295959.
		{"exact without ties past 25", seq(0, 58, 2), seq(11, 69, 2), 0.02633196030257938},
		// With ties past 25 a side, the normal approximation.
		{"normal approximation with ties", slices.Concat(seq(1, 14, 1), seq(1, 14, 1)), slices.Concat(seq(3, 16, 1), seq(3, 16, 1)), 0.089198096681705655},
		// With ties the order matters and p can pass 1: benchstat prints
		// p=1.077 for old = five 1s and a 2, new = seven 1s. The
		// hand-written code gave 12/13 both ways, and 0.52580099638923172
		// both ways for the last pair.
		{"lopsided ties", append(ones(5), 2), ones(7), 14.0 / 13},
		{"lopsided ties reversed", ones(7), append(ones(5), 2), 12.0 / 13},
		{"ties, unequal sizes", []float64{4, 4, 5, 7, 7, 7, 9, 12}, []float64{3, 4, 6, 7, 8, 8, 8, 10, 11, 11}, 0.52580099638923172},
		{"ties, unequal sizes reversed", []float64{3, 4, 6, 7, 8, 8, 8, 10, 11, 11}, []float64{4, 4, 5, 7, 7, 7, 9, 12}, 0.5280862927921751},
		{"all equal", ones(6), ones(6), 1},
		{"empty", nil, seq(1, 6, 1), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mannWhitneyP(tt.x, tt.y); got != tt.want {
				t.Errorf("mannWhitneyP = %.17g, want %.17g", got, tt.want)
			}
		})
	}
}

// TestCompareAgreesWithBenchmath: the figures of rlbench compare are
// those benchstat computes for the same samples (median, 95 % interval,
// p-value), checked against benchmath called here directly and against
// the numbers. The first two pairs are the p99s of repeatedRuns; the last
// two are where rlbench's own statistics, before benchmath, differed.
func TestCompareAgreesWithBenchmath(t *testing.T) {
	type side struct{ center, lo, hi float64 }
	tests := []struct {
		name      string
		base, new []float64
		b, n      side
		p         float64
	}{
		{
			name: "fixed rises",
			base: []float64{512, 515, 509, 530, 498, 520, 511, 505},
			new:  []float64{601, 598, 610, 540, 525, 620, 590, 603},
			b:    side{511.5, 498, 520}, n: side{599.5, 525, 610},
			p: 0.00031080031080031085,
		},
		{
			name: "token within noise",
			base: []float64{300, 340, 280, 310, 295, 330, 305, 290},
			new:  []float64{345, 290, 350, 300, 340, 285, 355, 345},
			b:    side{302.5, 280, 330}, n: side{342.5, 285, 350},
			p: 0.16798756798756798,
		},
		{
			// 303, 306, … 396 against 314, 317, … 407, no ties: the
			// hand-written code had [333, 369] and [344, 380] (exact
			// binomial) and p = 0.15661022499985208 (normal approximation).
			name: "32 a side",
			base: stepped(303, 3, 32), new: stepped(314, 3, 32),
			b: side{349.5, 330, 366}, n: side{360.5, 341, 377},
			p: 0.15760225432693895,
		},
		{
			// The hand-written code gave p = 12/13.
			name: "lopsided ties",
			base: []float64{1, 1, 1, 1, 1, 2}, new: []float64{1, 1, 1, 1, 1, 1, 1},
			b: side{1, 1, 2}, n: side{1, 1, 1},
			p: 14.0 / 13,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b, n []Run
			for i, v := range tt.base {
				b = append(b, compareRun("fixed", i, v, 500, 0))
			}
			for i, v := range tt.new {
				n = append(n, compareRun("fixed", i, v, 500, 0))
			}
			base, new := compareFiles(b, n)
			got := changeOf(t, Compare(base, new, nil, DefaultAlpha).Rows[0], "response_p99_us")

			bs := benchmath.NewSample(slices.Clone(tt.base), &benchmath.DefaultThresholds)
			ns := benchmath.NewSample(slices.Clone(tt.new), &benchmath.DefaultThresholds)
			bSum := benchmath.AssumeNothing.Summary(bs, 0.95)
			nSum := benchmath.AssumeNothing.Summary(ns, 0.95)
			bm := Change{
				Metric: "response_p99_us", Base: bSum.Center, New: nSum.Center, Percent: got.Percent, Tested: true,
				BaseLo: bSum.Lo, BaseHi: bSum.Hi, NewLo: nSum.Lo, NewHi: nSum.Hi,
				P: benchmath.AssumeNothing.Compare(bs, ns).P, Significant: got.Significant,
			}
			if got != bm {
				t.Errorf("compare %+v\nbenchmath %+v", got, bm)
			}
			want := side{got.Base, got.BaseLo, got.BaseHi}
			if want != tt.b || (side{got.New, got.NewLo, got.NewHi}) != tt.n || got.P != tt.p {
				t.Errorf("base %v, new %v, p %.17g; want %v, %v, p %.17g",
					want, side{got.New, got.NewLo, got.NewHi}, got.P, tt.b, tt.n, tt.p)
			}
		})
	}
}

// stepped is n values from first, step apart.
func stepped(first, step float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = first + step*float64(i)
	}
	return xs
}

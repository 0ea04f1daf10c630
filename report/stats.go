package report

import (
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// The statistics of compare are benchstat's, taken from the package
// benchstat itself uses, golang.org/x/perf/benchmath, so that the two
// agree by construction. Results of repeated runs are not normally
// distributed (latency has a long right tail, and a noisy neighbour
// shifts a whole run), so nothing here assumes a distribution
// (benchmath.AssumeNothing): the summary is the median, its confidence
// interval comes from order statistics, and two samples are compared with
// the Mann-Whitney U test.

// sample is xs as benchmath takes it, which sorts its values in place:
// xs is left as it was. NaNs (a figure a run lacks) are left out: they
// have no rank, and benchmath's U test never returns on one.
func sample(xs []float64) *benchmath.Sample {
	xs = slices.DeleteFunc(slices.Clone(xs), math.IsNaN)
	return benchmath.NewSample(xs, &benchmath.DefaultThresholds)
}

// Median is the middle of xs, or the mean of the two middle values when
// len(xs) is even; NaN when xs is empty. xs is left as it was. It is
// benchstat's median to the last bit: a + (b−a)/2 for the middle a ≤ b,
// which can differ from (a+b)/2 in the last bit.
func Median(xs []float64) float64 {
	return benchmath.AssumeNothing.Summary(sample(xs), medianConfidence).Center
}

// medianCI is a confidence interval [lo, hi] for the median of the
// population xs was drawn from, at the given confidence (0.95 for 95 %):
// two order statistics, from the binomial distribution of the number of
// samples below the median (exact up to 30 samples, its normal
// approximation beyond). A bound is ±Inf when no order statistic is far
// enough out: 95 % needs at least 6 samples, for which the interval is
// [min, max] with confidence 1 − 2/2⁶ ≈ 0.969.
func medianCI(xs []float64, confidence float64) (lo, hi float64) {
	s := benchmath.AssumeNothing.Summary(sample(xs), confidence)
	return s.Lo, s.Hi
}

// mannWhitneyP is the two-sided p-value of the Mann-Whitney U test that x
// and y come from the same distribution: exact up to 50 samples a side
// without ties and 25 with ties, the normal approximation with tie and
// continuity corrections beyond. Samples that are all equal, or an empty
// sample, give 1: there is no evidence of a difference. p is twice the
// probability of a U as small as the smaller one observed, which ties can
// push above 1: five 1s and a 2 against seven 1s give 14/13 ≈ 1.077, and
// benchstat prints p=1.077.
//
// For x = 1…6 and y = 7…12 the exact p is 2/C(12, 6) ≈ 0.002165.
func mannWhitneyP(x, y []float64) float64 {
	return benchmath.AssumeNothing.Compare(sample(x), sample(y)).P
}

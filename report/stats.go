package report

import (
	"math"
	"slices"
)

// The statistics of compare, as benchstat computes them: results of
// repeated runs are not normally distributed (latency has a long right
// tail, and a noisy neighbour shifts a whole run), so nothing here assumes
// a distribution. The summary is the median, its confidence interval comes
// from order statistics, and two samples are compared with the
// Mann-Whitney U test.

// Median is the middle of xs, or the mean of the two middle values when
// len(xs) is even; NaN when xs is empty. xs is left as it was.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medianCI is a confidence interval [lo, hi] for the median of the
// population xs was drawn from, at the given confidence (0.95 for 95 %),
// with no bootstrap and no assumed distribution. The number of samples
// below the population median follows the binomial distribution
// B(n, 1/2), so the interval between two order statistics holds the
// median with a probability that is a sum of its terms: starting from the
// middle, it widens one rank at a time, to the lower side on a tie, until
// the sum reaches the confidence. This is benchstat's interval
// (go-moremath stats.QuantileCI), with the exact binomial for every n
// where go-moremath switches to a normal approximation above 30.
//
// A bound is ±Inf when no order statistic is far enough out: 95 % needs
// at least 6 samples, for which the interval is [min, max] with
// confidence 1 − 2/2⁶ ≈ 0.969.
func medianCI(xs []float64, confidence float64) (lo, hi float64) {
	n := len(xs)
	if n == 0 {
		return math.Inf(-1), math.Inf(1)
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	// pmf(k) is the probability that exactly k samples fall below the
	// median, that is that it lies between s[k-1] and s[k].
	pmf := func(k int) float64 {
		if k < 0 || k > n {
			return 0
		}
		lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
		return math.Exp(lg(n) - lg(k) - lg(n-k) - float64(n)*math.Ln2)
	}
	// [l, r) are the gaps summed so far; the mode of B(n, 1/2), the lower
	// one when there are two, comes first.
	x := (n+2)/2 - 1
	l, r := x, x+1
	sum := pmf(x)
	lp, rp := pmf(l-1), pmf(r)
	for sum < confidence && (lp > 0 || rp > 0) {
		if lp >= rp {
			sum += lp
			l--
			lp = pmf(l - 1)
		} else {
			sum += rp
			r++
			rp = pmf(r)
		}
	}
	// Gaps l to r-1 lie between order statistics l and r (1-based).
	lo, hi = math.Inf(-1), math.Inf(1)
	if l >= 1 {
		lo = s[l-1]
	}
	if r <= n {
		hi = s[r-1]
	}
	return lo, hi
}

// mannWhitneyExactLimit is the largest sample, on either side, for which
// mannWhitneyP counts the exact distribution of U. Up to 25 + 25 samples
// the count fits float64 exactly (C(50, 25) < 2⁵³) and takes well under a
// millisecond; beyond, the normal approximation is good to about 10⁻³.
const mannWhitneyExactLimit = 25

// mannWhitneyP is the two-sided p-value of the Mann-Whitney U test that x
// and y come from the same distribution: the probability, if they did,
// of a rank sum at least as far from its expectation as the one observed.
// Ties get their mean rank. For up to mannWhitneyExactLimit samples a side
// the p-value is exact, counting every assignment of the observed values
// to the two samples; beyond, it is the normal approximation with tie and
// continuity corrections. Both are benchstat's (go-moremath
// stats.MannWhitneyUTest), except that go-moremath counts exactly up to
// 50 samples when there are no ties, and doubles the lower tail where
// this doubles the smaller one, which differs only for lopsided ties.
// Samples that are all equal, or an empty sample, give 1: there is no
// evidence of a difference.
//
// For x = 1…6 and y = 7…12 the exact p is 2/C(12, 6) = 0.002165.
func mannWhitneyP(x, y []float64) float64 {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return 1
	}
	type labelled struct {
		v     float64
		first bool
	}
	all := make([]labelled, 0, n1+n2)
	for _, v := range x {
		all = append(all, labelled{v, true})
	}
	for _, v := range y {
		all = append(all, labelled{v, false})
	}
	slices.SortFunc(all, func(a, b labelled) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})

	// Tie groups: each has a size and a rank sum of twice its mean rank,
	// an integer, so that sums stay exact.
	type group struct{ size, doubledRank int }
	var groups []group
	doubledR1 := 0 // twice the rank sum of x
	for i := 0; i < len(all); {
		j, inX := i, 0
		for ; j < len(all) && all[j].v == all[i].v; j++ {
			if all[j].first {
				inX++
			}
		}
		// Ranks i+1 … j, mean (i+1+j)/2.
		g := group{size: j - i, doubledRank: i + 1 + j}
		groups = append(groups, g)
		doubledR1 += inX * g.doubledRank
		i = j
	}
	if len(groups) == 1 {
		return 1
	}
	// U1 counts the pairs in which x is the larger, ties as one half;
	// doubled to stay an integer.
	doubledU1 := doubledR1 - n1*(n1+1)

	if n1 <= mannWhitneyExactLimit && n2 <= mannWhitneyExactLimit {
		// ways[c][s] counts the ways to give x c members of the groups
		// seen so far with a doubled rank sum of s, each weighted by
		// the number of ways to pick them within their group.
		maxSum := 0
		for _, g := range groups {
			maxSum += g.size * g.doubledRank
		}
		ways := make([][]float64, n1+1)
		for c := range ways {
			ways[c] = make([]float64, maxSum+1)
		}
		ways[0][0] = 1
		seen, reach := 0, 0 // members and largest sum so far
		for _, g := range groups {
			seen += g.size
			reach += g.size * g.doubledRank
			pick := make([]float64, g.size+1)
			for a := range pick {
				pick[a] = binomial(g.size, a)
			}
			for c := min(n1, seen); c >= 0; c-- {
				for s := reach; s >= 0; s-- {
					total := ways[c][s]
					for a := 1; a <= min(g.size, c) && a*g.doubledRank <= s; a++ {
						total += pick[a] * ways[c-a][s-a*g.doubledRank]
					}
					ways[c][s] = total
				}
			}
		}
		var below, above, all float64
		for s, w := range ways[n1] {
			if w == 0 {
				continue
			}
			u := s - n1*(n1+1)
			all += w
			if u <= doubledU1 {
				below += w
			}
			if u >= doubledU1 {
				above += w
			}
		}
		return min(1, 2*min(below, above)/all)
	}

	// Normal approximation: U has mean n1·n2/2 and a variance that ties
	// shrink; half a unit of continuity correction towards the mean.
	n := float64(n1 + n2)
	tieSum := 0.0
	for _, g := range groups {
		t := float64(g.size)
		tieSum += t*t*t - t
	}
	sigma := math.Sqrt(float64(n1*n2) / 12 * ((n + 1) - tieSum/(n*(n-1))))
	if sigma == 0 {
		return 1
	}
	dev := math.Abs(float64(doubledU1)/2 - float64(n1*n2)/2)
	dev = max(0, dev-0.5)
	return min(1, math.Erfc(dev/sigma/math.Sqrt2))
}

// binomial is C(n, k) as a float64, exact for the small n it is used with.
func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	k = min(k, n-k)
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return math.Round(c)
}

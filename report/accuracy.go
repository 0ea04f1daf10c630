// Package report holds rlbench's result model, accuracy and latency summaries, and renderers.
package report

// MaxInSpan is the largest number of admissions that fall in one half-open
// span [t, t+span) of the given length, and the start t of the first such
// span. times are admission instants in any unit (microseconds in rlbench),
// sorted ascending; span is in the same unit. The sweep is two pointers,
// O(len(times)): the busiest span always starts at an admission.
//
// For admissions at 0, 10, 20, 995, 1000, 1005 and a span of 1000, the
// answer is 5 from 10 ([10, 1010) holds 10, 20, 995, 1000, 1005).
func MaxInSpan(times []int64, span int64) (most int, start int64) {
	if span <= 0 {
		return 0, 0
	}
	lo := 0
	for hi, t := range times {
		// Slide lo forward until times[lo..hi] fits in a span ending at t.
		for t-times[lo] >= span {
			lo++
		}
		if n := hi - lo + 1; n > most {
			most, start = n, times[lo]
		}
	}
	return most, start
}

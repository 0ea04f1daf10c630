package workload

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The latency range of every histogram: 1 ns to 60 s at 3 significant
// figures, about 0.1 % error at any scale for a few tens of kilobytes.
const (
	lowestLatency  = int64(time.Nanosecond)
	highestLatency = int64(60 * time.Second)
	latencyDigits  = 3
)

// NewLatencyHistogram returns an empty histogram with the range and
// precision of Result.Latency, in nanoseconds, so that histograms from
// different runs can be merged.
func NewLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestLatency, highestLatency, latencyDigits)
}

// recorder holds what one worker saw. Each worker owns one, so recording
// takes no lock; Run merges them when every worker has stopped.
type recorder struct {
	latency                  *hdrhistogram.Histogram
	sent, accepted, rejected int64
	errors                   map[string]int64
	overRange                int64
	firstErr                 error
}

func newRecorder() *recorder {
	return &recorder{latency: NewLatencyHistogram(), errors: map[string]int64{}}
}

// observe records one request. Only decisions have a latency: an error's
// duration says how long it took to fail, not how fast the limiter is.
func (r *recorder) observe(allowed bool, took time.Duration, err error) {
	r.sent++
	if err != nil {
		r.errors[Classify(err)]++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	if allowed {
		r.accepted++
	} else {
		r.rejected++
	}
	// The histogram would accept values somewhat past highestLatency (its
	// top bucket is wider), so the range is enforced here, where it is
	// documented.
	if int64(took) > highestLatency || r.latency.RecordValue(int64(took)) != nil {
		r.overRange++
	}
}

// merge sums the recorders into a Result; firstErr is the first error of
// the lowest-numbered worker that saw one.
func merge(recs []*recorder) Result {
	res := Result{Latency: NewLatencyHistogram(), ErrorsByClass: map[string]int64{}}
	for _, class := range ErrorClasses() {
		res.ErrorsByClass[class] = 0
	}
	for _, r := range recs {
		res.Sent += r.sent
		res.Accepted += r.accepted
		res.Rejected += r.rejected
		res.OverRange += r.overRange
		for class, n := range r.errors {
			res.ErrorsByClass[class] += n
			res.Errors += n
		}
		if res.FirstError == nil {
			res.FirstError = r.firstErr
		}
		// Same geometry on both sides, so nothing is ever dropped.
		res.Latency.Merge(r.latency)
	}
	return res
}

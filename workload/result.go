package workload

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one Run did. Every request sent is exactly one of
// accepted, rejected or an error: Sent == Accepted + Rejected + Errors.
type Result struct {
	// Algorithm is the limiter's registry name.
	Algorithm string
	// Sent counts requests handed to the limiter.
	Sent int64
	// Accepted and Rejected count decisions.
	Accepted, Rejected int64
	// Errors counts requests that got no decision; never rejections.
	Errors int64
	// ErrorsByClass splits Errors by Classify; every class is present,
	// with 0 when it never happened.
	ErrorsByClass map[string]int64
	// FirstError is one of the errors, to show what went wrong; nil when
	// Errors is 0.
	FirstError error
	// Interrupted reports that the context was cancelled before every
	// request was sent: the counts are of a partial run.
	Interrupted bool
	// Elapsed is the wall time from the first worker's start to the last
	// one's end.
	Elapsed time.Duration
	// Latency is the service time of every decision, in nanoseconds: from
	// the call to AllowN to its return, merged from every worker's
	// histogram. Its TotalCount is Accepted + Rejected - OverRange.
	Latency *hdrhistogram.Histogram
	// OverRange counts decisions slower than the histogram's 60 s range:
	// counted here rather than clamped into the histogram, so that the
	// percentiles stay honest about what they cover.
	OverRange int64
}

// Decisions is the number of requests that were accepted or rejected.
func (r Result) Decisions() int64 { return r.Accepted + r.Rejected }

// Throughput is decisions per second over Elapsed; errors do not count, so
// a server that fails fast does not look fast. 0 when nothing was timed.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Decisions()) / r.Elapsed.Seconds()
}

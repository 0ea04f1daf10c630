package workload

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what one Run did. Every request sent is exactly one of
// accepted, rejected, unknown or an error:
// Sent == Accepted + Rejected + Unknown + Errors.
type Result struct {
	// Algorithm is Config.Name: the algorithm, or what the target is.
	Algorithm string
	// Sent counts requests handed to the limiter.
	Sent int64
	// Accepted and Rejected count decisions.
	Accepted, Rejected int64
	// Unknown counts requests sent whose answer never came (target.Unknown):
	// each may have been admitted. UnknownByClass splits them by class.
	Unknown        int64
	UnknownByClass map[string]int64
	// Errors counts requests that surely got no decision; never rejections.
	Errors int64
	// ErrorsByClass splits Errors by class; every class of
	// target.ErrorClasses is present,
	// with 0 when it never happened.
	ErrorsByClass map[string]int64
	// FirstError is one of the errors or unknown outcomes, to show what
	// went wrong; nil when Errors and Unknown are 0.
	FirstError error
	// Interrupted reports that the context was cancelled before the run
	// ended by itself: the counts are of a partial run.
	Interrupted bool
	// EndedBy says what ended the run: EndedByRequests, EndedByDuration,
	// EndedBySchedule (the Pacer's schedule ran out) or EndedByInterrupt.
	EndedBy string
	// Start is when the run began: the origin of Timeseries.
	Start time.Time
	// Elapsed is the wall time from the start to the last answer.
	Elapsed time.Duration
	// Scheduled is how long the open model's schedule lasted, first slot
	// to last; 0 in the closed model.
	Scheduled time.Duration
	// Latency is the response time of every decision, in nanoseconds: from
	// the request's slot in the schedule to its answer (in the closed
	// model, from the call), merged from every worker's histogram. Its
	// TotalCount is Accepted + Rejected - OverRange.
	Latency *hdrhistogram.Histogram
	// Service is the service time of every decision: from the actual call
	// to its answer. It equals Latency in the closed model.
	Service *hdrhistogram.Histogram
	// Lag is how late each request was sent after its slot; Missed counts
	// those later than MissAfter. Both are zero in the closed model.
	Lag    *hdrhistogram.Histogram
	Missed int64
	// Waited counts the requests a polite client held back for a
	// Retry-After (Config.HonorRetryAfter), WaitedFor their waits in all.
	Waited    int64
	WaitedFor time.Duration
	// OverRange counts decisions slower than the histogram's 60 s range:
	// counted here rather than clamped into the histogram, so that the
	// percentiles stay honest about what they cover.
	OverRange int64
	// Accuracy is what was admitted against what the limiter promises.
	Accuracy Accuracy
	// Timeseries counts outcomes per Interval, by when they were answered.
	Timeseries []Point
	Interval   time.Duration
}

// What ended a run, in Result.EndedBy.
const (
	EndedByRequests  = "requests"
	EndedByDuration  = "duration"
	EndedBySchedule  = "schedule"
	EndedByInterrupt = "interrupted"
)

// Point is one interval of the time series, starting at Offset from the
// run's start.
type Point struct {
	Offset                     time.Duration
	Accepted, Rejected, Errors int64
	Unknown                    int64
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

// Offered is the rate the run asked for: requests per second of schedule
// in the open model, and sent per second of run in the closed model.
func (r Result) Offered() float64 {
	span := r.Scheduled
	if span <= 0 {
		span = r.Elapsed
	}
	if span <= 0 {
		return 0
	}
	return float64(r.Sent) / span.Seconds()
}

// Behind reports that the generator missed slots of its schedule, so that
// response times include its own lag.
func (r Result) Behind() bool { return r.Missed > 0 }

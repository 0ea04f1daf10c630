package workload

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rlbench/rlbench/target"
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

// Sample is one request, from its slot in the schedule to its answer:
// what an observer (Config.Observe) sees.
type Sample struct {
	// Key is the request's key: its number, and its name as sent.
	Key     int
	KeyName string
	// Cost is the units the request asked for (Config.Cost, or its
	// replay's), at least 1.
	Cost int64
	// Intended is the request's slot in the schedule (the closed model
	// has none: it equals Sent); Sent and Done are when it was sent and
	// when its answer came, or when it was given up.
	Intended, Sent, Done time.Time
	// Waited is how long a polite client waited for a Retry-After before
	// sending (Config.HonorRetryAfter); it is not schedule lag.
	Waited  time.Duration
	Outcome target.Outcome
}

// recorder holds what the workers of one lane saw; Run merges the lanes
// when every worker has stopped. Its memory grows with the run's duration
// (one time-series point per interval), not with the number of requests.
type recorder struct {
	mu        sync.Mutex
	start     time.Time
	interval  time.Duration
	missAfter time.Duration

	response, service, lag   *hdrhistogram.Histogram
	sent, accepted, rejected int64
	missed                   int64
	waited                   int64
	waitedFor                time.Duration
	errors, unknown          map[string]int64
	overRange                int64
	firstErr                 error
	points                   []Point
	// atOnce counts the decisions decidedAtOnce has not added to the
	// histograms yet.
	atOnce int64
}

func newRecorder(start time.Time, interval, missAfter time.Duration) *recorder {
	return &recorder{
		start: start, interval: interval, missAfter: missAfter,
		response: NewLatencyHistogram(), service: NewLatencyHistogram(), lag: NewLatencyHistogram(),
		errors: map[string]int64{}, unknown: map[string]int64{},
	}
}

// observe records one request. Only decisions have a latency: an error's
// duration says how long it took to fail, not how fast the limiter is.
func (r *recorder) observe(s Sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count(s) {
		r.latency(s)
	}
}

// decidedAtOnce records one decision sent at its slot and answered at
// once, at t: a simulation's, whose lag, response and service times are
// all 0. The three zeros are added to the histograms in one go by
// flushAtOnce, which is all the histograms would do with them one at a
// time. The caller is the recorder's only user: it takes no lock.
func (r *recorder) decidedAtOnce(accepted bool, t time.Time) {
	r.sent++
	if 0 > r.missAfter {
		r.missed++
	}
	point := r.point(t)
	if accepted {
		r.accepted++
		point.Accepted++
	} else {
		r.rejected++
		point.Rejected++
	}
	r.atOnce++
}

// flushAtOnce adds the zeros of the decisions decidedAtOnce counted to
// the histograms.
func (r *recorder) flushAtOnce() {
	if r.atOnce == 0 {
		return
	}
	for _, h := range []*hdrhistogram.Histogram{r.lag, r.response, r.service} {
		_ = h.RecordValues(0, r.atOnce) // 0 is in range
	}
	r.atOnce = 0
}

// count records s's outcome, lag and point in the time series, and
// reports whether it was a decision.
func (r *recorder) count(s Sample) bool {
	r.countLag(s.Sent.Sub(s.Intended)-s.Waited, s.Waited)
	point := r.point(s.Done)
	switch s.Outcome.Kind {
	case target.Accepted:
		r.accepted++
		point.Accepted++
	case target.Rejected:
		r.rejected++
		point.Rejected++
	default:
		if s.Outcome.Kind == target.Unknown {
			r.unknown[s.Outcome.Class]++
			point.Unknown++
		} else {
			r.errors[s.Outcome.Class]++
			point.Errors++
		}
		if r.firstErr == nil {
			r.firstErr = s.Outcome.Err
		}
		return false
	}
	return true
}

// countLag counts one request sent lag after its slot, having waited
// for a Retry-After first.
func (r *recorder) countLag(lag, waited time.Duration) {
	r.sent++
	if waited > 0 {
		r.waited++
		r.waitedFor += waited
	}
	r.record(r.lag, lag)
	if lag > r.missAfter {
		r.missed++
	}
}

// latency records s's response and service times.
func (r *recorder) latency(s Sample) {
	r.latencies(s.Done.Sub(s.Intended), s.Done.Sub(s.Sent))
}

func (r *recorder) latencies(response, service time.Duration) {
	if !r.record(r.response, response) {
		r.overRange++
	}
	r.record(r.service, service)
}

// record adds d to h and reports whether it was in range. The histogram
// would accept values somewhat past highestLatency (its top bucket is
// wider), so the range is enforced here, where it is documented.
func (r *recorder) record(h *hdrhistogram.Histogram, d time.Duration) bool {
	if int64(d) > highestLatency || h.RecordValue(max(int64(d), 0)) != nil {
		return false
	}
	return true
}

// point is the time-series point that instant t falls in.
func (r *recorder) point(t time.Time) *Point {
	return r.pointAt(pointIndex(r.start, r.interval, t))
}

// pointIndex is the number of the time-series point that instant t falls
// in, for a run that started at start.
func pointIndex(start time.Time, interval time.Duration, t time.Time) int {
	return int(max(t.Sub(start), 0) / interval)
}

func (r *recorder) pointAt(i int) *Point {
	for len(r.points) <= i {
		r.points = append(r.points, Point{Offset: time.Duration(len(r.points)) * r.interval})
	}
	return &r.points[i]
}

// laneWriter is one worker's way into its lane's recorder: it holds the
// figures of the worker's latest decisions and adds them under the lane's
// lock a batch at a time, so that the workers sharing a lane take its lock
// and touch its histograms once per batch, not once per decision. Other
// outcomes, rare, are recorded at once, after the decisions before them.
// The Result is the same: every lane is merged only once its workers have
// flushed. Not safe for concurrent use: one per worker.
type laneWriter struct {
	rec     *recorder
	n       int
	pending [laneBatch]decisionFigures
}

// laneBatch is how many decisions a worker holds before it adds them.
const laneBatch = 64

// decisionFigures are what a decision adds to a recorder.
type decisionFigures struct {
	lag, waited, response, service time.Duration
	point                          int
	accepted                       bool
}

func newLaneWriter(rec *recorder) *laneWriter { return &laneWriter{rec: rec} }

// observe records s, as recorder.observe does.
func (w *laneWriter) observe(s *Sample) {
	k := s.Outcome.Kind
	if k != target.Accepted && k != target.Rejected {
		w.flush()
		w.rec.observe(*s)
		return
	}
	w.pending[w.n] = decisionFigures{
		lag: s.Sent.Sub(s.Intended) - s.Waited, waited: s.Waited,
		response: s.Done.Sub(s.Intended), service: s.Done.Sub(s.Sent),
		point:    pointIndex(w.rec.start, w.rec.interval, s.Done),
		accepted: k == target.Accepted,
	}
	if w.n++; w.n == laneBatch {
		w.flush()
	}
}

// flush adds the decisions held to the recorder.
func (w *laneWriter) flush() {
	if w.n == 0 {
		return
	}
	r := w.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range w.pending[:w.n] {
		f := &w.pending[i]
		r.countLag(f.lag, f.waited)
		point := r.pointAt(f.point)
		if f.accepted {
			r.accepted++
			point.Accepted++
		} else {
			r.rejected++
			point.Rejected++
		}
		r.latencies(f.response, f.service)
	}
	w.n = 0
}

// merge sums the recorders into a Result; FirstError is the first error of
// the lowest-numbered worker that saw one.
func merge(recs []*recorder) Result {
	res := Result{
		Latency: NewLatencyHistogram(), Service: NewLatencyHistogram(), Lag: NewLatencyHistogram(),
		ErrorsByClass: map[string]int64{}, UnknownByClass: map[string]int64{},
	}
	for _, class := range target.ErrorClasses() {
		res.ErrorsByClass[class] = 0
	}
	for _, r := range recs {
		res.Sent += r.sent
		res.Accepted += r.accepted
		res.Rejected += r.rejected
		res.Missed += r.missed
		res.Waited += r.waited
		res.WaitedFor += r.waitedFor
		res.OverRange += r.overRange
		for class, n := range r.unknown {
			res.UnknownByClass[class] += n
			res.Unknown += n
		}
		for class, n := range r.errors {
			res.ErrorsByClass[class] += n
			res.Errors += n
		}
		if res.FirstError == nil {
			res.FirstError = r.firstErr
		}
		// Same geometry on every side, so nothing is ever dropped.
		res.Latency.Merge(r.response)
		res.Service.Merge(r.service)
		res.Lag.Merge(r.lag)
		for i, p := range r.points {
			if i == len(res.Timeseries) {
				res.Timeseries = append(res.Timeseries, Point{Offset: p.Offset})
			}
			res.Timeseries[i].Accepted += p.Accepted
			res.Timeseries[i].Rejected += p.Rejected
			res.Timeseries[i].Errors += p.Errors
			res.Timeseries[i].Unknown += p.Unknown
		}
	}
	return res
}

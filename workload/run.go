// Package workload drives a rate limiter with traffic and records what
// happened: outcomes, errors by class, latency histograms, admissions
// against the limiter's promise, and a time series.
package workload

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlbench/rlbench/target"
)

// Run sends the requests cfg describes and returns what they got. It
// returns an error only for a Config that cannot run (ErrInvalidConfig);
// errors of individual requests are counted in Result.
//
// Cancelling ctx stops new requests; requests already sent finish under
// their own timeout, so that none is cut short and miscounted as an error,
// and Run returns the partial Result with Interrupted set.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg = cfg.withDefaults()
	if cfg.Target == nil {
		return Result{}, fmt.Errorf("%w: no target", ErrInvalidConfig)
	}
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	r := newRunner(cfg)
	if cfg.Pipeline > 1 {
		r.pipelined(ctx)
	} else if cfg.Pacer == nil {
		r.closed(ctx)
	} else {
		r.open(ctx)
	}
	return r.result(), nil
}

// runner is one Run in progress.
type runner struct {
	cfg        Config
	start      time.Time
	inFlight   context.Context // never cancelled: answers are awaited
	cancelled  func() bool
	recs       []*recorder
	workers    int
	admissions *admissions
	scheduled  time.Duration
	endedBy    string // set by open; closed's is worked out in result
	// interrupted is set when a cancellation, not the end of the run,
	// stopped the sending.
	interrupted atomic.Bool
	// stop is closed when the run is cancelled; notBefore holds, per key,
	// when a polite client may send again (HonorRetryAfter), in Unix ns.
	stop      <-chan struct{}
	notBefore sync.Map
}

func newRunner(cfg Config) *runner {
	reorder := max(cfg.Timeout, time.Second)
	return &runner{
		cfg:        cfg,
		admissions: cfg.newAdmissions(reorder),
	}
}

// begin starts the clock and the workers' recorders.
func (r *runner) begin(ctx context.Context, workers int) {
	if wait := time.Until(r.cfg.Start); !r.cfg.Start.IsZero() && wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	r.start = time.Now()
	// A Start already past (Run was called late, or its timer woke late)
	// stays the start, so that a Pacer built for it stays aligned: the
	// slots already due go out at once, and their lag is counted.
	if !r.cfg.Start.IsZero() && r.cfg.Start.Before(r.start) {
		r.start = r.cfg.Start
	}
	r.inFlight = context.WithoutCancel(ctx)
	done := ctx.Done() // read once: the channel itself is polled lock-free
	r.stop = done
	r.cancelled = func() bool {
		select {
		case <-done:
			r.interrupted.Store(true)
			return true
		default:
			return false
		}
	}
	// A recorder's three histograms take about 650 KB; hundreds of open-model
	// workers would spend more memory and GC on them than on the run. Workers
	// share a few recorders instead, one per lane, each behind its own lock,
	// which costs nothing next to a round trip.
	r.recs = make([]*recorder, min(workers, maxLanes()))
	for i := range r.recs {
		r.recs[i] = newRecorder(r.start, r.cfg.Interval, r.cfg.MissAfter)
	}
	r.workers = workers
}

// closed runs Concurrency workers back to back.
func (r *runner) closed(ctx context.Context) {
	r.begin(ctx, r.cfg.Concurrency)
	var issued atomic.Int64
	var capped atomic.Bool
	var wg sync.WaitGroup
	r.endedBy = EndedByDuration
	for w := range r.workers {
		rec := r.recs[w%len(r.recs)]
		wg.Go(func() {
			t := r.cfg.Target
			if pw, ok := t.(target.PerWorker); ok {
				var release io.Closer
				t, release = pw.ForWorker()
				defer func() { _ = release.Close() }()
			}
			d := newDecider(t)
			for !r.cancelled() && (r.cfg.Duration == 0 || time.Since(r.start) < r.cfg.Duration) {
				hit := issued.Add(1) - 1
				if r.cfg.Requests > 0 && hit >= r.cfg.Requests {
					capped.Store(true)
					return
				}
				// No schedule: each request is due when it is sent.
				rec.observe(r.decide(d, uint64(hit), time.Time{}))
			}
		})
	}
	wg.Wait()
	if capped.Load() {
		r.endedBy = EndedByRequests
	}
}

// open sends each request at its slot in the schedule, from MaxInflight
// workers. When all are busy the next request waits for one: its lag is
// recorded, counted as missed past MissAfter, and included in its
// response time.
func (r *runner) open(ctx context.Context) {
	r.begin(ctx, r.cfg.MaxInflight)
	type job struct {
		hit      uint64
		intended time.Time
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := range r.workers {
		rec := r.recs[w%len(r.recs)]
		d := newDecider(r.cfg.Target)
		wg.Go(func() {
			for j := range jobs {
				rec.observe(r.decide(d, j.hit, j.intended))
			}
		})
	}
	timer := time.NewTimer(0)
	<-timer.C
	pastDuration := false // the schedule, not Requests or its own end, reached Duration
send:
	for hit := uint64(0); r.cfg.Requests == 0 || hit < uint64(r.cfg.Requests); hit++ {
		offset, ok := r.cfg.Pacer.At(hit)
		if !ok {
			r.endedBy = EndedBySchedule
			break
		}
		if r.cfg.Duration > 0 && offset >= r.cfg.Duration {
			pastDuration = true
			r.endedBy = EndedByDuration
			break
		}
		intended := r.start.Add(offset)
		r.waitUntil(ctx, timer, intended)
		// The schedule, not the wall clock, says when the run ends: a
		// generator running late still sends every slot, and says so.
		if r.cancelled() {
			break
		}
		// With every worker busy, a cancellation must not wait for one
		// only to hand it one more request.
		select {
		case jobs <- job{hit, intended}:
		case <-ctx.Done():
			r.interrupted.Store(true)
			break send
		}
		r.scheduled = offset
	}
	close(jobs)
	wg.Wait()
	if r.endedBy == "" {
		r.endedBy = EndedByRequests
	}
	if pastDuration {
		r.scheduled = r.cfg.Duration
	} else if rate := r.cfg.Pacer.Rate(r.scheduled); rate > 0 {
		r.scheduled += time.Duration(float64(time.Second) / rate)
	}
}

// waitUntil returns at intended or when ctx is done: it sleeps on timer
// until SpinWait before, then spins, yielding to other goroutines, for
// the rest.
func (r *runner) waitUntil(ctx context.Context, timer *time.Timer, intended time.Time) {
	if sleep := time.Until(intended) - r.cfg.SpinWait; sleep > 0 {
		timer.Reset(sleep)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
	}
	for r.cfg.SpinWait > 0 && time.Now().Before(intended) && ctx.Err() == nil {
		runtime.Gosched()
	}
}

// decider is the target one worker asks, and the same as a SelfTimed
// when it is one.
type decider struct {
	target target.Target
	timed  target.SelfTimed
}

func newDecider(t target.Target) decider {
	timed, _ := t.(target.SelfTimed)
	return decider{t, timed}
}

// decide asks d for one decision for request hit, due at intended, under
// the per-decision timeout: a SelfTimed target keeps it itself, any other
// gets a context with that deadline.
func (r *runner) decide(d decider, hit uint64, intended time.Time) Sample {
	k, cost := r.cfg.request(hit)
	r.admissions.key(k) // asked for, even if never admitted
	var waited time.Duration
	if r.cfg.HonorRetryAfter {
		waited = r.waitRetry(k)
	}
	s := Sample{Key: k, KeyName: r.cfg.keyName(k), Cost: cost, Intended: intended, Sent: time.Now(), Waited: waited}
	if intended.IsZero() {
		s.Intended = s.Sent
	}
	req := target.Request{Key: s.KeyName, KeyIndex: k, Tier: r.cfg.tierName(k), Limit: r.cfg.limitOf(k), Cost: cost, Index: hit}
	switch {
	case r.cfg.Timeout <= 0:
		s.Outcome = d.target.Decide(r.inFlight, req)
	case d.timed != nil:
		s.Outcome = d.timed.DecideBy(r.inFlight, req, s.Sent.Add(r.cfg.Timeout))
	default:
		ctx, cancel := context.WithTimeout(r.inFlight, r.cfg.Timeout)
		s.Outcome = d.target.Decide(ctx, req)
		cancel()
	}
	s.Done = time.Now()
	r.account(k, s)
	return s
}

// account records the outcome of sample s of key k: admissions on the
// target's clock, a polite client's next turn, and the observer.
func (r *runner) account(k int, s Sample) {
	// Admissions count on the target's clock when it says when it decided.
	// A target that does not (an HTTP API) decided at some instant between
	// the send and the answer, on the client's clock: admitUntimed keeps
	// both ends, so that network jitter is never taken for over-admission.
	at, rtt := s.Outcome.Said.At, s.Done.Sub(s.Sent)
	switch s.Outcome.Kind {
	case target.Accepted:
		// Bounds count units, so a request of cost n is n admissions.
		for range s.Cost {
			if at.IsZero() {
				r.admissions.admitUntimed(k, s.Sent, rtt)
			} else {
				r.admissions.admit(k, at)
			}
		}
		fallthrough
	case target.Rejected:
		if at.IsZero() {
			r.admissions.decidedUntimed(rtt)
		} else {
			r.admissions.decided(s.Sent, s.Done, at)
		}
	case target.Unknown:
		r.admissions.unknownOutcome(k, s.Sent, s.Done, s.Cost)
	}
	if r.cfg.HonorRetryAfter && s.Outcome.Kind == target.Rejected &&
		s.Outcome.Said.Has&target.HasRetryAfter != 0 && s.Outcome.Said.RetryAfter > 0 {
		r.retryAt(k, s.Done.Add(s.Outcome.Said.RetryAfter))
	}
	if r.cfg.Observe != nil {
		r.cfg.Observe(s)
	}
}

// waitRetry waits, as a polite client does, until key k may be asked
// again after a rejection that said when; a cancelled run stops the wait.
// It returns how long it waited.
func (r *runner) waitRetry(k int) time.Duration {
	v, ok := r.notBefore.Load(k)
	if !ok {
		return 0
	}
	start := time.Now()
	wait := time.Unix(0, v.(int64)).Sub(start)
	if wait <= 0 {
		return 0
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.stop:
	}
	return time.Since(start)
}

// retryAt records that key k may be asked again at t, keeping the latest.
func (r *runner) retryAt(k int, t time.Time) {
	for {
		old, loaded := r.notBefore.LoadOrStore(k, t.UnixNano())
		if !loaded || old.(int64) >= t.UnixNano() || r.notBefore.CompareAndSwap(k, old, t.UnixNano()) {
			return
		}
	}
}

func (r *runner) result() Result {
	res := merge(r.recs)
	res.Algorithm = r.cfg.Name
	res.Start = r.start
	res.Elapsed = time.Since(r.start)
	res.Interrupted = r.interrupted.Load()
	res.EndedBy = r.endedBy
	if res.Interrupted {
		res.EndedBy = EndedByInterrupt
	}
	res.Interval = r.cfg.Interval
	if r.cfg.Pacer != nil {
		res.Scheduled = r.scheduled
	}
	res.Accuracy = r.admissions.summarise(r.cfg.limitOf, r.cfg.Promise, r.cfg.keyName, r.cfg.tierName)
	return res
}

// maxLanes is how many recorders a run keeps at most.
func maxLanes() int { return 4 * runtime.GOMAXPROCS(0) }

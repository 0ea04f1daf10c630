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
	// which each worker takes once per batch of decisions (laneWriter).
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
			d, lane := newDecider(t), newLaneWriter(rec)
			defer lane.flush()
			for !r.cancelled() && (r.cfg.Duration == 0 || time.Since(r.start) < r.cfg.Duration) {
				hit := issued.Add(1) - 1
				if r.cfg.Requests > 0 && hit >= r.cfg.Requests {
					capped.Store(true)
					return
				}
				// No schedule: each request is due when it is sent.
				s := r.decide(d, uint64(hit), time.Time{})
				lane.observe(&s)
			}
		})
	}
	wg.Wait()
	if capped.Load() {
		r.endedBy = EndedByRequests
	}
}

// open sends each request at its slot in the schedule, from MaxInflight
// workers that take turns at pacing: the worker whose turn it is reads the
// next slot, waits for it, passes the turn to an idle worker and sends that
// request itself, so that no hand-over lies between a slot and its send.
// When all are busy the next slot waits for one to finish: its lag is
// recorded, counted as missed past MissAfter, and included in its response
// time.
func (r *runner) open(ctx context.Context) {
	r.begin(ctx, r.cfg.MaxInflight)
	p := &pacing{turn: make(chan struct{}, 1), timer: time.NewTimer(0), margin: minMargin, yield: runtime.GOMAXPROCS(0) == 1}
	<-p.timer.C
	p.turn <- struct{}{}
	var wg sync.WaitGroup
	for w := range r.workers {
		rec := r.recs[w%len(r.recs)]
		d, lane := newDecider(r.cfg.Target), newLaneWriter(rec)
		wg.Go(func() {
			defer lane.flush()
			for range p.turn {
				hit, intended, ok := r.nextSlot(ctx, p)
				if !ok {
					close(p.turn) // every other worker stops once idle
					return
				}
				p.turn <- struct{}{}
				if r.cfg.SpinWait > 0 {
					spinUntil(intended) // the hand-over lead (nextSlot)
				}
				s := r.decide(d, hit, intended)
				lane.observe(&s)
			}
		})
	}
	wg.Wait()
	if r.endedBy == "" {
		r.endedBy = EndedByRequests
	}
	if p.pastDuration {
		r.scheduled = r.cfg.Duration
	} else if rate := r.cfg.Pacer.Rate(r.scheduled); rate > 0 {
		r.scheduled += time.Duration(float64(time.Second) / rate)
	}
}

// pacing is the open model's schedule in progress, used only by the worker
// whose turn it is: holding the one value of turn is the right to use it.
type pacing struct {
	turn         chan struct{}
	timer        *time.Timer
	next         uint64        // the next slot to send
	pastDuration bool          // the schedule, not Requests or its own end, reached Duration
	margin       time.Duration // how early a precise sleep ends before a slot
	yield        bool          // spin yielding: the only processor is needed by others
}

// nextSlot waits for the next slot of the schedule and returns it, or
// false when the run is over: the schedule ended, Requests or Duration was
// reached, or the run was cancelled.
func (r *runner) nextSlot(ctx context.Context, p *pacing) (hit uint64, intended time.Time, ok bool) {
	hit = p.next
	if r.cfg.Requests > 0 && hit >= uint64(r.cfg.Requests) {
		return 0, time.Time{}, false
	}
	offset, ok := r.cfg.Pacer.At(hit)
	if !ok {
		r.endedBy = EndedBySchedule
		return 0, time.Time{}, false
	}
	if r.cfg.Duration > 0 && offset >= r.cfg.Duration {
		p.pastDuration = true
		r.endedBy = EndedByDuration
		return 0, time.Time{}, false
	}
	intended = r.start.Add(offset)
	// Waking the next worker to pace may take a system call (to start a
	// thread for an idle processor), tens of µs on a virtual machine: the
	// turn is handed on a lead before the slot, and the sender spins the
	// rest, so that this cost falls before the slot, not between the slot
	// and its send. Unless told to spin, the sender spins at most a
	// quarter of the wait for a slot, lead and margin each (see
	// waitUntil): a processor spinning for every slot is one the replies
	// cannot use, and their service times would grow by more than the lag
	// it saves.
	// With one processor there is no hand-over lead: the next worker
	// could not run while the sender spins.
	lead, budget := time.Duration(0), time.Duration(0)
	if r.cfg.SpinWait > 0 {
		budget = max(time.Until(intended)/4, 0)
		lead = min(handOverLead, budget)
		if r.cfg.Spin {
			lead, budget = handOverLead, r.cfg.SpinWait
		}
		if p.yield {
			lead = 0
		}
	}
	r.waitUntil(ctx, p, intended.Add(-lead), budget)
	// The schedule, not the wall clock, says when the run ends: a
	// generator running late still sends every slot, and says so.
	if r.cancelled() {
		return 0, time.Time{}, false
	}
	p.next++
	r.scheduled = offset
	return hit, intended, true
}

// waitUntil returns at intended or when ctx is done: it sleeps on timer
// until SpinWait before, since Go's timers wake up to a millisecond late,
// which would be schedule lag. For the rest it sleeps its thread precisely
// where it can (preciseSleep), waking a margin early that it learns from
// how late its sleeps wake, and spins the margin, or budget if that is
// less; with Spin, or elsewhere, it spins all of it.
func (r *runner) waitUntil(ctx context.Context, p *pacing, intended time.Time, budget time.Duration) {
	if sleep := time.Until(intended) - r.cfg.SpinWait; sleep > 0 {
		p.timer.Reset(sleep)
		select {
		case <-p.timer.C:
		case <-ctx.Done():
			return
		}
	}
	if r.cfg.SpinWait <= 0 {
		return
	}
	for ctx.Err() == nil {
		left := time.Until(intended)
		switch {
		case left <= 0:
			return
		case sleepsPrecisely && !r.cfg.Spin && left > min(p.margin, budget):
			asked := left - min(p.margin, budget)
			preciseSleep(asked)
			p.learn(left - time.Until(intended) - asked)
		case p.yield:
			runtime.Gosched()
		default:
			// Spinning without yielding keeps another goroutine from
			// running into the slot, and keeps this processor out of the
			// run queues, where a yielding spinner is found before the
			// network poller is asked for the replies that are ready.
			spinUntil(intended)
			return
		}
	}
}

// spinUntil returns at t, spinning without yielding.
func spinUntil(t time.Time) {
	for time.Now().Before(t) {
	}
}

// handOverLead is how long before its slot the sender hands the turn on.
const handOverLead = 50 * time.Microsecond

// The margin before a slot at which the sender stops sleeping and spins
// lies between these, starting at the first.
const (
	minMargin = 2 * time.Microsecond
	maxMargin = 100 * time.Microsecond
	// marginStep is how far one sleep moves the margin: up three steps
	// for a sleep that woke later than the margin, down one for any other,
	// so that the margin settles where three sleeps in four wake within it.
	marginStep = 500 * time.Nanosecond
)

// learn moves the margin after a precise sleep that woke late by
// overshoot.
func (p *pacing) learn(overshoot time.Duration) {
	if overshoot > p.margin {
		p.margin = min(p.margin+3*marginStep, maxMargin)
	} else {
		p.margin = max(p.margin-marginStep, minMargin)
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
// target's clock, a polite client's next turn, the oracle and the
// observer.
func (r *runner) account(k int, s Sample) {
	r.track(k, nil, &s)
	if r.cfg.Oracle != nil {
		r.cfg.Oracle.Observe(s)
	}
	if r.cfg.Observe != nil {
		r.cfg.Observe(s)
	}
}

// track records the admissions of sample s of key k and a polite
// client's next turn, with k's tracker ka when the caller has it at hand
// (nil looks it up).
func (r *runner) track(k int, ka *keyAdmissions, s *Sample) {
	// Admissions count on the target's clock when it says when it decided.
	// A target that does not (an HTTP API) decided at some instant between
	// the send and the answer, on the client's clock: admitUntimed keeps
	// both ends, so that network jitter is never taken for over-admission.
	at, rtt := s.Outcome.Said.At, s.Done.Sub(s.Sent)
	switch s.Outcome.Kind {
	case target.Accepted:
		// Bounds count units, so a request of cost n is n admissions.
		if ka == nil {
			ka = r.admissions.key(k)
		}
		for range s.Cost {
			if at.IsZero() {
				r.admissions.admitUntimed(ka, s.Sent, rtt)
			} else {
				r.admissions.admit(ka, at)
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

// maxLanes is how many recorders a run keeps at most: one per processor,
// since workers take a lane's lock once per laneBatch decisions.
func maxLanes() int { return runtime.GOMAXPROCS(0) }

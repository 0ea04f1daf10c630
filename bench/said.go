package bench

import (
	"context"
	"sync"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// resetSlack is how much earlier than it says a declared reset may come:
// the headers give whole seconds, and servers round up (rlbench serve does).
const resetSlack = time.Second

// saidTally checks what a target says in its answers, over one run.
//
// It also checks each answer's remaining allowance against the answer its
// key got before, when nothing but time could have come between the two:
// each of the two was alone in flight (no other request of its key was in
// flight when it was sent, and none was sent before its answer came), so
// the target decided them in that order with nothing of the key between
// (see compare). For that it keeps, per key, the last answer and how many
// requests are in flight.
type saidTally struct {
	mu   sync.Mutex
	said report.Said
	seen bool // a quota was declared
	// cost is the units each request asks for; resetOnly, that the
	// promise gives allowance back only at its reset (a fixed window);
	// shared, that other clients may use the same keys (other generators
	// of the run), so that only what they cannot explain is counted.
	cost      int64
	resetOnly bool
	shared    bool
	keys      map[int]*keyAnswers
}

// keyAnswers is what a tally keeps of one key.
type keyAnswers struct {
	// inFlight counts requests sent and not yet observed; sent those sent
	// since none was in flight.
	inFlight, sent int
	// last is the last answer observed, when it said a remaining allowance
	// (has) and was alone in flight: none other of the key was in flight
	// when it was sent, nor sent before it was observed.
	last answer
	has  bool
	// unsure is set once an answer left its decision in doubt (an error,
	// a timeout, a pass with no remaining said): the target may still be
	// deciding it, at any later time, so the key is checked no more.
	unsure bool
}

// answer is one answer's remaining allowance, and until when its reset
// surely has not come (zero: the answer gave none).
type answer struct {
	remaining int64
	before    time.Time
}

// watchSaid hooks a tally to cfg, after any observer already there: it
// wraps cfg.Target to see each request sent, and cfg.Observe to see each
// answer. shared says other generators may send to the same keys.
func watchSaid(cfg *workload.Config, shared bool) *saidTally {
	t := &saidTally{cost: max(cfg.Cost, 1), resetOnly: algorithms.RefillsOnlyAtReset(cfg.Promise),
		shared: shared, keys: map[int]*keyAnswers{}}
	cfg.Target = saidTarget{cfg.Target, t}
	next := cfg.Observe
	cfg.Observe = func(s workload.Sample) {
		t.observe(s)
		if next != nil {
			next(s)
		}
	}
	return t
}

// saidTarget tells its tally of every request before sending it.
type saidTarget struct {
	target.Target
	tally *saidTally
}

func (s saidTarget) Decide(ctx context.Context, req target.Request) target.Outcome {
	s.tally.sending(req.KeyIndex)
	return s.Target.Decide(ctx, req)
}

// sending counts a request of key k in flight.
func (t *saidTally) sending(k int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.keys[k]
	if a == nil {
		a = &keyAnswers{}
		t.keys[k] = a
	}
	a.inFlight++
	a.sent++
}

// observe tallies one answer. A sample that Waited was sent when a
// Retry-After said it would pass.
func (t *saidTally) observe(s workload.Sample) {
	o := s.Outcome
	said := o.Said
	rejected := o.Kind == target.Rejected
	t.mu.Lock()
	defer t.mu.Unlock()
	t.remaining(s)
	if rejected {
		t.said.Rejected++
		if said.Has&(target.HasRetryAfter|target.HasResetAfter) == 0 {
			t.said.RejectedWithoutRetry++
		}
		if s.Waited > 0 {
			t.said.RetriedRejected++
		}
	}
	if said.Has&target.HasQuota == 0 {
		return
	}
	window := said.QuotaWindow.Microseconds()
	switch {
	case !t.seen:
		t.seen, t.said.DeclaredQuota, t.said.DeclaredWindowUS = true, said.Quota, window
	case said.Quota != t.said.DeclaredQuota || window != t.said.DeclaredWindowUS:
		t.said.QuotaChanges++
	}
}

// remaining checks s against the last answer of its key, and keeps s in
// its place when it says a remaining allowance.
func (t *saidTally) remaining(s workload.Sample) {
	a := t.keys[s.Key]
	if a == nil { // observed without being sent: a test's sample
		a = &keyAnswers{inFlight: 1, sent: 1}
		t.keys[s.Key] = a
	}
	a.inFlight--
	// s was alone in flight: nothing else of its key was in flight when
	// it was sent, nor sent since.
	alone := a.inFlight == 0 && a.sent == 1
	if a.inFlight == 0 {
		a.sent = 0
	}
	said := s.Outcome.Said
	decided := s.Outcome.Kind == target.Accepted || s.Outcome.Kind == target.Rejected
	a.unsure = a.unsure || !decided || said.Has&target.HasRemaining == 0
	// Alone, both: the two were decided in their order, with nothing of
	// their key in between.
	if a.has && alone && !a.unsure {
		t.compare(a.last, s)
	}
	a.has = alone && !a.unsure
	if !a.has {
		return
	}
	a.last = answer{remaining: said.Remaining}
	if said.Has&target.HasResetAfter != 0 {
		// The target decided after s was sent, so its reset comes no
		// sooner than this.
		a.last.before = s.Sent.Add(said.ResetAfter - resetSlack)
	}
}

// compare checks the answer to s against last, the answer before it of
// the same key, with no other request of the key in between: only time
// can have changed the allowance, and time only gives allowance back.
//
//   - remaining that rises: only a reset, or a refill, gives allowance
//     back. Counted only for a promise that refills at its reset alone,
//     and only when s was answered before last's reset could have come.
//   - admitted although last left less than a request's cost: the same.
//   - rejected although last left a request's cost or more: time cannot
//     take allowance away. Counted for any promise, or none, unless other
//     generators share the keys.
func (t *saidTally) compare(last answer, s workload.Sample) {
	t.said.RemainingChecked++
	said := s.Outcome.Said
	notReset := t.resetOnly && !last.before.IsZero() && s.Done.Before(last.before)
	cost := t.cost
	if s.Cost > 0 { // a trace's request has its own
		cost = s.Cost
	}
	if notReset && said.Has&target.HasRemaining != 0 && said.Remaining > last.remaining {
		t.said.RemainingRose++
	}
	switch s.Outcome.Kind {
	case target.Accepted:
		if notReset && last.remaining < cost {
			t.said.RemainingDisagreed++
		}
	case target.Rejected:
		if !t.shared && last.remaining >= cost {
			t.said.RemainingDisagreed++
		}
	}
}

// summary is the tally for the results file.
func (t *saidTally) summary() *report.Said {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.said
	return &s
}

package bench

import (
	"sync"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// saidTally checks what a target says in its answers, over one run.
type saidTally struct {
	mu   sync.Mutex
	said report.Said
	seen bool // a quota was declared
}

// watchSaid hooks a tally to cfg, after any observer already there.
func watchSaid(cfg *workload.Config) *saidTally {
	t := &saidTally{}
	next := cfg.Observe
	cfg.Observe = func(s workload.Sample) {
		t.observe(s.Outcome, s.Waited > 0)
		if next != nil {
			next(s)
		}
	}
	return t
}

// observe tallies one answer; waited says the request was sent when a
// Retry-After said it would pass.
func (t *saidTally) observe(o target.Outcome, waited bool) {
	said := o.Said
	rejected := o.Kind == target.Rejected
	noRetry := rejected && said.Has&(target.HasRetryAfter|target.HasResetAfter) == 0
	quota := said.Has&target.HasQuota != 0
	if !rejected && !quota {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if rejected {
		t.said.Rejected++
	}
	if noRetry {
		t.said.RejectedWithoutRetry++
	}
	if rejected && waited {
		t.said.RetriedRejected++
	}
	if !quota {
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

// summary is the tally for the results file.
func (t *saidTally) summary() *report.Said {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.said
	return &s
}

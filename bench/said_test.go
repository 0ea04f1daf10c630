package bench

import (
	"context"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// TestSaidTally counts rejections without retry information and quota
// changes from the outcomes an HTTP target gives.
func TestSaidTally(t *testing.T) {
	tally := &saidTally{keys: map[int]*keyAnswers{}}
	quota := func(q int64) target.Said {
		return target.Said{Quota: q, QuotaWindow: time.Minute, Has: target.HasQuota}
	}
	for _, o := range []target.Outcome{
		{Kind: target.Accepted, Said: quota(100)},
		{Kind: target.Rejected, Said: target.Said{RetryAfter: time.Second, Has: target.HasRetryAfter}},
		{Kind: target.Rejected},
		{Kind: target.Rejected, Said: quota(100)},
		{Kind: target.Accepted, Said: quota(50)},
		{Kind: target.Accepted},
	} {
		tally.observe(workload.Sample{Outcome: o})
	}
	tally.observe(workload.Sample{Waited: time.Second, Outcome: target.Outcome{Kind: target.Rejected, Said: target.Said{RetryAfter: time.Second, Has: target.HasRetryAfter}}})
	tally.observe(workload.Sample{Waited: time.Second, Outcome: target.Outcome{Kind: target.Accepted}})
	want := report.Said{Rejected: 4, RejectedWithoutRetry: 2, RetriedRejected: 1, DeclaredQuota: 100, DeclaredWindowUS: 60e6, QuotaChanges: 1}
	if got := *tally.summary(); got != want {
		t.Errorf("tally %+v, want %+v", got, want)
	}
}

// step is one event of a run the tally sees: request id of key sent (when
// answer is nil), or its answer, sent and answered at those milliseconds.
type step struct {
	id, key    int
	answer     *target.Outcome
	sent, done int64
}

func send(id, key int) step { return step{id: id, key: key} }

func answered(id, key int, sent, done int64, o target.Outcome) step {
	return step{id: id, key: key, answer: &o, sent: sent, done: done}
}

// said is an answer of kind with a remaining allowance and a reset.
func said(kind target.Kind, remaining int64, reset time.Duration) target.Outcome {
	return target.Outcome{Kind: kind, Said: target.Said{Remaining: remaining, ResetAfter: reset,
		Has: target.HasRemaining | target.HasResetAfter}}
}

// sequential is one key's requests one after another, each sent a
// millisecond after the answer before.
func sequential(answers ...target.Outcome) []step {
	var steps []step
	for i, o := range answers {
		at := int64(2 * i)
		steps = append(steps, send(i, 0), answered(i, 0, at, at+1, o))
	}
	return steps
}

var (
	ok     = target.Accepted
	reject = target.Rejected
	far    = time.Minute
)

// TestSaidRemaining counts remaining that rises, and decisions that
// contradict the remaining before them, exactly when nothing but a lie can
// explain them: not another request of the key in flight between the two
// answers, not a reset that may have come, not a refill.
func TestSaidRemaining(t *testing.T) {
	for _, tt := range []struct {
		name    string
		promise string // "" for none
		shared  bool
		steps   []step
		want    report.Said
	}{
		{"a fixed window that counts down honestly", "fixed", false,
			sequential(said(ok, 2, far), said(ok, 1, far), said(ok, 0, far), said(reject, 0, far), said(reject, 0, far)),
			report.Said{Rejected: 2, RemainingChecked: 4}},
		{"5, 4, 7 within one fixed window", "fixed", false,
			sequential(said(ok, 5, far), said(ok, 4, far), said(ok, 7, far)),
			report.Said{RemainingChecked: 2, RemainingRose: 1}},
		{"5, 4, 7 under a bucket's promise: refilled", "token", false,
			sequential(said(ok, 5, far), said(ok, 4, far), said(ok, 7, far)),
			report.Said{RemainingChecked: 2}},
		{"5, 4, 7 with no promise: may have refilled", "", false,
			sequential(said(ok, 5, far), said(ok, 4, far), said(ok, 7, far)),
			report.Said{RemainingChecked: 2}},
		{"a rise after the reset said", "fixed", false,
			sequential(said(ok, 0, time.Second), said(ok, 9, far)),
			report.Said{RemainingChecked: 1}},
		{"a rise within the second a reset rounded up may hide", "fixed", false,
			sequential(said(ok, 1, 1002*time.Millisecond), said(ok, 9, far)),
			report.Said{RemainingChecked: 1}},
		{"a rise before the reset said, rounding aside", "fixed", false,
			sequential(said(ok, 1, 1004*time.Millisecond), said(ok, 9, far)),
			report.Said{RemainingChecked: 1, RemainingRose: 1}},
		{"a rise with no reset said", "fixed", false,
			sequential(said(ok, 1, 0), target.Outcome{Kind: ok, Said: target.Said{Remaining: 5, Has: target.HasRemaining}}),
			report.Said{RemainingChecked: 1}},
		{"admitted after remaining 0, reset 60s away", "fixed", false,
			sequential(said(ok, 0, far), said(ok, 0, far)),
			report.Said{RemainingChecked: 1, RemainingDisagreed: 1}},
		{"admitted after a rejection, reset 60s away", "fixed", false,
			sequential(said(reject, 0, far), said(ok, 3, far)),
			report.Said{Rejected: 1, RemainingChecked: 1, RemainingRose: 1, RemainingDisagreed: 1}},
		{"admitted after remaining 0 under gcra's promise: refilled", "gcra", false,
			sequential(said(ok, 0, far), said(ok, 0, far)),
			report.Said{RemainingChecked: 1}},
		{"rejected after remaining 3", "sliding", false,
			sequential(said(ok, 3, far), said(reject, 0, far)),
			report.Said{Rejected: 1, RemainingChecked: 1, RemainingDisagreed: 1}},
		{"rejected after remaining 3, no promise", "", false,
			sequential(said(ok, 3, far), said(reject, 0, far)),
			report.Said{Rejected: 1, RemainingChecked: 1, RemainingDisagreed: 1}},
		{"rejected after remaining 3, keys shared with other generators", "fixed", true,
			sequential(said(ok, 3, far), said(reject, 0, far)),
			report.Said{Rejected: 1, RemainingChecked: 1}},
		{"rejected after remaining 1: the last", "fixed", false,
			sequential(said(ok, 1, far), said(ok, 0, far), said(reject, 0, far)),
			report.Said{Rejected: 1, RemainingChecked: 2}},
		{"another request in flight when the first answer came", "fixed", false, []step{
			send(0, 0), send(1, 0),
			answered(0, 0, 0, 1, said(ok, 3, far)),
			send(2, 0),
			answered(1, 0, 0, 2, said(ok, 2, far)),
			answered(2, 0, 2, 3, said(reject, 0, far)),
		}, report.Said{Rejected: 1}},
		{"another request sent between the two", "fixed", false, []step{
			send(0, 0),
			answered(0, 0, 0, 1, said(ok, 3, far)),
			send(1, 0), send(2, 0),
			answered(1, 0, 2, 3, said(ok, 2, far)),
			answered(2, 0, 2, 4, said(reject, 0, far)),
		}, report.Said{Rejected: 1}},
		{"the next request sent before the answer came", "fixed", false, []step{
			send(0, 0), send(1, 0),
			answered(0, 0, 0, 2, said(ok, 0, far)),
			answered(1, 0, 1, 3, said(ok, 5, far)),
		}, report.Said{}},
		{"another key's request in between", "fixed", false, []step{
			send(0, 0),
			answered(0, 0, 0, 1, said(ok, 3, far)),
			send(1, 1), send(2, 0),
			answered(2, 0, 2, 3, said(reject, 0, far)),
			answered(1, 1, 2, 4, said(ok, 3, far)),
		}, report.Said{Rejected: 1, RemainingChecked: 1, RemainingDisagreed: 1}},
		{"an error in between, which may have been decided", "fixed", false,
			sequential(said(ok, 3, far), target.Outcome{Kind: target.Unknown}, said(reject, 0, far)),
			report.Said{Rejected: 1}},
		{"a pass that says no remaining: the key is checked no more", "fixed", false,
			sequential(said(ok, 3, far), target.Outcome{Kind: ok}, said(ok, 2, far), said(reject, 0, far)),
			report.Said{Rejected: 1}},
		{"a failure, which the target may still be deciding: the key is checked no more", "fixed", false,
			sequential(said(ok, 3, far), target.Outcome{Kind: target.Failed}, said(ok, 2, far), said(reject, 0, far)),
			report.Said{Rejected: 1}},
		{"another request sent while the first was in flight, answered before it", "fixed", false, []step{
			send(0, 0), send(1, 0),
			answered(1, 0, 0, 1, said(ok, 2, far)),
			answered(0, 0, 0, 2, said(ok, 3, far)),
			send(2, 0),
			answered(2, 0, 3, 4, said(reject, 0, far)),
		}, report.Said{Rejected: 1}},
		{"another request sent while the second was in flight, answered before it", "fixed", false, []step{
			send(0, 0),
			answered(0, 0, 0, 1, said(ok, 3, far)),
			send(1, 0), send(2, 0),
			answered(2, 0, 2, 3, said(ok, 2, far)),
			answered(1, 0, 2, 4, said(reject, 0, far)),
		}, report.Said{Rejected: 1}},
		{"sequential again once the key is quiet", "fixed", false, []step{
			send(0, 0), send(1, 0),
			answered(0, 0, 0, 1, said(ok, 3, far)),
			answered(1, 0, 0, 2, said(ok, 2, far)),
			send(2, 0),
			answered(2, 0, 3, 4, said(ok, 1, far)),
			send(3, 0),
			answered(3, 0, 5, 6, said(reject, 0, far)),
		}, report.Said{Rejected: 1, RemainingChecked: 1, RemainingDisagreed: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := workload.Config{Target: nothing{}}
			if tt.promise != "" {
				p, err := algorithms.New(tt.promise, nil, algorithms.Options{})
				if err != nil {
					t.Fatal(err)
				}
				cfg.Promise = p
			}
			tally := watchSaid(&cfg, tt.shared)
			start := time.Unix(1_700_000_000, 0)
			ms := func(n int64) time.Time { return start.Add(time.Duration(n) * time.Millisecond) }
			for _, s := range tt.steps {
				if s.answer == nil {
					cfg.Target.Decide(context.Background(), target.Request{Key: "k", KeyIndex: s.key})
					continue
				}
				cfg.Observe(workload.Sample{Key: s.key, Intended: ms(s.sent), Sent: ms(s.sent), Done: ms(s.done), Outcome: *s.answer})
			}
			if got := *tally.summary(); got != tt.want {
				t.Errorf("tally %+v\nwant  %+v", got, tt.want)
			}
		})
	}
}

// nothing is a target the test answers itself.
type nothing struct{}

func (nothing) Decide(context.Context, target.Request) target.Outcome { return target.Outcome{} }

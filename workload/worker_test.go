package workload

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// perWorker is a target.PerWorker whose instances are target.SelfTimed:
// it records what the engine asked of it.
type perWorker struct {
	mu       sync.Mutex
	made     int
	released int
	decided  int // by Decide, with the context's deadline (if any) checked
	timed    int // by DecideBy
	badDue   int // deadlines outside [sent, sent+timeout]
	timeout  time.Duration
}

func (p *perWorker) Decide(context.Context, target.Request) target.Outcome {
	panic("the shared instance decided: every closed-model worker has its own")
}

func (p *perWorker) ForWorker() (target.Target, io.Closer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.made++
	w := &timedWorker{p: p}
	return w, w
}

type timedWorker struct{ p *perWorker }

func (w *timedWorker) Decide(ctx context.Context, _ target.Request) target.Outcome {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.decided++
	if _, ok := ctx.Deadline(); ok {
		w.p.badDue++ // with no timeout there is no deadline
	}
	return target.Outcome{Kind: target.Accepted}
}

func (w *timedWorker) DecideBy(_ context.Context, _ target.Request, deadline time.Time) target.Outcome {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.timed++
	if until := time.Until(deadline); until > w.p.timeout || until < -time.Second {
		w.p.badDue++
	}
	return target.Outcome{Kind: target.Accepted}
}

func (w *timedWorker) Close() error {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.released++
	return nil
}

// The closed model asks a PerWorker for one instance per worker, releases
// each, and lets a SelfTimed instance keep the timeout itself.
func TestRunPerWorkerSelfTimed(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Second} {
		p := &perWorker{timeout: timeout}
		res, err := Run(t.Context(), Config{
			Target: p, Name: "w", Key: "k", Concurrency: 4, Requests: 200, Timeout: timeout,
			Limit: algorithms.Limit{Requests: 1000, Window: time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		if p.made != 4 || p.released != 4 {
			t.Errorf("timeout %v: %d instances made and %d released for 4 workers, want 4 and 4", timeout, p.made, p.released)
		}
		want := [2]int{200, 0} // by Decide, by DecideBy
		if timeout > 0 {
			want = [2]int{0, 200}
		}
		if got := [2]int{p.decided, p.timed}; got != want || res.Accepted != 200 {
			t.Errorf("timeout %v: %d decided, %d by deadline, %d accepted; want %d, %d, 200", timeout, got[0], got[1], res.Accepted, want[0], want[1])
		}
		if p.badDue > 0 {
			t.Errorf("timeout %v: %d decisions with the wrong deadline", timeout, p.badDue)
		}
	}
}

// deadlineSeen is a plain Target that records whether each decision's
// context had a deadline.
type deadlineSeen struct {
	mu      sync.Mutex
	without int
}

func (d *deadlineSeen) Decide(ctx context.Context, _ target.Request) target.Outcome {
	if _, ok := ctx.Deadline(); !ok {
		d.mu.Lock()
		d.without++
		d.mu.Unlock()
	}
	return target.Outcome{Kind: target.Rejected}
}

// A target that keeps no deadline itself still gets one per decision.
func TestRunTimeoutForAPlainTarget(t *testing.T) {
	d := &deadlineSeen{}
	if _, err := Run(t.Context(), Config{
		Target: d, Name: "plain", Key: "k", Concurrency: 2, Requests: 50, Timeout: time.Second,
		Limit: algorithms.Limit{Requests: 10, Window: time.Second},
	}); err != nil {
		t.Fatal(err)
	}
	if d.without > 0 {
		t.Errorf("%d of 50 decisions had no deadline under a timeout of 1s", d.without)
	}
}

// nothing is a SelfTimed target that allocates nothing: what a decision
// through the engine allocates is then the engine's alone.
type nothing struct{ at time.Time }

func (n nothing) Decide(context.Context, target.Request) target.Outcome {
	return target.Outcome{Kind: target.Accepted, Said: target.Said{At: n.at, Has: target.HasRemaining}}
}

func (n nothing) DecideBy(ctx context.Context, req target.Request, _ time.Time) target.Outcome {
	return n.Decide(ctx, req)
}

// TestRunnerDecisionAllocs holds the engine to no allocation of its own
// per decision of the closed model under a timeout: the decision, its
// accounting (admissions on one key) and its recording. Each case runs a
// few thousand decisions, so that a slice that grows now and then counts
// for nothing; one allocation per decision would count for one.
func TestRunnerDecisionAllocs(t *testing.T) {
	tests := []struct {
		name   string
		target target.Target
	}{
		{"self-timed", nothing{at: time.Now()}},
		{"context per decision (as before SelfTimed)", plainNothing{nothing{at: time.Now()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(Config{
				Target: tt.target, Name: "allocs", Key: "k", Concurrency: 1, Requests: 1, Timeout: time.Second,
				Limit: algorithms.Limit{Requests: math.MaxInt32, Window: time.Hour},
			}.withDefaults())
			r.begin(t.Context(), 1)
			d, lane := newDecider(tt.target), newLaneWriter(r.recs[0])
			var hit uint64
			allocs := testing.AllocsPerRun(5000, func() {
				s := r.decide(d, hit, time.Time{})
				lane.observe(&s)
				hit++
			})
			lane.flush()
			if res := r.result(); res.Sent != 5001 {
				t.Errorf("recorded %d decisions, want 5001", res.Sent)
			}
			t.Logf("%s: %.0f allocations per decision", tt.name, allocs)
			_, plain := tt.target.(plainNothing)
			if !plain && allocs > 0 {
				t.Errorf("the engine allocates %.0f per decision, want 0", allocs)
			}
			if plain && allocs == 0 {
				t.Error("a context per decision allocates nothing: is this test measuring anything?")
			}
		})
	}
}

// plainNothing is nothing without DecideBy.
type plainNothing struct{ n nothing }

func (p plainNothing) Decide(ctx context.Context, req target.Request) target.Outcome {
	return p.n.Decide(ctx, req)
}

// clockNothing admits at once, saying it decided now: the engine's whole
// accounting of a Redis limiter (admissions on the target's clock), with
// no round trip.
type clockNothing struct{}

func (clockNothing) Decide(context.Context, target.Request) target.Outcome {
	return target.Outcome{Kind: target.Accepted, Said: target.Said{At: time.Now(), Has: target.HasRemaining}}
}

func (c clockNothing) DecideBy(ctx context.Context, req target.Request, _ time.Time) target.Outcome {
	return c.Decide(ctx, req)
}

// BenchmarkRunOverheadTimed is the engine's own CPU per decision as
// rlbench run drives a Redis limiter (a self-timed target under the 1 s
// default timeout, decisions on the target's clock, one hot key): the
// time per op is what the engine adds to each round trip.
func BenchmarkRunOverheadTimed(b *testing.B) {
	for _, workers := range []int{1, 50} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			_, err := Run(b.Context(), Config{
				Target: clockNothing{}, Name: "nothing", Limit: algorithms.Limit{Requests: math.MaxInt32, Window: time.Second},
				Key: "bench", Concurrency: workers, Requests: int64(b.N), Timeout: time.Second,
				MissAfter: DefaultMissAfter, SpinWait: DefaultSpinWait,
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

package workload

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// oracleEpoch is a whole second, so that aligned windows start on it.
var oracleEpoch = time.Unix(1_700_000_000, 0)

// step is one decision of a hand-built sequence: at ms after oracleEpoch,
// the outcome the target gave ('A' admitted, 'R' rejected, 'U' unknown).
type step struct {
	ms      int64
	outcome byte
}

func (s step) sample(key int) Sample {
	at := oracleEpoch.Add(time.Duration(s.ms) * time.Millisecond)
	o := target.Outcome{Said: target.Said{At: at}}
	switch s.outcome {
	case 'A':
		o.Kind = target.Accepted
	case 'R':
		o.Kind = target.Rejected
	case 'U':
		o = target.Outcome{Kind: target.Unknown, Class: target.ClassTimeout}
	}
	return Sample{Key: key, KeyName: "k", Intended: at, Sent: at, Done: at, Outcome: o}
}

// judgeSteps judges steps, observed in the order given, by policy at
// limit; the time series must add up to the sure figures.
func judgeSteps(t *testing.T, policy string, limit algorithms.Limit, steps []step) *report.Oracle {
	t.Helper()
	o, err := NewOracle(Config{Key: "k", Limit: limit}, policy, oracleEpoch)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		o.Observe(s.sample(0))
	}
	rep, err := o.Report()
	if err != nil {
		t.Fatal(err)
	}
	var allows, denies int64
	for _, p := range rep.Timeseries.Points {
		allows, denies = allows+p.FalseAllows, denies+p.FalseDenies
	}
	if allows != rep.FalseAllows || denies != rep.FalseDenies {
		t.Fatalf("the time series counts %d false allows and %d false denies, the totals %d and %d", allows, denies, rep.FalseAllows, rep.FalseDenies)
	}
	return rep
}

type oracleFigures struct{ fa, faMost, fd, fdMost int64 }

func figures(o *report.Oracle) oracleFigures {
	return oracleFigures{o.FalseAllows, o.FalseAllowsAtMost, o.FalseDenies, o.FalseDeniesAtMost}
}

// TestOracleHandBuilt judges sequences whose false allows and denies are
// counted by hand, for each policy at 2 per second.
func TestOracleHandBuilt(t *testing.T) {
	limit := algorithms.Limit{Requests: 2, Window: time.Second}
	for _, tt := range []struct {
		policy string
		steps  []step
		want   oracleFigures
	}{
		// The third in (−0.8 s, 200 ms] is a false allow; at 500 ms three
		// are in the window, so a rejection is right; at 1150 ms only the
		// one at 200 ms is, so a rejection is wrong.
		{"sliding", []step{{0, 'A'}, {100, 'A'}, {200, 'A'}, {500, 'R'}, {1150, 'R'}, {2500, 'A'}}, oracleFigures{1, 1, 1, 1}},
		// A window of its own from 1000 ms on: the rejection there is wrong.
		{"fixed", []step{{900, 'A'}, {950, 'A'}, {999, 'A'}, {1000, 'R'}, {1001, 'A'}, {1002, 'A'}}, oracleFigures{1, 1, 1, 1}},
		// Two tokens, one back every 500 ms: 0.4 left at 200 ms, so the
		// third is a false allow (−0.6); 2 again at 1500 ms.
		{"token", []step{{0, 'A'}, {100, 'A'}, {200, 'A'}, {1500, 'R'}}, oracleFigures{1, 1, 1, 1}},
		// An interval of 500 ms, a burst of 2: the theoretical arrival time
		// is 1000 ms after two, 800 ms ahead at 200 ms (refused), 1500 ms
		// after the third, allowed again from 1000 ms on.
		{"gcra", []step{{0, 'A'}, {100, 'A'}, {200, 'A'}, {999, 'R'}, {1000, 'R'}}, oracleFigures{1, 1, 1, 1}},
	} {
		t.Run(tt.policy, func(t *testing.T) {
			rep := judgeSteps(t, tt.policy, limit, tt.steps)
			if got := figures(rep); got != tt.want {
				t.Errorf("false allows, at most, false denies, at most: %+v, want %+v", got, tt.want)
			}
			if rep.Judged != int64(len(tt.steps)) {
				t.Errorf("judged %d, want %d", rep.Judged, len(tt.steps))
			}
			if want := 100 * float64(tt.want.fa) / float64(len(tt.steps)); rep.FalseAllowsPct != want {
				t.Errorf("false allows %v %%, want %v", rep.FalseAllowsPct, want)
			}
		})
	}
}

// fixedEdge is a fixed window of 100 a second deciding 100 requests in the
// last 100 ms of one window, 100 in the first 100 ms of the next, and 100
// in the 50 ms after: as its reference model decides them.
func fixedEdge(t testing.TB) []step {
	m, err := algorithms.NewModel[string]("fixed", algorithms.Limit{Requests: 100, Window: time.Second}, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var steps []step
	for ms := int64(900); ms < 1150; ms++ {
		for range 1 + ms/1100 { // 1100..1149 twice
			d, err := m.AllowN(oracleEpoch.Add(time.Duration(ms)*time.Millisecond), "k", 1)
			if err != nil {
				t.Fatal(err)
			}
			s := step{ms, 'R'}
			if d.Allowed {
				s.outcome = 'A'
			}
			steps = append(steps, s)
		}
	}
	return steps
}

// TestOracleFixedAcrossBoundary judges a fixed window by the sliding
// policy: the second window's 100 admissions are all false allows, the
// 100 rejections after them right.
func TestOracleFixedAcrossBoundary(t *testing.T) {
	steps := fixedEdge(t)
	rep := judgeSteps(t, "sliding", algorithms.Limit{Requests: 100, Window: time.Second}, steps)
	if got, want := figures(rep), (oracleFigures{100, 100, 0, 0}); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}
	if rep.AdmittedByTarget != 200 || rep.AdmittedByPolicy != 100 {
		t.Errorf("admitted by target %d, by policy %d; want 200 and 100", rep.AdmittedByTarget, rep.AdmittedByPolicy)
	}
	// Windows 0 s (target 100, policy 100) and 1 s (100 against 0): the
	// target admitted 100 more than the policy's 100.
	if rep.RateWindows != 2 || rep.RateDiffPct != 100 {
		t.Errorf("rate windows %d, diff %v %%; want 2 and 100", rep.RateWindows, rep.RateDiffPct)
	}
	// Every false allow was sent in the run's second second.
	want := []report.OraclePoint{{TUS: 0}, {TUS: 1e6, FalseAllows: 100}}
	if got := rep.Timeseries.Points; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("time series %+v, want %+v", got, want)
	}
	// The fixed window judged by its own rule makes no mistake.
	if got := figures(judgeSteps(t, "fixed", algorithms.Limit{Requests: 100, Window: time.Second}, steps)); got != (oracleFigures{}) {
		t.Errorf("judged by fixed: %+v, want none", got)
	}
}

// TestOracleUnknownInterval counts an unknown outcome both ways.
func TestOracleUnknownInterval(t *testing.T) {
	limit := algorithms.Limit{Requests: 1, Window: time.Second}
	for _, tt := range []struct {
		name  string
		steps []step
		want  oracleFigures
	}{
		// Admitted, the unknown one makes the admission at 500 ms wrong;
		// rejected, it would have been wrongly rejected.
		{"then admitted", []step{{0, 'U'}, {500, 'A'}, {600, 'R'}}, oracleFigures{0, 1, 0, 1}},
		// The rejection at 500 ms is wrong unless the unknown one was
		// admitted; the unknown one itself may have been wrongly rejected.
		{"then rejected", []step{{0, 'U'}, {500, 'R'}}, oracleFigures{0, 0, 0, 2}},
		// A window later the unknown one has left it: the rejection at
		// 1000 ms is surely wrong, the admission after it surely right.
		{"then a window later", []step{{0, 'U'}, {1000, 'R'}, {1001, 'A'}}, oracleFigures{0, 0, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := judgeSteps(t, "sliding", limit, tt.steps)
			if got := figures(rep); got != tt.want {
				t.Errorf("%+v, want %+v", got, tt.want)
			}
			if rep.Unknown != 1 {
				t.Errorf("unknown %d, want 1", rep.Unknown)
			}
		})
	}
}

// TestOracleOutOfOrder judges answers that arrive shuffled within the
// reorder allowance as it judges them in order, and counts one that
// arrives after it as late.
func TestOracleOutOfOrder(t *testing.T) {
	limit := algorithms.Limit{Requests: 100, Window: time.Second}
	steps := fixedEdge(t)
	inOrder := judgeSteps(t, "sliding", limit, steps)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 5 {
		shuffled := append([]step(nil), steps...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := judgeSteps(t, "sliding", limit, shuffled)
		if figures(got) != figures(inOrder) || got.Late != 0 || got.RateDiffPct != inOrder.RateDiffPct {
			t.Fatalf("round %d: %+v, late %d; in order %+v", round, figures(got), got.Late, figures(inOrder))
		}
	}

	// Judged up to 500 ms once 3000 ms is seen (a hold of 1 s): 100 ms
	// comes too late, and is judged at once.
	late := judgeSteps(t, "sliding", algorithms.Limit{Requests: 1, Window: time.Second},
		[]step{{0, 'A'}, {500, 'R'}, {3000, 'A'}, {100, 'A'}})
	if late.Late != 1 || late.Judged != 4 {
		t.Errorf("late %d of %d, want 1 of 4", late.Late, late.Judged)
	}
}

// TestOracleInOrder judges decisions that come in the order of their
// instants at once, as a hold would judge them: admissions before
// rejections at one instant, whatever order they came in, and the same
// figures for every policy, unknown outcomes included.
func TestOracleInOrder(t *testing.T) {
	limit := algorithms.Limit{Requests: 2, Window: time.Second}
	sequences := map[string][]step{
		"fixed edge":       fixedEdge(t),
		"rejection first":  {{0, 'A'}, {100, 'R'}, {100, 'A'}, {100, 'R'}, {400, 'A'}, {1050, 'R'}, {1050, 'A'}, {1100, 'A'}},
		"unknown outcomes": {{0, 'U'}, {10, 'A'}, {10, 'U'}, {20, 'R'}, {990, 'A'}, {1000, 'R'}, {1015, 'A'}, {2500, 'U'}, {2500, 'A'}},
		"a window between": {{0, 'A'}, {0, 'A'}, {0, 'A'}, {5000, 'R'}, {5000, 'A'}, {5001, 'A'}, {5001, 'A'}},
	}
	for name, steps := range sequences {
		for _, policy := range algorithms.JudgeNames() {
			held := judgeSteps(t, policy, limit, steps)
			o, err := NewOracle(Config{Key: "k", Limit: limit}, policy, oracleEpoch)
			if err != nil {
				t.Fatal(err)
			}
			o.InOrder()
			for _, s := range steps {
				o.Observe(s.sample(0))
			}
			got, err := o.Report()
			if err != nil {
				t.Fatal(err)
			}
			if got.HoldUS != 1 {
				t.Errorf("%s, %s: hold %d µs, want 1", name, policy, got.HoldUS)
			}
			got.HoldUS = held.HoldUS
			if !reflect.DeepEqual(got, held) {
				t.Errorf("%s, %s: in order %+v, held %+v", name, policy, got, held)
			}
		}
	}
}

// TestOracleSlidingOnRedis judges the sliding log on a real redis-server,
// 32 workers racing for a few keys, by the sliding policy: no mistake.
func TestOracleSlidingOnRedis(t *testing.T) {
	rdb := e2eClient(t)
	limit := algorithms.Limit{Requests: 20, Window: 200 * time.Millisecond}
	l := e2eLimiter(t, "sliding", rdb, limit)
	cfg := Config{Target: target.Limiter(l), Promise: l, Name: "sliding", Limit: limit,
		Key: "oracle", Keys: roundRobin(4), Concurrency: 32, Requests: 4000}
	o, err := NewOracle(cfg, "sliding", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Observe = o.Observe
	res := runE2E(t, cfg)
	rep, err := o.Report()
	if err != nil {
		t.Fatal(err)
	}
	if rep.Judged != res.Accepted+res.Rejected || res.Rejected == 0 {
		t.Fatalf("judged %d of %d accepted and %d rejected; want all, some rejected", rep.Judged, res.Accepted, res.Rejected)
	}
	if got := figures(rep); got != (oracleFigures{}) || rep.Late != 0 {
		t.Errorf("%+v, late %d; want no mistake", got, rep.Late)
	}
	if rep.AdmittedByTarget != res.Accepted {
		t.Errorf("admitted by target %d, accepted %d", rep.AdmittedByTarget, res.Accepted)
	}
}

// roundRobin is n keys in turn.
type roundRobin int

func (r roundRobin) Key(i uint64) int { return int(i % uint64(r)) }
func (r roundRobin) N() int           { return int(r) }

// BenchmarkOracle is one decision observed and judged by the sliding
// policy, from a sliding log of 100 a second at 10 keys and 1500 a
// second, as `simulate --oracle` sees them: held for a second, as from a
// run, and in order, as in a simulation.
func BenchmarkOracle(b *testing.B) {
	limit := algorithms.Limit{Requests: 100, Window: time.Second}
	m, err := algorithms.NewModel[string]("sliding", limit, algorithms.Options{})
	if err != nil {
		b.Fatal(err)
	}
	names := make([]string, 10)
	for i := range names {
		names[i] = "k:" + string(rune('0'+i))
	}
	samples := make([]Sample, 1<<14)
	now := oracleEpoch
	for i := range samples {
		now = now.Add(time.Second / 1500)
		d, err := m.AllowN(now, names[i%10], 1)
		if err != nil {
			b.Fatal(err)
		}
		samples[i] = Sample{Key: i % 10, Sent: now, Outcome: target.Decided(d)}
	}
	span := now.Sub(oracleEpoch) + time.Second/1500
	for _, inOrder := range []bool{false, true} {
		name := "held"
		if inOrder {
			name = "in-order"
		}
		b.Run(name, func(b *testing.B) {
			o, err := NewOracle(Config{Key: "k", Limit: limit, Keys: roundRobin(10)}, "sliding", oracleEpoch)
			if err != nil {
				b.Fatal(err)
			}
			if inOrder {
				o.InOrder()
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s := samples[i%len(samples)]
				// Each pass over the samples comes a span later.
				shift := time.Duration(i/len(samples)) * span
				s.Sent = s.Sent.Add(shift)
				s.Outcome.Said.At = s.Outcome.Said.At.Add(shift)
				o.Observe(s)
				i++
			}
		})
	}
}

package algorithms_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// TestJudgeAgreesWithModel tells each judge of its model's own admissions
// on random calls: it must allow exactly what the model allows.
func TestJudgeAgreesWithModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	epoch := time.Unix(1_700_000_000, 0)
	for _, name := range algorithms.JudgeNames() {
		for round := range 40 {
			limit := algorithms.Limit{Requests: 1 + rng.Int64N(50), Window: time.Duration(1+rng.Int64N(5000)) * time.Millisecond}
			if name == "token" || name == "gcra" {
				limit.Burst = rng.Int64N(3) * limit.Requests
			}
			m, err := algorithms.NewModel[string](name, limit, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			j, err := algorithms.NewJudge(name, limit)
			if err != nil {
				t.Fatal(err)
			}
			now := epoch.UnixMicro()
			for call := range 2000 {
				now += rng.Int64N(2 * limit.Window.Microseconds() / limit.Requests)
				n := 1 + rng.Int64N(3)
				allows := j.Allows(now, n)
				d, err := m.AllowN(time.UnixMicro(now), "k", n)
				if err != nil {
					t.Fatal(err)
				}
				if allows != d.Allowed {
					t.Fatalf("%s %+v round %d call %d: judge allows %v, model %v", name, limit, round, call, allows, d.Allowed)
				}
				if d.Allowed {
					j.Admit(now, n)
				}
			}
		}
	}
}

// TestJudgeOnAdmissionsItForbade holds each judge to what follows an
// admission it would not have allowed, counted by hand.
func TestJudgeOnAdmissionsItForbade(t *testing.T) {
	ms := int64(time.Millisecond / time.Microsecond)
	limit := algorithms.Limit{Requests: 2, Window: time.Second}
	type ask struct {
		at    int64 // ms
		allow bool
	}
	for _, tt := range []struct {
		name string
		asks []ask // each one admitted after it is judged
	}{
		// The third in the window is forbidden, and still counts: at 1000
		// ms the trailing second (0, 1000] holds 100 and 200.
		{"sliding", []ask{{0, true}, {100, true}, {200, false}, {1000, false}, {2001, true}}},
		// A window of its own from 1000 ms on.
		{"fixed", []ask{{0, true}, {100, true}, {200, false}, {999, false}, {1000, true}, {1001, true}, {1999, false}}},
		// Two tokens, one back every 500 ms: 0.4 left at 200 ms, and the
		// third takes it to -0.6; at 899 ms 0.798 (1.798 had it not
		// counted), and the fourth to -0.202; 1.02 at 1510 ms.
		{"token", []ask{{0, true}, {100, true}, {200, false}, {899, false}, {1510, true}}},
		// An interval of 500 ms, a burst of 2: after three at 0..200 the
		// theoretical arrival time is 1500 ms, 501 ms ahead at 999 ms
		// (more than one interval: refused), then 2000 ms, allowed from
		// 1500 ms on.
		{"gcra", []ask{{0, true}, {100, true}, {200, false}, {999, false}, {1500, true}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j, err := algorithms.NewJudge(tt.name, limit)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.asks {
				if got := j.Allows(a.at*ms, 1); got != a.allow {
					t.Fatalf("ask %d at %d ms: allows %v, want %v", i, a.at, got, a.allow)
				}
				j.Admit(a.at*ms, 1)
			}
		})
	}
}

// TestJudgeClone checks a clone's state is its own.
func TestJudgeClone(t *testing.T) {
	for _, name := range algorithms.JudgeNames() {
		j, err := algorithms.NewJudge(name, algorithms.Limit{Requests: 1, Window: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		c := j.Clone()
		c.Admit(0, 1)
		if !j.Allows(1, 1) || c.Allows(1, 1) {
			t.Errorf("%s: the original allows %v (want true), the clone %v (want false)", name, j.Allows(1, 1), c.Allows(1, 1))
		}
	}
}

func TestNewJudgeRejects(t *testing.T) {
	if _, err := algorithms.NewJudge("leaky", algorithms.Limit{Requests: 1, Window: time.Second}); !errors.Is(err, algorithms.ErrUnknownAlgorithm) {
		t.Errorf("leaky: %v, want ErrUnknownAlgorithm", err)
	}
	if _, err := algorithms.NewJudge("sliding", algorithms.Limit{}); err == nil {
		t.Error("a zero limit was accepted")
	}
}

// BenchmarkJudge is one judged admission of one key, each policy.
func BenchmarkJudge(b *testing.B) {
	for _, name := range algorithms.JudgeNames() {
		b.Run(name, func(b *testing.B) {
			j, err := algorithms.NewJudge(name, algorithms.Limit{Requests: 100, Window: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			now := int64(1_700_000_000_000_000)
			for b.Loop() {
				now += 7000
				if j.Allows(now, 1) {
					j.Admit(now, 1)
				}
			}
		})
	}
}

// TestSlidingJudgeRing checks the sliding judge's ring against a plain
// list of the units in its log, trimmed as the script trims its list, on
// admissions it allows and forbids, several at an instant, a clock that
// steps back, and a log that empties and grows.
func TestSlidingJudgeRing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	limit := algorithms.Limit{Requests: 7, Window: 10 * time.Millisecond}
	w := limit.Window.Microseconds()
	j, err := algorithms.NewJudge("sliding", limit)
	if err != nil {
		t.Fatal(err)
	}
	var units []int64 // the instant of each unit in the log
	now := int64(1_700_000_000_000_000)
	for i := range 20000 {
		now += rng.Int64N(3000) - 200
		if rng.IntN(50) == 0 {
			now += 3 * w // everything leaves
		}
		n := 1 + rng.Int64N(3)
		at := now
		if len(units) > 0 {
			at = max(now, units[len(units)-1])
		}
		for len(units) > 0 && units[0] <= at-w {
			units = units[1:]
		}
		want := n <= limit.Requests && int64(len(units))+n <= limit.Requests
		if got := j.Allows(now, n); got != want {
			t.Fatalf("ask %d for %d at %d: allows %v, want %v", i, n, now, got, want)
		}
		if want || rng.IntN(4) == 0 { // admissions it forbade too
			j.Admit(now, n)
			for range n {
				units = append(units, at)
			}
		}
	}
}

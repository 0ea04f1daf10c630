package workload

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// randomInOrder is n decisions of keys keys in the order of their
// instants, each key's instants a few ms apart and often equal, with
// every outcome in any order at an instant.
func randomInOrder(rng *rand.Rand, n, keys int) []Sample {
	now := oracleEpoch
	out := make([]Sample, n)
	for i := range out {
		if rng.IntN(3) > 0 {
			now = now.Add(time.Duration(rng.IntN(5000)) * time.Microsecond)
		}
		o := target.Outcome{Said: target.Said{At: now}}
		switch r := rng.IntN(10); {
		case r < 5:
			o.Kind = target.Accepted
		case r < 9:
			o.Kind = target.Rejected
		default:
			o = target.Outcome{Kind: target.Unknown, Class: target.ClassTimeout}
		}
		out[i] = Sample{Key: rng.IntN(keys), Sent: now, Intended: now, Done: now, Outcome: o}
	}
	return out
}

// oracleOf judges samples by policy, InOrder or not, through Observe or,
// with adopted, through keys adopted as a simulation adopts them.
func oracleOf(t *testing.T, cfg Config, policy string, samples []Sample, inOrder, adopted bool) *report.Oracle {
	t.Helper()
	o, err := NewOracle(cfg, policy, oracleEpoch)
	if err != nil {
		t.Fatal(err)
	}
	if inOrder {
		o.InOrder()
	}
	keys := map[int]*oracleKey{}
	for i := range samples {
		s := &samples[i]
		if !adopted {
			o.Observe(*s)
			continue
		}
		k, ok := keys[s.Key]
		if !ok {
			k = &oracleKey{}
			if !o.adopt(s.Key, k) {
				t.Fatalf("key %d not adopted", s.Key)
			}
			keys[s.Key] = k
		}
		o.observeKey(s.Key, k, s)
	}
	rep, err := o.Report()
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestOracleInOrderRandom checks the in-order oracle, through Observe and
// through adopted keys, against the one that holds decisions for a
// second, on random decisions in order: every figure the same.
func TestOracleInOrderRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for round := range 40 {
		keys := 1 + rng.IntN(6)
		cfg := Config{Key: "k", Keys: roundRobin(keys), Cost: 1 + rng.Int64N(2),
			Limit: algorithms.Limit{Requests: 1 + rng.Int64N(5), Window: time.Duration(1+rng.IntN(50)) * time.Millisecond}}
		samples := randomInOrder(rng, 300, keys)
		for _, policy := range algorithms.JudgeNames() {
			held := oracleOf(t, cfg, policy, samples, false, false)
			for _, adopted := range []bool{false, true} {
				got := oracleOf(t, cfg, policy, samples, true, adopted)
				got.HoldUS = held.HoldUS
				if !reflect.DeepEqual(got, held) {
					t.Fatalf("round %d, %s, adopted %v: in order\n%+v\nheld\n%+v", round, policy, adopted, got, held)
				}
			}
		}
	}
}

// TestSimulateOracleRecords checks a simulation whose in-order oracle
// keeps its judges in the keys' records against one whose oracle holds
// decisions in its own keys: the same oracle figures, and the same
// result as a simulation without an oracle.
func TestSimulateOracleRecords(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	for _, policy := range algorithms.JudgeNames() {
		simulate := func(inOrder, judged bool) (Result, *report.Oracle) {
			t.Helper()
			pacer, err := NewPoisson(3000, 7)
			if err != nil {
				t.Fatal(err)
			}
			keys, err := NewZipfKeys(200, 1.1, 7)
			if err != nil {
				t.Fatal(err)
			}
			limit := algorithms.Limit{Requests: 5, Window: 100 * time.Millisecond}
			cfg := Config{Name: "fixed", Key: "sim", Limit: limit, Keys: keys, Pacer: pacer, Requests: 20000, Start: start}
			m, err := algorithms.NewModel[int]("fixed", limit, algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var o *Oracle
			if judged {
				if o, err = NewOracle(cfg, policy, start); err != nil {
					t.Fatal(err)
				}
				if inOrder {
					o.InOrder()
				}
				cfg.Oracle = o
			}
			res, err := Simulate(context.Background(), cfg, func(now time.Time, req target.Request) target.Outcome {
				d, err := m.AllowN(now, req.KeyIndex, req.Cost)
				if err != nil {
					t.Fatal(err)
				}
				return target.Decided(d)
			})
			if err != nil {
				t.Fatal(err)
			}
			if o == nil {
				return res, nil
			}
			rep, err := o.Report()
			if err != nil {
				t.Fatal(err)
			}
			return res, rep
		}
		recorded, inOrder := simulate(true, true)
		held, general := simulate(false, true)
		plain, _ := simulate(false, false)
		if inOrder.Judged != 20000 || inOrder.AdmittedByTarget == 0 || policy == "sliding" && inOrder.FalseAllows == 0 {
			t.Fatalf("%s: judged %d, admitted %d, false allows %d: want 20000 judged, some admitted, false allows by the sliding log", policy, inOrder.Judged, inOrder.AdmittedByTarget, inOrder.FalseAllows)
		}
		inOrder.HoldUS = general.HoldUS
		if !reflect.DeepEqual(inOrder, general) {
			t.Errorf("%s: in order\n%+v\nheld\n%+v", policy, inOrder, general)
		}
		for _, r := range []*Result{&recorded, &held, &plain} {
			r.Elapsed = 0
		}
		if !reflect.DeepEqual(recorded.Accuracy, plain.Accuracy) || !reflect.DeepEqual(held.Accuracy, plain.Accuracy) ||
			recorded.Accepted != plain.Accepted || !reflect.DeepEqual(recorded.Timeseries, plain.Timeseries) {
			t.Errorf("%s: the oracle changed the result", policy)
		}
	}
}

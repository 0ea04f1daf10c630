package workload

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// TestSimulateByKeyAgrees: deciding a schedule key by key, in stretches,
// gives exactly the figures of deciding it in time order (every field of
// the Result and of the oracle's report, admissions kept included), for
// every model on its own clock per call, on skewed keys with costs, ties
// of instants, stretches cut anywhere, and failures whose first in time
// must stay the run's first error.
func TestSimulateByKeyAgrees(t *testing.T) {
	defer func(n int) { byKeyChunk = n }(byKeyChunk)
	byKeyChunk = 997 // many stretches, cut within instants

	rng := rand.New(rand.NewPCG(1, 2))
	var arrivals []Arrival
	at := time.Duration(0)
	for range 20000 {
		if rng.IntN(4) > 0 { // one in four shares the instant before
			at += time.Duration(rng.ExpFloat64() * float64(300*time.Microsecond)).Truncate(time.Microsecond)
		}
		key := int(rng.ExpFloat64()*40) % 400 // a few hot keys, a long tail
		arrivals = append(arrivals, Arrival{Offset: at, Key: key, Cost: 1 + rng.Int64N(3)})
	}
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			inOrder, inOrderOracle := simulateArrivals(t, false, name, arrivals)
			byKey, byKeyOracle := simulateArrivals(t, true, name, arrivals)
			if inOrder.Accepted == 0 || inOrder.Rejected == 0 || inOrder.Errors == 0 {
				t.Fatalf("accepted %d, rejected %d, errors %d: want some of each", inOrder.Accepted, inOrder.Rejected, inOrder.Errors)
			}
			if !reflect.DeepEqual(inOrder, byKey) {
				t.Errorf("results differ:\n in order %+v\n  by key %+v", inOrder, byKey)
			}
			if !reflect.DeepEqual(inOrderOracle, byKeyOracle) {
				t.Errorf("oracle reports differ:\n in order %+v\n  by key %+v", inOrderOracle, byKeyOracle)
			}
		})
	}
}

// simulateArrivals decides arrivals with a model of algorithm, in time
// order or by key (with the model on its own clock per call), judged by a
// sliding oracle in order; every 101st request fails, naming itself.
func simulateArrivals(t *testing.T, byKey bool, algorithm string, arrivals []Arrival) (Result, *report.Oracle) {
	t.Helper()
	limit := algorithms.Limit{Requests: 8, Window: 50 * time.Millisecond}
	m, err := algorithms.NewModel[int](algorithm, limit, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	simulate := Simulate
	if byKey {
		simulate = SimulateByKey
		algorithms.StampEachCall(m)
	}
	cfg := Config{
		Name: algorithm, Key: "run", Limit: limit, Start: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC),
		Replay: NewReplay(&sliceStream{arrivals: arrivals, keys: 400}, 1),
	}
	o, err := NewOracle(cfg, "sliding", cfg.Start)
	if err != nil {
		t.Fatal(err)
	}
	o.InOrder()
	cfg.Oracle = o
	res, err := simulate(t.Context(), cfg, func(now time.Time, req target.Request) target.Outcome {
		if req.Index%101 == 100 {
			return target.Outcome{Kind: target.Failed, Class: target.ClassOther, Err: fmt.Errorf("request %d failed", req.Index)}
		}
		d, err := m.AllowN(now, req.KeyIndex, req.Cost)
		if err != nil {
			t.Fatal(err)
		}
		return target.Decided(d)
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := o.Report()
	if err != nil {
		t.Fatal(err)
	}
	return res, rep
}

package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// leakyPremium decides with the real limiter, except that it admits every
// request of one key.
type leakyPremium struct {
	algorithms.Limiter
	key string
	at  time.Time
}

func (l leakyPremium) AllowN(ctx context.Context, key string, limit algorithms.Limit, n int64) (algorithms.Decision, error) {
	if key == l.key {
		return algorithms.Decision{Allowed: true, At: l.at}, nil
	}
	return l.Limiter.AllowN(ctx, key, limit, n)
}

// TestReportRunWorstKey: with tiers free=10/1s:0.9 and premium=100/1s:0.1
// where only one premium key over-admits, every figure of the row is that
// key's own, against its own bound.
func TestReportRunWorstKey(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC)
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { rdb.Close() })
	real, err := algorithms.New("sliding", rdb, algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return at })})
	if err != nil {
		t.Fatal(err)
	}
	tiers := []workload.Tier{
		{Name: "free", Limit: algorithms.Limit{Requests: 10, Window: time.Second}, Share: 0.9},
		{Name: "premium", Limit: algorithms.Limit{Requests: 100, Window: time.Second}, Share: 0.1},
	}
	keys, err := workload.NewUniformKeys(20, 1)
	if err != nil {
		t.Fatal(err)
	}
	tierOf, err := workload.AssignTiers(tiers, 20)
	if err != nil {
		t.Fatal(err)
	}
	limit := algorithms.Limit{Requests: 10, Window: time.Second}
	l := leakyPremium{Limiter: real, key: "user:19", at: at}
	res, err := workload.Run(t.Context(), workload.Config{
		Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit,
		Key: "user", Keys: keys, Tiers: tiers, TierOf: tierOf, Concurrency: 4, Requests: 4000,
	})
	if err != nil {
		t.Fatal(err)
	}
	acc := ReportRun(res, Run{Algorithm: "sliding", Workload: Closed, Limit: limit}, workload.Config{Concurrency: 4}, 10*time.Millisecond).Accuracy
	var premium int64
	for _, k := range res.Accuracy.PerKey {
		if k.Key == "user:19" {
			premium = k.Admitted
		}
	}
	if premium <= 100 {
		t.Fatalf("user:19 admitted %d, want over its bound of 100", premium)
	}
	if acc.WorstKey != "user:19" || acc.WorstTier != "premium" || acc.KeysOverBound != 1 ||
		acc.MaxAdmittedInWindow != premium || acc.Bound != 100 || acc.OverAdmitted != premium-100 ||
		acc.MaxAdmittedInBurst != premium || acc.BurstBound != real.Bound(tiers[1].Limit, 10*time.Millisecond) {
		t.Errorf("row: worst %q (%q), keys over %d, window %d/%d, burst %d/%d, over %d; want user:19 (premium), 1, %d/100, %d/%d, %d",
			acc.WorstKey, acc.WorstTier, acc.KeysOverBound, acc.MaxAdmittedInWindow, acc.Bound,
			acc.MaxAdmittedInBurst, acc.BurstBound, acc.OverAdmitted,
			premium, premium, real.Bound(tiers[1].Limit, 10*time.Millisecond), premium-100)
	}
	if len(acc.WorstKeys) == 0 || !strings.HasPrefix(acc.WorstKeys[0].Key, "user:19") {
		t.Errorf("worst keys %v, want user:19 first", acc.WorstKeys)
	}
}

package target

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// loadClient is a client set up as rlbench sets one up for a load test
// (redisconn's tune and warm): no retries, deadlines from the context, and
// a few connections dialled and back in the pool before the first
// decision. (A connection that go-redis dials for a Conn's first command
// costs 6 allocations more per command than one it dialled for the
// pool.)
func loadClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	var conns []*redis.Conn
	for range 4 {
		conn := c.Conn()
		if err := conn.Ping(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for _, conn := range conns {
		_ = conn.Close()
	}
	return c
}

func newLimiter(t testing.TB, name string, rdb redis.Cmdable) algorithms.Limiter {
	t.Helper()
	l, err := algorithms.New(name, rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDedicatedOnlyWhereItCanBe(t *testing.T) {
	m := miniredis.RunT(t)
	client := loadClient(t, m.Addr())
	plain := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = plain.Close() })
	tests := []struct {
		name      string
		algorithm string
		client    *redis.Client
		perWorker bool
	}{
		{"atomic algorithm", "gcra", client, true},
		{"seed replay: no script to rebind", "seed-fixed", client, false},
		{"baseline", algorithms.BaselineName, client, false},
		{"client that ignores context deadlines", "gcra", plain, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := Dedicated(newLimiter(t, tt.algorithm, tt.client), tt.client).(PerWorker)
			if ok != tt.perWorker {
				t.Errorf("Dedicated is a PerWorker: %v, want %v", ok, tt.perWorker)
			}
		})
	}
}

// Each worker decides on a connection of its own, against the state all
// share, and gives it back when done.
func TestDedicatedWorkers(t *testing.T) {
	m := miniredis.RunT(t)
	client := loadClient(t, m.Addr())
	ctx := context.Background()
	tgt := Dedicated(newLimiter(t, "fixed", client), client).(PerWorker)
	req := Request{Key: "w", Limit: algorithms.Limit{Requests: 3, Window: time.Hour}, Cost: 1}
	a, releaseA := tgt.ForWorker()
	b, releaseB := tgt.ForWorker()
	var kinds []Kind
	for i := range 4 {
		w := []Target{a, b}[i%2]
		var o Outcome
		if i < 2 {
			o = w.Decide(ctx, req)
		} else {
			o = w.(SelfTimed).DecideBy(ctx, req, time.Now().Add(time.Second))
		}
		kinds = append(kinds, o.Kind)
	}
	if want := []Kind{Accepted, Accepted, Accepted, Rejected}; !equalKinds(kinds, want) {
		t.Errorf("two workers on a limit of 3 got %v, want %v", kinds, want)
	}
	if got := client.PoolStats().IdleConns; got != 2 {
		t.Errorf("%d of the 4 connections idle while two workers hold theirs, want 2", got)
	}
	if err := releaseA.Close(); err != nil {
		t.Error(err)
	}
	if err := releaseB.Close(); err != nil {
		t.Error(err)
	}
	if got := client.PoolStats().IdleConns; got != 4 {
		t.Errorf("%d connections idle after the workers closed theirs, want 4", got)
	}
}

func equalKinds(a, b []Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A decision that timed out may still be answered later: that answer must
// never be read as the next decision's. Redis holds the first EVALSHA
// (CLIENT PAUSE WRITE) past its deadline, then runs it (the first
// admission: 999 remain); the next decision of the same worker must see
// its own answer (998 remain), not the late one.
func TestDedicatedLateAnswerIsNotTheNext(t *testing.T) {
	srv := redistest.Start(t)
	client := loadClient(t, srv.Addr)
	admin := srv.Client(t)
	ctx := context.Background()
	l := newLimiter(t, "fixed", client)
	if err := algorithms.Preload(ctx, client); err != nil {
		t.Fatal(err)
	}
	w, release := Dedicated(l, client).(PerWorker).ForWorker()
	defer func() { _ = release.Close() }()
	req := Request{Key: "late", Limit: algorithms.Limit{Requests: 1000, Window: time.Hour}, Cost: 1}

	const pause = 300 * time.Millisecond
	if err := admin.Do(ctx, "CLIENT", "PAUSE", pause.Milliseconds(), "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	first := w.(SelfTimed).DecideBy(ctx, req, time.Now().Add(50*time.Millisecond))
	if first.Kind != Unknown || first.Class != ClassTimeout {
		t.Fatalf("a decision held past its deadline is %v (%s, %v), want unknown (timeout)", first.Kind, first.Class, first.Err)
	}
	time.Sleep(2 * pause) // a held decision still queued runs now
	next := w.(SelfTimed).DecideBy(ctx, req, time.Now().Add(5*time.Second))
	// Redis drops what a closed connection had queued, so the first may
	// or may not have run: what Redis counted says which.
	keys, err := admin.Keys(ctx, "rl:{late}:fixed*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("fixed-window keys: %v, %v; want one", keys, err)
	}
	counted, err := admin.Get(ctx, keys[0]).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != Accepted || next.Said.Remaining != 1000-counted {
		t.Errorf("the decision after a late answer is %v with %d remaining (%v), want accepted with %d (Redis counted %d)", next.Kind, next.Said.Remaining, next.Err, 1000-counted, counted)
	}
}

// TestWorkerDecisionAllocs holds a worker's decision, deadline included,
// to the allocations of the limiter's own AllowN on a connection under a
// deadline made once: the worker and its deadline for each decision add
// nothing. On a real
// redis-server, which allocates nothing in this process.
func TestWorkerDecisionAllocs(t *testing.T) {
	srv := redistest.Start(t)
	client := loadClient(t, srv.Addr)
	ctx := context.Background()
	if err := algorithms.Preload(ctx, client); err != nil {
		t.Fatal(err)
	}
	l := newLimiter(t, "gcra", client)
	w, release := Dedicated(l, client).(PerWorker).ForWorker()
	defer func() { _ = release.Close() }()
	conn := client.Conn()
	defer func() { _ = conn.Close() }()
	alone := l.(algorithms.Rebinder).Rebind(conn)
	limit := algorithms.Limit{Requests: 1_000_000_000, Window: time.Minute}
	req := Request{Key: "allocs", Limit: limit, Cost: 1}
	timed := w.(SelfTimed)
	decide := func() {
		if o := timed.DecideBy(ctx, req, time.Now().Add(time.Second)); o.Kind != Accepted {
			t.Fatalf("decision: %v (%v)", o.Kind, o.Err)
		}
	}
	// A deadline made once: what the worker adds is its own, not the
	// price of a deadline in go-redis.
	far, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	allow := func() {
		if _, err := alone.AllowN(far, req.Key, limit, 1); err != nil {
			t.Fatal(err)
		}
	}
	decide()
	allow()
	limiter, worker := fewestAllocs(allow, decide)
	t.Logf("allocations per decision: AllowN %.0f, worker with a deadline %.0f", limiter, worker)
	if worker > limiter {
		t.Errorf("a worker's decision allocates %.0f, the limiter alone %.0f: the worker adds %.0f", worker, limiter, worker-limiter)
	}
}

// BenchmarkDecision is one decision as the engine asks it, on miniredis:
// through the shared pool under a context.WithTimeout (pooled), on a
// worker's own connection under a context.WithTimeout (dedicated-context)
// and under the deadline it keeps itself (dedicated).
func BenchmarkDecision(b *testing.B) {
	m := miniredis.RunT(b)
	benchmarkDecision(b, loadClient(b, m.Addr()))
}

// BenchmarkDecisionRedis is BenchmarkDecision on a real redis-server.
func BenchmarkDecisionRedis(b *testing.B) {
	srv := redistest.Start(b)
	benchmarkDecision(b, loadClient(b, srv.Addr))
}

func benchmarkDecision(b *testing.B, client *redis.Client) {
	ctx := context.Background()
	if err := algorithms.Preload(ctx, client); err != nil {
		b.Fatal(err)
	}
	const timeout = time.Second
	req := Request{Key: "bench", Limit: algorithms.Limit{Requests: 1_000_000_000, Window: time.Minute}, Cost: 1}
	for _, name := range []string{"fixed", "gcra"} {
		l := newLimiter(b, name, client)
		b.Run(name+"/pooled", func(b *testing.B) {
			t := Limiter(l)
			for b.Loop() {
				ctx, cancel := context.WithTimeout(ctx, timeout)
				if o := t.Decide(ctx, req); o.Kind != Accepted {
					b.Fatalf("%v: %v", o.Kind, o.Err)
				}
				cancel()
			}
		})
		b.Run(name+"/dedicated-context", func(b *testing.B) {
			w, release := Dedicated(l, client).(PerWorker).ForWorker()
			defer func() { _ = release.Close() }()
			for b.Loop() {
				ctx, cancel := context.WithTimeout(ctx, timeout)
				if o := w.Decide(ctx, req); o.Kind != Accepted {
					b.Fatalf("%v: %v", o.Kind, o.Err)
				}
				cancel()
			}
		})
		b.Run(name+"/dedicated", func(b *testing.B) {
			w, release := Dedicated(l, client).(PerWorker).ForWorker()
			defer func() { _ = release.Close() }()
			timed := w.(SelfTimed)
			for b.Loop() {
				if o := timed.DecideBy(ctx, req, time.Now().Add(timeout)); o.Kind != Accepted {
					b.Fatalf("%v: %v", o.Kind, o.Err)
				}
			}
		})
	}
}

// fewestAllocs is the fewest allocations per call of a and of b over a
// few rounds, interleaved: what a background goroutine of the client
// allocates meanwhile counts too, and is seldom there in every round.
func fewestAllocs(a, b func()) (float64, float64) {
	fewestA, fewestB := math.Inf(1), math.Inf(1)
	for range 3 {
		fewestA = min(fewestA, testing.AllocsPerRun(200, a))
		fewestB = min(fewestB, testing.AllocsPerRun(200, b))
	}
	return fewestA, fewestB
}

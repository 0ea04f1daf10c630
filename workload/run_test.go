package workload

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/target"
)

// A fixed instant in the middle of a minute, so that no window boundary
// falls inside a test run and every algorithm's count is exact.
var storm = time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC)

func stormLimit() algorithms.Limit {
	return algorithms.Limit{Requests: 100, Window: time.Minute}
}

func newClient(t testing.TB) *redis.Client {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), PoolSize: 64, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func newLimiter(t testing.TB, name string, rdb redis.Cmdable, at time.Time) algorithms.Limiter {
	t.Helper()
	l, err := algorithms.New(name, rdb, algorithms.Options{Clock: algorithms.ClockFunc(func() time.Time { return at })})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkInvariants holds for every Result, whatever happened.
func checkInvariants(t *testing.T, res Result) {
	t.Helper()
	if res.Sent != res.Accepted+res.Rejected+res.Unknown+res.Errors {
		t.Errorf("sent %d != accepted %d + rejected %d + unknown %d + errors %d", res.Sent, res.Accepted, res.Rejected, res.Unknown, res.Errors)
	}
	var byClass int64
	for _, n := range res.ErrorsByClass {
		byClass += n
	}
	if byClass != res.Errors {
		t.Errorf("errors by class %v sum to %d, want %d", res.ErrorsByClass, byClass, res.Errors)
	}
	if got, want := res.Latency.TotalCount(), res.Sent-res.Errors-res.Unknown-res.OverRange; got != want {
		t.Errorf("histogram holds %d samples, want sent - errors - unknown - over range = %d", got, want)
	}
	if (res.Errors+res.Unknown == 0) != (res.FirstError == nil) {
		t.Errorf("errors %d, unknown %d but FirstError %v", res.Errors, res.Unknown, res.FirstError)
	}
}

// TestRunStorm is the seed's hot-key storm on every atomic algorithm:
// 64 workers, 640 requests, one key, limit 100.
func TestRunStorm(t *testing.T) {
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			rdb := newClient(t)
			l := newLimiter(t, name, rdb, storm)
			res, err := Run(t.Context(), Config{
				Target:      target.Limiter(l),
				Promise:     l,
				Name:        l.Name(),
				Limit:       stormLimit(),
				Key:         "user:1",
				Concurrency: 64,
				Requests:    640,
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkInvariants(t, res)
			if res.Algorithm != name {
				t.Errorf("Algorithm = %q, want %q", res.Algorithm, name)
			}
			if res.Sent != 640 || res.Accepted != 100 || res.Rejected != 540 || res.Errors != 0 {
				t.Errorf("sent/accepted/rejected/errors = %d/%d/%d/%d, want 640/100/540/0 (first error: %v)",
					res.Sent, res.Accepted, res.Rejected, res.Errors, res.FirstError)
			}
			if res.Interrupted {
				t.Error("Interrupted on a completed run")
			}
			if res.Elapsed <= 0 || res.Throughput() <= 0 {
				t.Errorf("Elapsed %v, Throughput %v; want both positive", res.Elapsed, res.Throughput())
			}
		})
	}
}

// TestRunServerClock runs on the Redis clock, the default, with more
// workers than requests.
func TestRunServerClock(t *testing.T) {
	rdb := newClient(t)
	l, err := algorithms.New("sliding", rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), Config{
		Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: algorithms.Limit{Requests: 5, Window: time.Hour},
		Key: "user:2", Concurrency: 20, Requests: 12, Timeout: time.Second,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkInvariants(t, res)
	if res.Sent != 12 || res.Accepted != 5 || res.Rejected != 7 {
		t.Errorf("sent/accepted/rejected = %d/%d/%d, want 12/5/7 (first error: %v)", res.Sent, res.Accepted, res.Rejected, res.FirstError)
	}
}

// fakeLimiter answers from a function of the call number, 1-based.
type fakeLimiter struct {
	calls  atomic.Int64
	answer func(ctx context.Context, call int64) (algorithms.Decision, error)
}

func (f *fakeLimiter) Name() string { return "fake" }

func (f *fakeLimiter) AllowN(ctx context.Context, _ string, _ algorithms.Limit, _ int64) (algorithms.Decision, error) {
	return f.answer(ctx, f.calls.Add(1))
}

func (f *fakeLimiter) Bound(limit algorithms.Limit, _ time.Duration) int64 { return limit.Requests }

type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

// TestRunCountsErrorsApart checks that an error is never a rejection and
// that each lands in its class.
func TestRunCountsErrorsApart(t *testing.T) {
	outcomes := []error{
		nil, // accepted
		errors.New("rejected"),
		context.DeadlineExceeded,
		&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
		redisError("NOSCRIPT No matching script"),
		redisError("LOADING Redis is loading the dataset in memory"),
	}
	f := &fakeLimiter{answer: func(_ context.Context, call int64) (algorithms.Decision, error) {
		switch err := outcomes[(call-1)%int64(len(outcomes))]; {
		case err == nil:
			return algorithms.Decision{Allowed: true}, nil
		case err.Error() == "rejected":
			return algorithms.Decision{Allowed: false}, nil
		default:
			return algorithms.Decision{}, err
		}
	}}
	res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: stormLimit(), Key: "k", Concurrency: 1, Requests: 600})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkInvariants(t, res)
	// The timeout may have been decided: unknown, not an error.
	want := map[string]int64{target.ClassTimeout: 0, target.ClassConnection: 100, target.ClassScript: 100, target.ClassOther: 100}
	if res.Accepted != 100 || res.Rejected != 100 || res.Errors != 300 || fmt.Sprint(res.ErrorsByClass) != fmt.Sprint(want) {
		t.Errorf("accepted %d, rejected %d, errors %d %v; want 100, 100, 300 %v",
			res.Accepted, res.Rejected, res.Errors, res.ErrorsByClass, want)
	}
	if res.Unknown != 100 || res.UnknownByClass[target.ClassTimeout] != 100 {
		t.Errorf("unknown %d %v, want 100 timeouts", res.Unknown, res.UnknownByClass)
	}
	if !errors.Is(res.FirstError, context.DeadlineExceeded) {
		t.Errorf("FirstError = %v, want the first one sent", res.FirstError)
	}
	if got := res.Throughput(); got <= 0 {
		t.Errorf("Throughput = %v, want > 0", got)
	}
}

// TestRunCancel cancels mid-run: no new request starts, the one in flight
// completes as a decision rather than an error, and Run reports no error.
// Four workers send one call a millisecond each; call 50, the second of
// the thirteenth round (at 12 ms), cancels half-way through that round,
// while the other three are in flight too.
func TestRunCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var cancelled atomic.Bool
		var late atomic.Int64 // calls begun after the cancel returned
		f := &fakeLimiter{answer: func(ctx context.Context, call int64) (algorithms.Decision, error) {
			if cancelled.Load() {
				late.Add(1)
			}
			if call == 50 {
				time.Sleep(500 * time.Microsecond)
				cancel()
				cancelled.Store(true)
				time.Sleep(10 * time.Millisecond) // still in flight after the cancel
			} else {
				time.Sleep(time.Millisecond)
			}
			if err := ctx.Err(); err != nil {
				return algorithms.Decision{}, err
			}
			return algorithms.Decision{Allowed: call%2 == 0}, nil
		}}
		const workers = 4
		res, err := Run(ctx, Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: stormLimit(), Key: "k", Concurrency: workers, Requests: 1_000_000})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		checkInvariants(t, res)
		if !res.Interrupted {
			t.Error("Interrupted = false after cancel")
		}
		if res.Errors != 0 {
			t.Errorf("%d errors (%v): in-flight requests were cut short", res.Errors, res.FirstError)
		}
		if res.Sent != 52 || f.calls.Load() != 52 || res.Accepted != 26 {
			t.Errorf("sent %d of %d calls, accepted %d; want the 52 calls of 13 rounds, the 26 even ones accepted",
				res.Sent, f.calls.Load(), res.Accepted)
		}
		if n := late.Load(); n != 0 {
			t.Errorf("%d requests began after the cancel, want 0", n)
		}
		if res.Elapsed != 22500*time.Microsecond {
			t.Errorf("Elapsed %v, want 22.5ms: call 50 answered 10.5 ms after its round began at 12 ms", res.Elapsed)
		}
	})
}

// TestRunTimeout: every decision gets Timeout of its own, and one that
// outlives it is an unknown timeout, neither an error nor a rejection.
func TestRunTimeout(t *testing.T) {
	// slow answers after 8 ms even calls, after 3 ms odd ones, or when
	// its context ends.
	slow := func(ctx context.Context, call int64) (algorithms.Decision, error) {
		took := 3 * time.Millisecond
		if call%2 == 0 {
			took = 8 * time.Millisecond
		}
		select {
		case <-time.After(took):
			return algorithms.Decision{Allowed: true}, nil
		case <-ctx.Done():
			return algorithms.Decision{}, ctx.Err()
		}
	}
	never := func(ctx context.Context, _ int64) (algorithms.Decision, error) {
		<-ctx.Done()
		return algorithms.Decision{}, ctx.Err()
	}
	tests := []struct {
		name         string
		answer       func(context.Context, int64) (algorithms.Decision, error)
		concurrency  int
		requests     int64
		wantAccepted int64
		wantUnknown  int64
		wantElapsed  time.Duration
	}{
		// Two rounds of two, each cut at 5 ms.
		{"never answers", never, 2, 4, 0, 4, 10 * time.Millisecond},
		// One worker: 3 answers in 3 ms and 3 timeouts at 5 ms.
		{"answers in 3 or 8 ms", slow, 1, 6, 3, 3, 3*3*time.Millisecond + 3*5*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeLimiter{answer: tt.answer}
				res, err := Run(t.Context(), Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: stormLimit(), Key: "k",
					Concurrency: tt.concurrency, Requests: tt.requests, Timeout: 5 * time.Millisecond})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				checkInvariants(t, res)
				if res.Accepted != tt.wantAccepted || res.Unknown != tt.wantUnknown || res.UnknownByClass[target.ClassTimeout] != tt.wantUnknown ||
					res.Errors != 0 || res.Rejected != 0 {
					t.Errorf("accepted %d, unknown %d %v, errors %d, rejected %d; want %d accepted, %d unknown timeouts, no error and no rejection",
						res.Accepted, res.Unknown, res.UnknownByClass, res.Errors, res.Rejected, tt.wantAccepted, tt.wantUnknown)
				}
				if res.Elapsed != tt.wantElapsed {
					t.Errorf("Elapsed %v, want %v", res.Elapsed, tt.wantElapsed)
				}
				if res.Accepted > 0 {
					checkQuantile(t, "response time", res.Latency, 0, 3*time.Millisecond)
					checkQuantile(t, "response time", res.Latency, 100, 3*time.Millisecond)
				}
			})
		})
	}
}

// lostReply performs the real decision, then reports a timeout on every
// third call: admitted in Redis, unknown to the client.
type lostReply struct {
	algorithms.Limiter
	calls atomic.Int64
}

func (l *lostReply) AllowN(ctx context.Context, key string, limit algorithms.Limit, n int64) (algorithms.Decision, error) {
	d, err := l.Limiter.AllowN(ctx, key, limit, n)
	if err == nil && l.calls.Add(1)%3 == 0 {
		return algorithms.Decision{}, fmt.Errorf("read reply: %w", context.DeadlineExceeded)
	}
	return d, err
}

// TestRunLostReplyIsUnknown: a decision Redis made whose reply was lost is
// unknown, never an error, so the accepted count may be below the truth
// but accepted + unknown is not.
func TestRunLostReplyIsUnknown(t *testing.T) {
	rdb := newClient(t)
	l := &lostReply{Limiter: newLimiter(t, "fixed", rdb, storm)}
	res, err := Run(t.Context(), Config{Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "user:1", Concurrency: 1, Requests: 150})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkInvariants(t, res)
	if res.Errors != 0 || res.Unknown != 50 || res.UnknownByClass[target.ClassTimeout] != 50 {
		t.Errorf("errors %d %v, unknown %d %v; want 0 errors and 50 unknown timeouts",
			res.Errors, res.ErrorsByClass, res.Unknown, res.UnknownByClass)
	}
	// Redis admitted the first 100; a third of their replies were lost.
	if res.Accepted >= 100 || res.Accepted+res.Unknown < 100 {
		t.Errorf("accepted %d, unknown %d: want accepted below the 100 Redis admitted and accepted+unknown at least 100", res.Accepted, res.Unknown)
	}
	acc := res.Accuracy.Busiest
	if acc.MostInWindow >= 100 || acc.MostInWindowAtMost < 100 || acc.Unknown != 50 {
		t.Errorf("max in window %d, at most %d, unknown %d: want the 100 Redis admitted strictly above the first and within the second, 50 unknown",
			acc.MostInWindow, acc.MostInWindowAtMost, acc.Unknown)
	}
}

// TestRunLostReplyOverAdmits: a limiter that admits everything (bound 100),
// with a third of its replies lost, is certainly over by 0 on what the
// client saw, and at most over by the 50 unknown outcomes, the truth.
func TestRunLostReplyOverAdmits(t *testing.T) {
	f := &fakeLimiter{answer: func(context.Context, int64) (algorithms.Decision, error) {
		return algorithms.Decision{Allowed: true, At: storm}, nil
	}}
	l := &lostReply{Limiter: f}
	res, err := Run(t.Context(), Config{Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "user:1", Concurrency: 4, Requests: 150})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkInvariants(t, res)
	acc := res.Accuracy
	if res.Accepted != 100 || res.Unknown != 50 || acc.OverAdmitted != 0 || acc.OverAdmittedAtMost != 50 ||
		acc.KeysMaybeOverBound != 1 || acc.Busiest.MostInWindowAtMost != 150 {
		t.Errorf("accepted %d, unknown %d, over %d, over at most %d, keys maybe over %d, max in window at most %d; want 100, 50, 0, 50, 1, 150",
			res.Accepted, res.Unknown, acc.OverAdmitted, acc.OverAdmittedAtMost, acc.KeysMaybeOverBound, acc.Busiest.MostInWindowAtMost)
	}
}

func TestRunInvalidConfig(t *testing.T) {
	f := &fakeLimiter{}
	good := Config{Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: stormLimit(), Key: "k", Concurrency: 1, Requests: 1}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no target", func(c *Config) { c.Target = nil }, "no target"},
		{"empty key", func(c *Config) { c.Key = "" }, "key is empty"},
		{"negative cost", func(c *Config) { c.Cost = -1 }, "cost -1 must be at least 1"},
		{"no workers", func(c *Config) { c.Concurrency = 0 }, "concurrency 0 must be at least 1"},
		{"no requests", func(c *Config) { c.Requests = 0 }, "neither requests nor duration is set"},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, "timeout -1s"},
		{"zero limit", func(c *Config) { c.Limit.Requests = 0 }, "requests 0 must be at least 1"},
		{"tiny window", func(c *Config) { c.Limit.Window = time.Microsecond }, "window 1µs must be at least 1ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := Run(t.Context(), cfg)
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Run = %v, want ErrInvalidConfig", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
		})
	}
	if f.calls.Load() != 0 {
		t.Errorf("the limiter was called %d times for invalid configs", f.calls.Load())
	}
}

func TestRecorderOverRange(t *testing.T) {
	start := time.Now()
	r := newRecorder(start, time.Second, time.Millisecond)
	r.observe(Sample{Intended: start, Sent: start, Done: start.Add(61 * time.Second), Outcome: target.Outcome{Kind: target.Accepted}})
	r.observe(Sample{Intended: start, Sent: start, Done: start.Add(250 * time.Microsecond), Outcome: target.Outcome{Kind: target.Rejected}})
	res := merge([]*recorder{r})
	if res.OverRange != 1 || res.Latency.TotalCount() != 1 || res.Accepted != 1 || res.Rejected != 1 {
		t.Errorf("over range %d, histogram %d, accepted %d, rejected %d; want 1, 1, 1, 1",
			res.OverRange, res.Latency.TotalCount(), res.Accepted, res.Rejected)
	}
	if got := res.Latency.Max(); !res.Latency.ValuesAreEquivalent(got, int64(250*time.Microsecond)) {
		t.Errorf("max %v, want 250µs: the over-range sample must not be clamped in", time.Duration(got))
	}
}

func TestRunRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	for _, name := range []string{"fixed", "sliding", "token"} {
		l, err := algorithms.New(name, rdb, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// A one-hour window: refills and boundaries are negligible in a
		// run of milliseconds.
		res, err := Run(t.Context(), Config{
			Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: algorithms.Limit{Requests: 100, Window: time.Hour},
			Key: "user:real", Concurrency: 64, Requests: 640, Timeout: 2 * time.Second,
		})
		if err != nil {
			t.Fatalf("%s: Run: %v", name, err)
		}
		checkInvariants(t, res)
		if res.Accepted != 100 || res.Errors != 0 {
			t.Errorf("%s: accepted %d, errors %d (%v); want 100, 0", name, res.Accepted, res.Errors, res.FirstError)
		}
	}
}

// BenchmarkRun measures the runner and one algorithm on miniredis; the
// figure that matters is decisions/s, reported alongside ns/op.
func BenchmarkRun(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("fixed/workers=%d", workers), func(b *testing.B) {
			rdb := newClient(b)
			l := newLimiter(b, "fixed", rdb, storm)
			b.ResetTimer()
			res, err := Run(b.Context(), Config{
				Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: algorithms.Limit{Requests: 1 << 40, Window: time.Minute},
				Key: "bench", Concurrency: workers, Requests: int64(b.N),
			})
			if err != nil {
				b.Fatal(err)
			}
			if res.Errors > 0 {
				b.Fatalf("%d errors: %v", res.Errors, res.FirstError)
			}
			b.ReportMetric(res.Throughput(), "decisions/s")
			b.ReportMetric(float64(res.Latency.ValueAtQuantile(99))/1e3, "p99-µs")
		})
	}
}

// BenchmarkRunOverhead measures the runner alone, with a limiter that
// answers at once: what rlbench adds to every decision it times.
func BenchmarkRunOverhead(b *testing.B) {
	f := &fakeLimiter{answer: func(context.Context, int64) (algorithms.Decision, error) {
		return algorithms.Decision{Allowed: true}, nil
	}}
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			res, err := Run(b.Context(), Config{
				Target: target.Limiter(f), Promise: f, Name: f.Name(), Limit: stormLimit(), Key: "bench",
				Concurrency: workers, Requests: int64(b.N), Timeout: time.Second,
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.Throughput(), "decisions/s")
		})
	}
}

// lostCounter deletes every key once, after call at: a counter lost
// mid-window, as after a failover or an early expiry.
type lostCounter struct {
	algorithms.Limiter
	rdb   *redis.Client
	at    int64
	calls atomic.Int64
}

func (l *lostCounter) AllowN(ctx context.Context, key string, limit algorithms.Limit, n int64) (algorithms.Decision, error) {
	if l.calls.Add(1) == l.at {
		l.rdb.FlushAll(ctx)
	}
	return l.Limiter.AllowN(ctx, key, limit, n)
}

func (l *lostCounter) AlignedBound(limit algorithms.Limit) int64 {
	return algorithms.AlignedBoundOf(l.Limiter, limit)
}

// TestRunAlignedWindowLostCounter: fixed, limit 100; its counter deleted
// between two halves of a storm in one aligned window lets 200 through.
// Within 2×limit in a trailing window, so only the aligned check sees it.
func TestRunAlignedWindowLostCounter(t *testing.T) {
	rdb := newClient(t)
	l := &lostCounter{Limiter: newLimiter(t, "fixed", rdb, storm), rdb: rdb, at: 151}
	res, err := Run(t.Context(), Config{Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "user:1", Concurrency: 1, Requests: 300})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkInvariants(t, res)
	if len(res.Accuracy.PerKey) != 1 {
		t.Fatalf("%d keys, want 1", len(res.Accuracy.PerKey))
	}
	k := res.Accuracy.PerKey[0]
	if res.Accepted != 200 || k.MaxAdmittedInAlignedWindow != 200 || k.AlignedBound != 100 || k.OverAdmitted != 100 {
		t.Errorf("accepted %d, aligned %d/%d, over %d; want 200, 200/100, 100",
			res.Accepted, k.MaxAdmittedInAlignedWindow, k.AlignedBound, k.OverAdmitted)
	}
}

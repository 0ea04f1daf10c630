package algorithms_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// modelAsk is one request of a worked example: cost at epoch+at, and the
// decision the model's doc comment gives for it.
type modelAsk struct {
	at   time.Duration
	key  string
	cost int64
	want reply
}

// decided is a reply in durations, for tables people read.
func decided(allowed bool, remaining int64, retry, reset time.Duration) reply {
	return reply{allowed: allowed, remaining: remaining, retry: retry.Microseconds(), rst: reset.Microseconds()}
}

// TestModelWorkedExamples holds each model to the numbers its doc comment
// gives, and the script to the same, on miniredis.
func TestModelWorkedExamples(t *testing.T) {
	never := -time.Microsecond
	for _, tt := range []struct {
		name  string
		algo  string
		limit algorithms.Limit
		asks  []modelAsk
	}{
		{"fixed: a window's limit, then the next window", "fixed", algorithms.Limit{Requests: 10, Window: time.Second}, []modelAsk{
			{250 * time.Millisecond, "a", 6, decided(true, 4, 0, 750*time.Millisecond)},
			{500 * time.Millisecond, "a", 6, decided(false, 4, 500*time.Millisecond, 500*time.Millisecond)},
			{500 * time.Millisecond, "a", 11, decided(false, 4, never, 500*time.Millisecond)},
			{time.Second, "a", 6, decided(true, 4, 0, time.Second)},
		}},
		{"sliding: the oldest admission must leave first", "sliding", algorithms.Limit{Requests: 3, Window: time.Second}, []modelAsk{
			{100 * time.Millisecond, "a", 1, decided(true, 2, 0, time.Second)},
			{200 * time.Millisecond, "a", 1, decided(true, 1, 0, time.Second)},
			{300 * time.Millisecond, "a", 1, decided(true, 0, 0, time.Second)},
			{500 * time.Millisecond, "a", 1, decided(false, 0, 600*time.Millisecond, 800*time.Millisecond)},
			{1100 * time.Millisecond, "a", 1, decided(true, 0, 0, time.Second)},
		}},
		{"sliding-counter: the previous window, weighted", "sliding-counter", algorithms.Limit{Requests: 100, Window: time.Minute}, []modelAsk{
			{0, "a", 80, decided(true, 20, 0, 2*time.Minute)},
			{90 * time.Second, "a", 10, decided(true, 50, 0, 90*time.Second)},
			{90 * time.Second, "a", 51, decided(false, 50, 750*time.Millisecond, 90*time.Second)},
			{90 * time.Second, "a", 50, decided(true, 0, 0, 90*time.Second)},
		}},
		{"token: the burst, then the refill", "token", algorithms.Limit{Requests: 10, Window: time.Second, Burst: 20}, []modelAsk{
			{0, "a", 20, decided(true, 0, 0, 2*time.Second)},
			{30 * time.Millisecond, "a", 1, decided(false, 0, 70*time.Millisecond, 1970*time.Millisecond)},
			{100 * time.Millisecond, "a", 1, decided(true, 0, 0, 2*time.Second)},
			{100 * time.Millisecond, "a", 21, decided(false, 0, never, 2*time.Second)},
		}},
		{"leaky: the queue overflows, then drains", "leaky", algorithms.Limit{Requests: 10, Window: time.Second, Burst: 5}, []modelAsk{
			{0, "a", 5, decided(true, 0, 0, 500*time.Millisecond)},
			{30 * time.Millisecond, "a", 1, decided(false, 0, 70*time.Millisecond, 470*time.Millisecond)},
			{100 * time.Millisecond, "a", 1, decided(true, 0, 0, 500*time.Millisecond)},
		}},
		{"gcra: exactly the burst back to back", "gcra", algorithms.Limit{Requests: 10, Window: time.Second, Burst: 3}, []modelAsk{
			{0, "a", 3, decided(true, 0, 0, 300*time.Millisecond)},
			{50 * time.Millisecond, "a", 1, decided(false, 0, 50*time.Millisecond, 250*time.Millisecond)},
			{100 * time.Millisecond, "a", 1, decided(true, 0, 0, 300*time.Millisecond)},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, rdb := startMini(t)
			clock := &fakeClock{}
			opts := algorithms.Options{Clock: clock}
			m, err := algorithms.NewModel[string](tt.algo, tt.limit, opts)
			if err != nil {
				t.Fatal(err)
			}
			l, err := algorithms.New(tt.algo, rdb, opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.asks {
				now := epoch.Add(a.at)
				md, err := m.AllowN(now, a.key, a.cost)
				if err != nil {
					t.Fatal(err)
				}
				if got := fromDecision(md); got != a.want || !md.At.Equal(now) {
					t.Errorf("ask %d (%v, cost %d): model %v at %v, want %v at %v", i, a.at, a.cost, got, md.At, a.want, now)
				}
				clock.Set(now)
				d, err := l.AllowN(t.Context(), a.key, tt.limit, a.cost)
				if err != nil {
					t.Fatal(err)
				}
				if got := fromDecision(d); got != a.want {
					t.Errorf("ask %d (%v, cost %d): script %v, want %v", i, a.at, a.cost, got, a.want)
				}
			}
		})
	}
}

// TestModelKeyExpires: a key whose TTL has run out starts afresh, also when
// the caller's clock then steps back behind it, as Redis, whose clock does
// not step back, has deleted it. The script on miniredis, its clock moved
// as the model's, agrees to the microsecond.
func TestModelKeyExpires(t *testing.T) {
	limit := algorithms.Limit{Requests: 1, Window: time.Second}
	// One request at 0 fills each algorithm for a second (sliding-counter
	// reads it for another as the previous window's). With a padding of 1
	// µs its key lives ttl_ms(1 s + 1 µs) = 1002 ms, or 2002 ms.
	ttl := map[string]time.Duration{"sliding-counter": 2002 * time.Millisecond}
	for _, name := range algorithms.Names() {
		life, ok := ttl[name]
		if !ok {
			life = 1002 * time.Millisecond
		}
		for _, tt := range []struct {
			name string
			// other is when another key is asked, moving the clocks.
			other time.Duration
			want  bool
		}{
			{"alive a microsecond before", life - time.Microsecond, false},
			{"expired", life, true},
		} {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				mr, rdb := startMini(t)
				clock := &fakeClock{}
				opts := algorithms.Options{Clock: clock, ClockSkewAllowance: time.Microsecond}
				m, err := algorithms.NewModel[string](name, limit, opts)
				if err != nil {
					t.Fatal(err)
				}
				l, err := algorithms.New(name, rdb, opts)
				if err != nil {
					t.Fatal(err)
				}
				var latest time.Duration
				for _, a := range []struct {
					at  time.Duration
					key string
				}{{0, "a"}, {tt.other, "b"}, {500 * time.Millisecond, "a"}} {
					if a.at > latest {
						mr.FastForward(a.at - latest)
						latest = a.at
					}
					clock.Set(epoch.Add(a.at))
					d, err := l.AllowN(t.Context(), a.key, limit, 1)
					if err != nil {
						t.Fatal(err)
					}
					md, err := m.AllowN(epoch.Add(a.at), a.key, 1)
					if err != nil {
						t.Fatal(err)
					}
					if a.key != "a" || a.at == 0 {
						continue
					}
					// Back at 500 ms, the first request still counts, unless
					// its key is gone.
					if md.Allowed != tt.want || d.Allowed != tt.want {
						t.Errorf("at 500ms after the clock reached %v: model allowed %v, script %v, want %v", tt.other, md.Allowed, d.Allowed, tt.want)
					}
				}
			})
		}
	}
}

// TestNewModel: every atomic algorithm has a model, nothing else does, and
// bad limits, options, costs and instants are refused.
func TestNewModel(t *testing.T) {
	limit := algorithms.Limit{Requests: 10, Window: time.Second}
	for _, name := range algorithms.Names() {
		m, err := algorithms.NewModel[string](name, limit, algorithms.Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Name() != name || m.Limit() != limit {
			t.Errorf("%s: Name %q, Limit %+v", name, m.Name(), m.Limit())
		}
		if _, err := m.AllowN(epoch, "k", 0); !errors.Is(err, algorithms.ErrInvalidCost) {
			t.Errorf("%s: cost 0 gave %v, want ErrInvalidCost", name, err)
		}
		if _, err := m.AllowN(time.UnixMicro(-1), "k", 1); !errors.Is(err, algorithms.ErrInvalidTime) {
			t.Errorf("%s: an instant before the epoch gave %v, want ErrInvalidTime", name, err)
		}
	}
	for _, name := range append(algorithms.SeedNames(), algorithms.BaselineName, "nope") {
		if _, err := algorithms.NewModel[string](name, limit, algorithms.Options{}); !errors.Is(err, algorithms.ErrUnknownAlgorithm) {
			t.Errorf("%s: %v, want ErrUnknownAlgorithm", name, err)
		}
	}
	if _, err := algorithms.NewModel[string]("token", algorithms.Limit{Requests: 1, Window: time.Microsecond}, algorithms.Options{}); !errors.Is(err, algorithms.ErrInvalidLimit) {
		t.Errorf("a 1µs window: %v, want ErrInvalidLimit", err)
	}
	if _, err := algorithms.NewModel[string]("token", limit, algorithms.Options{ClockSkewAllowance: -1}); !errors.Is(err, algorithms.ErrInvalidOptions) {
		t.Errorf("a negative skew allowance: %v, want ErrInvalidOptions", err)
	}
}

// TestModelDecisionsDoNotAllocate: once a key is known, a decision
// allocates nothing, whether it passes or not, keyed by string or by index.
func TestModelDecisionsDoNotAllocate(t *testing.T) {
	for _, name := range algorithms.Names() {
		t.Run(name+"/string", func(t *testing.T) { testModelDoesNotAllocate(t, name, [3]string{"a", "b", "c"}) })
		t.Run(name+"/index", func(t *testing.T) { testModelDoesNotAllocate(t, name, [3]int{0, 5000, 1 << 40}) })
	}
}

func testModelDoesNotAllocate[K comparable](t *testing.T, name string, keys [3]K) {
	t.Helper()
	limit := algorithms.Limit{Requests: 1000, Window: time.Second}
	m, err := algorithms.NewModel[K](name, limit, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := epoch
	allowed := 0
	// Warm up past a few windows, so that every slice has grown.
	for i := range 20_000 {
		now = now.Add(time.Duration(i%3) * 200 * time.Microsecond)
		if _, err := m.AllowN(now, keys[i%3], 1); err != nil {
			t.Fatal(err)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(10_000, func() {
		i++
		now = now.Add(time.Duration(i%3) * 200 * time.Microsecond)
		if d, _ := m.AllowN(now, keys[i%3], 1+int64(i%2)); d.Allowed {
			allowed++
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per decision, want 0", allocs)
	}
	if allowed == 0 {
		t.Error("nothing was allowed: the test measured only rejections")
	}
}

// TestModelByIndex: a model keyed by index (a simulation's, which keeps
// its states in pages) decides as the model keyed by string does, field
// for field, through the differential test's random calls, on keys across
// pages and outside them.
func TestModelByIndex(t *testing.T) {
	indexes := []int{0, 1, 1023, 1024, 70_000, 1<<30 - 1, 1 << 30, -1, math.MinInt, math.MaxInt}
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, streamOf(name)))
			calls := 0
			for range 200 {
				sc := newScenario(rng, name, 300)
				opts := algorithms.Options{ClockSkewAllowance: sc.skew}
				byName, err := algorithms.NewModel[string](name, sc.limit, opts)
				if err != nil {
					t.Fatal(err)
				}
				byIndex, err := algorithms.NewModel[int](name, sc.limit, opts)
				if err != nil {
					t.Fatal(err)
				}
				keys := make([]int, sc.keys)
				for i := range keys {
					keys[i] = indexes[rng.IntN(len(indexes))] // may repeat: the same key twice
				}
				for i, c := range sc.calls {
					now := time.UnixMicro(c.now)
					want, err := byName.AllowN(now, strconv.Itoa(keys[c.key]), c.cost)
					if err != nil {
						t.Fatal(err)
					}
					got, err := byIndex.AllowN(now, keys[c.key], c.cost)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("%+v skew %v, call %d %v on key %d: %+v by index, %+v by name", sc.limit, sc.skew, i, c, keys[c.key], got, want)
					}
					calls++
				}
			}
			t.Logf("%d calls", calls)
		})
	}
}

// BenchmarkModel measures one decision per iteration, the clock moving 1
// µs a decision, on one key and on 100,000 keys each asked about once a
// window: what `rlbench simulate` pushes through a model. With many keys
// the map lookup is most of the cost.
func BenchmarkModel(b *testing.B) {
	limit := algorithms.Limit{Requests: 10, Window: 100 * time.Millisecond}
	for _, keys := range []int{1, 100_000} {
		names := make([]string, keys)
		for i := range names {
			names[i] = fmt.Sprintf("user:%d", i)
		}
		for _, name := range algorithms.Names() {
			b.Run(fmt.Sprintf("%s/keys=%d", name, keys), func(b *testing.B) {
				m, err := algorithms.NewModel[string](name, limit, algorithms.Options{})
				if err != nil {
					b.Fatal(err)
				}
				now := epoch
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					i++
					now = now.Add(time.Microsecond)
					if _, err := m.AllowN(now, names[(i*7919)%keys], 1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
			})
		}
	}
}

// BenchmarkModelAllowN measures one decision per iteration as a simulation
// asks for them: keys by index, 100,000 of them in random order, so that
// reaching a key's state is a cache miss. Time moves 10 µs a request: each
// key is asked about once a second, within its 100 a minute, so most
// requests pass and write state.
func BenchmarkModelAllowN(b *testing.B) {
	const keys = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	order := make([]int, 1<<20)
	for i := range order {
		order[i] = rng.IntN(keys)
	}
	limit := algorithms.Limit{Requests: 100, Window: time.Minute}
	for _, name := range algorithms.Names() {
		b.Run(name, func(b *testing.B) {
			m, err := algorithms.NewModel[int](name, limit, algorithms.Options{})
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				now := epoch.Add(time.Duration(i) * 10 * time.Microsecond)
				if _, err := m.AllowN(now, order[i%len(order)], 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

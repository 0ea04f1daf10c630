package metrics_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/metrics"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// runPlan runs the seed's hot-key storm (64 callers, 640 requests, 100 per
// hour, so that no window boundary falls in a run of a second or two) for
// each algorithm on an embedded miniredis, watched by m and by
// a watch of its own that counts what it observes, and returns the file.
func runPlan(t *testing.T, m *metrics.Metrics, algos ...string) (*report.File, []int64) {
	t.Helper()
	load := &bench.Load{
		Limit:       algorithms.Limit{Requests: 100, Window: time.Hour},
		Requests:    640,
		Concurrency: 64,
		Key:         "user:1",
		Keys:        1,
		KeyDist:     "uniform",
		Interval:    time.Second,
		MissAfter:   workload.DefaultMissAfter,
		Timeout:     10 * time.Second,
		Seed:        1,
	}
	s, err := bench.Open(t.Context(), "", redisconn.Options{PoolSize: 64}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var observed []int64
	next := func(r bench.Run, cfg *workload.Config) func(workload.Result) {
		var n atomic.Int64
		cfg.Observe = func(workload.Sample) { n.Add(1) }
		return func(workload.Result) { observed = append(observed, n.Load()) }
	}
	plan := bench.Plan{Algorithms: algos, Workloads: []string{"closed"}, Limits: []algorithms.Limit{load.Limit}}.Runs()
	file := bench.NewFile(load, algos, []string{"closed"}, s.Info, s.Seed(), "test")
	if _, err := s.Execute(t.Context(), plan, file, m.Watch(s.Info.Kind, next)); err != nil {
		t.Fatal(err)
	}
	if len(file.Runs) != len(algos) {
		t.Fatalf("%d runs, want %d", len(file.Runs), len(algos))
	}
	return file, observed
}

func TestWatchCountsWhatTheResultsFileCounts(t *testing.T) {
	m := metrics.New()
	// token and sliding admit exactly 100 of 100 an hour; a fixed window
	// may admit 200 when the run crosses the top of an hour.
	file, _ := runPlan(t, m, "token", "sliding")
	kind := file.Target.Kind
	for _, run := range file.Runs {
		c := run.Counts
		for outcome, want := range map[string]int64{"accepted": c.Accepted, "rejected": c.Rejected, "unknown": c.Unknown, "failed": c.Errors} {
			got := value(t, m, metrics.Decisions, kind, run.Algorithm, "outcome", outcome)
			if got != float64(want) {
				t.Errorf("%s %s decisions = %v, want %d (results file)", run.Algorithm, outcome, got, want)
			}
		}
		if c.Accepted != 100 || c.Rejected != 540 {
			t.Errorf("%s: accepted %d rejected %d, want 100 and 540", run.Algorithm, c.Accepted, c.Rejected)
		}
		if got := histogramCount(t, m, metrics.Latency, kind, run.Algorithm); got != uint64(c.Accepted+c.Rejected) {
			t.Errorf("%s latency count = %d, want %d decisions", run.Algorithm, got, c.Accepted+c.Rejected)
		}
		if got := histogramCount(t, m, metrics.ScheduleLag, kind, run.Algorithm); got != uint64(c.Sent) {
			t.Errorf("%s schedule lag count = %d, want %d sent", run.Algorithm, got, c.Sent)
		}
		if got := value(t, m, metrics.InFlight, kind, run.Algorithm); got != 0 {
			t.Errorf("%s in flight after the run = %v, want 0", run.Algorithm, got)
		}
		if got := value(t, m, metrics.OverAdmitted, kind, run.Algorithm); got != float64(run.Accuracy.OverAdmitted) {
			t.Errorf("%s over admitted = %v, want %d (results file)", run.Algorithm, got, run.Accuracy.OverAdmitted)
		}
	}
}

func TestWatchKeepsTheNextObserver(t *testing.T) {
	file, observed := runPlan(t, metrics.New(), "token")
	if observed[0] != file.Runs[0].Counts.Sent || observed[0] != 640 {
		t.Errorf("the next watch observed %d requests, want all %d sent", observed[0], file.Runs[0].Counts.Sent)
	}
}

// The seed's sliding log races under 64 callers and admits more than
// 100: the gauge says how many more once the run is over.
func TestOverAdmittedAfterTheRun(t *testing.T) {
	m := metrics.New()
	file, _ := runPlan(t, m, "seed-sliding")
	run := file.Runs[0]
	got := value(t, m, metrics.OverAdmitted, file.Target.Kind, "seed-sliding")
	if got != float64(run.Accuracy.OverAdmitted) {
		t.Errorf("over admitted = %v, want %d (results file)", got, run.Accuracy.OverAdmitted)
	}
}

func TestLimiterCountsServeDecisions(t *testing.T) {
	mr := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { client.Close() })
	l, err := algorithms.New("fixed", client, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	counted := m.Series("miniredis", "fixed").Limiter(l)
	limit := algorithms.Limit{Requests: 3, Window: time.Minute}
	for range 5 {
		if _, err := counted.AllowN(t.Context(), "k", limit, 1); err != nil {
			t.Fatal(err)
		}
	}
	mr.Close() // every later call is refused: a connection error, nothing decided
	if _, err := counted.AllowN(t.Context(), "k", limit, 1); err == nil {
		t.Fatal("AllowN on a closed Redis succeeded")
	}
	for outcome, want := range map[string]float64{"accepted": 3, "rejected": 2, "unknown": 0, "failed": 1} {
		if got := value(t, m, metrics.Decisions, "miniredis", "fixed", "outcome", outcome); got != want {
			t.Errorf("%s = %v, want %v", outcome, got, want)
		}
	}
	if got := value(t, m, metrics.Errors, "miniredis", "fixed", "class", target.ClassConnection); got != 1 {
		t.Errorf("connection errors = %v, want 1", got)
	}
	if got := histogramCount(t, m, metrics.Latency, "miniredis", "fixed"); got != 5 {
		t.Errorf("latency count = %d, want 5 decisions", got)
	}
	if families, _ := m.Registry().Gather(); slices.ContainsFunc(families, func(f *dto.MetricFamily) bool { return f.GetName() == metrics.OverAdmitted }) {
		t.Errorf("serve's limiter exports %s, which it never counts", metrics.OverAdmitted)
	}
	if counted.Name() != "fixed" {
		t.Errorf("Name() = %q, want the wrapped limiter's", counted.Name())
	}
}

// A target's own class (an HTTP API's http-5xx) is counted beside the
// shared ones, and an unknown outcome is an error of its class too.
func TestObserveErrorClasses(t *testing.T) {
	m := metrics.New()
	s := m.Series("http", "none")
	now := time.Now()
	for _, o := range []target.Outcome{
		{Kind: target.Failed, Class: "http-5xx", Err: errors.New("503")},
		{Kind: target.Failed, Class: "http-5xx", Err: errors.New("503")},
		{Kind: target.Unknown, Class: target.ClassTimeout, Err: context.DeadlineExceeded},
	} {
		s.Observe(workload.Sample{Intended: now, Sent: now, Done: now, Outcome: o})
	}
	for class, want := range map[string]float64{"http-5xx": 2, target.ClassTimeout: 1, target.ClassConnection: 0} {
		if got := value(t, m, metrics.Errors, "http", "none", "class", class); got != want {
			t.Errorf("%s errors = %v, want %v", class, got, want)
		}
	}
}

func TestObserveAllocatesNothing(t *testing.T) {
	s := metrics.New().Series("miniredis", "sliding")
	now := time.Now()
	samples := []workload.Sample{
		{Intended: now, Sent: now.Add(time.Millisecond), Done: now.Add(2 * time.Millisecond), Outcome: target.Outcome{Kind: target.Accepted}},
		{Intended: now, Sent: now, Done: now.Add(time.Millisecond), Outcome: target.Outcome{Kind: target.Rejected}},
		{Intended: now, Sent: now, Done: now.Add(time.Second), Outcome: target.Outcome{Kind: target.Failed, Class: target.ClassScript}},
		{Intended: now, Sent: now, Done: now.Add(time.Second), Outcome: target.Outcome{Kind: target.Failed, Class: "http-5xx"}},
	}
	s.Observe(samples[3]) // a class of the target's own is resolved once
	for _, sample := range samples {
		if allocs := testing.AllocsPerRun(100, func() { s.Observe(sample) }); allocs != 0 {
			t.Errorf("Observe(%v) allocates %v times, want 0", sample.Outcome.Kind, allocs)
		}
	}
}

// Names is what the registry holds: every name, once each series exists.
func TestNamesAreRegistered(t *testing.T) {
	m := metrics.New()
	m.Series("redis", "fixed").Done(workload.Result{})
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		got = append(got, f.GetName())
	}
	want := metrics.Names()
	if len(got) != len(want) {
		t.Fatalf("registered %v, want %v", got, want)
	}
	for _, name := range want {
		found := false
		for _, g := range got {
			found = found || g == name
		}
		if !found {
			t.Errorf("%s is in Names but not registered (registered: %v)", name, got)
		}
	}
}

// value is the counter's or gauge's value of name for target, algorithm
// and, when given, one more label and its value.
func value(t *testing.T, m *metrics.Metrics, name, targetName, algorithm string, more ...string) float64 {
	t.Helper()
	metric := find(t, m, name, targetName, algorithm, more...)
	if c := metric.GetCounter(); c != nil {
		return c.GetValue()
	}
	return metric.GetGauge().GetValue()
}

// histogramCount is how many values the histogram name holds for target
// and algorithm.
func histogramCount(t *testing.T, m *metrics.Metrics, name, targetName, algorithm string) uint64 {
	t.Helper()
	return find(t, m, name, targetName, algorithm).GetHistogram().GetSampleCount()
}

// find gathers the one series of name with these labels.
func find(t *testing.T, m *metrics.Metrics, name, targetName, algorithm string, more ...string) *dto.Metric {
	t.Helper()
	want := map[string]string{"target": targetName, "algorithm": algorithm}
	if len(more) == 2 {
		want[more[0]] = more[1]
	}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, metric := range f.GetMetric() {
			got := labels(metric)
			for k, v := range want {
				if got[k] != v {
					continue series
				}
			}
			return metric
		}
	}
	t.Fatalf("no %s%v", name, want)
	return nil
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// A counted target keeps the engine's faster path: a PerWorker stays one,
// and its workers stay SelfTimed.
func TestTargetKeepsPerWorkerAndSelfTimed(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = client.Close() })
	l, err := algorithms.New("gcra", client, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	metricsOf := metrics.New()
	s := metricsOf.Series("redis", "gcra")
	pw, ok := s.Target(target.Dedicated(l, client)).(target.PerWorker)
	if !ok {
		t.Fatal("a counted PerWorker target is not a PerWorker")
	}
	w, release := pw.ForWorker()
	defer func() { _ = release.Close() }()
	timed, ok := w.(target.SelfTimed)
	if !ok {
		t.Fatal("a counted worker of a PerWorker target is not SelfTimed")
	}
	req := target.Request{Key: "k", Limit: algorithms.Limit{Requests: 10, Window: time.Second}, Cost: 1}
	if o := timed.DecideBy(t.Context(), req, time.Now().Add(time.Second)); o.Kind != target.Accepted {
		t.Errorf("DecideBy through the counted worker: %v (%v), want accepted", o.Kind, o.Err)
	}
	if _, ok := s.Target(target.Limiter(l)).(target.PerWorker); ok {
		t.Error("a counted plain target claims to be a PerWorker")
	}
}

package report

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// newLatencyHistogram has the range and precision of the workload
// package's histograms: 1 ns to 60 s at 3 significant figures.
func newLatencyHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, 60_000_000_000, 3)
}

// histogramOf records values (ns) and returns the histogram and its
// encoding as a results file holds it.
func histogramOf(t *testing.T, ns ...int64) (*hdrhistogram.Histogram, string) {
	t.Helper()
	h := newLatencyHistogram()
	for _, v := range ns {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	encoded, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return h, string(encoded)
}

// spread is n latencies from lo ns up in steps of step ns, with a tail:
// every tenth is ten times longer.
func spread(n int, lo, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = lo + int64(i)*step
		if i%10 == 9 {
			out[i] *= 10
		}
	}
	return out
}

// generatorFile is the results file of one load generator: the config of
// the fixture, its own seed and start, and one fixed run whose response
// and service times are the given values.
func generatorFile(t *testing.T, seed uint64, start time.Time, response, service []int64) *File {
	t.Helper()
	rh, re := histogramOf(t, response...)
	sh, se := histogramOf(t, service...)
	f := fixture()
	f.Config.Seed = seed
	f.GeneratorID = fmt.Sprintf("generator-%d", seed)
	f.StartedAt, f.EndedAt = start, start.Add(2*time.Second)
	sent := int64(len(response))
	f.Runs = []Run{{
		Algorithm: "fixed",
		Workload:  "window-edge",
		Limit:     Limit{Requests: 20, WindowUS: 1_000_000},
		Counts: Counts{
			Sent: sent, Accepted: sent - 12, Rejected: 10, Errors: 2, Missed: 1,
			ErrorsByClass: map[string]int64{"timeout": 2},
		},
		Rates: Rates{OfferedPerS: 50, AchievedPerS: 49.5, AcceptedPerS: 40},
		Latency: Latency{
			ResponseUS: histogramPercentiles(rh), ServiceUS: histogramPercentiles(sh),
			Histogram: re, ServiceHistogram: se, OverRange: 1,
		},
		Accuracy: Accuracy{
			MaxAdmittedInWindow: 15, Bound: 20, LongRunAcceptedPerS: 40, ConfiguredPerS: 20, Keys: 1,
		},
		Generator:  Generator{MaxLagUS: 100, P99LagUS: 50, MissAfterUS: 10_000},
		Timeseries: Timeseries{IntervalUS: 500_000, Points: []Point{{TUS: 0, Accepted: 5}, {TUS: 500_000, Accepted: 6}}},
		ElapsedUS:  2_000_000,
		EndReason:  EndCompleted,
	}}
	return f
}

func TestMergeAddsUp(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(100, 100_000, 1_000), spread(100, 90_000, 1_000))
	b := generatorFile(t, 2, start.Add(300*time.Millisecond), spread(60, 150_000, 3_000), spread(60, 140_000, 3_000))
	b.EndReason, b.Error = EndInterrupted, ""
	b.Runs[0].Counts.ErrorsByClass = map[string]int64{"timeout": 1, "connection": 4}
	b.Runs[0].Counts.Errors = 5
	b.Runs[0].ElapsedUS = 2_500_000
	b.Runs[0].EndReason = EndInterrupted
	b.Runs[0].Generator = Generator{Behind: true, MaxLagUS: 900, P99LagUS: 20, MissAfterUS: 10_000}
	b.Runs[0].Accuracy.Keys = 3

	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.StartedAt != a.StartedAt || m.EndedAt != b.EndedAt || m.EndReason != EndInterrupted {
		t.Errorf("started %v ended %v reason %q, want %v, %v, interrupted", m.StartedAt, m.EndedAt, m.EndReason, a.StartedAt, b.EndedAt)
	}
	if m.Config.Seed != 1 {
		t.Errorf("seed %d, want the first file's, 1", m.Config.Seed)
	}
	r := m.Runs[0]
	wantCounts := Counts{
		Sent: 160, Accepted: 88 + 48, Rejected: 20, Errors: 7, Missed: 2,
		ErrorsByClass: map[string]int64{"timeout": 3, "connection": 4},
	}
	if !reflect.DeepEqual(r.Counts, wantCounts) {
		t.Errorf("counts %+v, want %+v", r.Counts, wantCounts)
	}
	if want := (Rates{OfferedPerS: 100, AchievedPerS: 99, AcceptedPerS: 80}); r.Rates != want {
		t.Errorf("rates %+v, want %+v", r.Rates, want)
	}
	if want := (Generator{Behind: true, MaxLagUS: 900, P99LagUS: 50, MissAfterUS: 10_000}); r.Generator != want {
		t.Errorf("generator %+v, want %+v", r.Generator, want)
	}
	wantAccuracy := Accuracy{
		MaxAdmittedInWindow: 30, MaxAdmittedInWindowAtMost: 30, Bound: 20,
		OverAdmitted: 10, OverAdmittedAtMost: 10, KeysOverBound: 1, KeysMaybeOverBound: 1,
		LongRunAcceptedPerS: 80, ConfiguredPerS: 20, Keys: 3,
	}
	if !reflect.DeepEqual(r.Accuracy, wantAccuracy) {
		t.Errorf("accuracy %+v, want %+v", r.Accuracy, wantAccuracy)
	}
	if r.ElapsedUS != 2_500_000 || r.EndReason != EndInterrupted || r.Generators != 2 || r.Latency.OverRange != 2 {
		t.Errorf("elapsed %d, end %q, generators %d, over range %d; want 2500000, interrupted, 2, 2",
			r.ElapsedUS, r.EndReason, r.Generators, r.Latency.OverRange)
	}
}

// TestMergeHistogramsExact: the merged histogram is the one a single
// generator would have recorded, so its percentiles are those of all the
// samples together, not an average of percentiles.
func TestMergeHistogramsExact(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ra, sa := spread(1000, 100_000, 700), spread(1000, 80_000, 500)
	rb, sb := spread(300, 2_000_000, 9_000), spread(300, 1_500_000, 7_000)
	m, err := Merge(generatorFile(t, 1, start, ra, sa), generatorFile(t, 2, start, rb, sb))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		encoded string
		got     Percentiles
		all     []int64
	}{
		{"response", m.Runs[0].Latency.Histogram, m.Runs[0].Latency.ResponseUS, append(ra, rb...)},
		{"service", m.Runs[0].Latency.ServiceHistogram, m.Runs[0].Latency.ServiceUS, append(sa, sb...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			merged, err := hdrhistogram.Decode([]byte(tt.encoded))
			if err != nil {
				t.Fatal(err)
			}
			one, _ := histogramOf(t, tt.all...)
			if merged.TotalCount() != 1300 {
				t.Errorf("merged total count %d, want 1300", merged.TotalCount())
			}
			if got, want := merged.ValueAtQuantile(99), one.ValueAtQuantile(99); got != want {
				t.Errorf("merged p99 %d ns, one histogram of all values %d ns", got, want)
			}
			if want := histogramPercentiles(one); tt.got != want {
				t.Errorf("percentiles %+v, want %+v", tt.got, want)
			}
			if !merged.Equals(one) {
				t.Error("the merged histogram differs from one of all the values")
			}
		})
	}
}

// TestMergeTimeseriesAligns merges generators that started one and a half
// intervals apart: each point goes to the interval holding its start on
// the merged clock, which starts with the earlier generator.
func TestMergeTimeseriesAligns(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
	b := generatorFile(t, 2, start.Add(750*time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
	a.Runs[0].Timeseries.Points = []Point{
		{TUS: 0, Accepted: 1}, {TUS: 500_000, Accepted: 2}, {TUS: 1_000_000, Accepted: 3},
	}
	b.Runs[0].Timeseries.Points = []Point{
		{TUS: 0, Accepted: 10, Rejected: 1}, {TUS: 500_000, Accepted: 20, Errors: 2},
		{TUS: 1_000_000, Accepted: 30}, {TUS: 1_500_000, Rejected: 4},
	}
	// b's points start at 0.75 s, 1.25 s, 1.75 s and 2.25 s on a's clock.
	for _, files := range [][]*File{{a, b}, {b, a}} {
		m, err := Merge(files...)
		if err != nil {
			t.Fatal(err)
		}
		want := Timeseries{IntervalUS: 500_000, Points: []Point{
			{TUS: 0, Accepted: 1},
			{TUS: 500_000, Accepted: 2 + 10, Rejected: 1},
			{TUS: 1_000_000, Accepted: 3 + 20, Errors: 2},
			{TUS: 1_500_000, Accepted: 30},
			{TUS: 2_000_000, Rejected: 4},
		}}
		if got := m.Runs[0].Timeseries; !reflect.DeepEqual(got, want) {
			t.Errorf("timeseries\n got %+v\nwant %+v", got, want)
		}
		if !m.StartedAt.Equal(start) {
			t.Errorf("started %v, want %v", m.StartedAt, start)
		}
	}
}

func TestMergeRefusesMismatch(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(f *File)
		want   string
	}{
		{"workload", func(f *File) { f.Config.Workload = "steady" },
			`results do not match: config.workload is "window-edge" in file 1 but "steady" in file 2`},
		{"algorithms", func(f *File) { f.Config.Algorithms = []string{"fixed"} },
			`results do not match: config.algorithms is ["fixed","token"] in file 1 but ["fixed"] in file 2`},
		{"limit", func(f *File) { f.Config.Limit.Requests = 10 },
			`results do not match: config.limit.requests is 20 in file 1 but 10 in file 2`},
		{"rate", func(f *File) { f.Config.Rate = 25.5 },
			`results do not match: config.rate is 0 in file 1 but 25.5 in file 2`},
		{"tiers", func(f *File) { f.Config.Tiers = []Tier{{Name: "free", Share: 1}} },
			`results do not match: config.tiers is null in file 1 but [{"name":"free","limit":{"requests":0,"window_us":0,"burst":0},"share":1}] in file 2`},
		{"target kind", func(f *File) { f.Target.Kind = "cluster" },
			`results do not match: target.kind is "redis" in file 1 but "cluster" in file 2`},
		{"target address", func(f *File) { f.Target.Address = "10.0.0.2:6379" },
			`results do not match: target.address is "127.0.0.1:6379" in file 1 but "10.0.0.2:6379" in file 2`},
		{"run missing", func(f *File) { f.Runs = nil },
			`results do not match: runs: run fixed/window-edge/20per1s is in file 1 but not in file 2`},
		{"run extra", func(f *File) { f.Runs = append(f.Runs, f.Runs[0]); f.Runs[1].Repeat = 1 },
			`results do not match: runs: run fixed/window-edge/20per1s (repeat 1) is in file 2 but not in file 1`},
		{"run limit", func(f *File) { f.Runs[0].Limit.Burst = 40 },
			`results do not match: runs: run fixed/window-edge/20per1s is in file 1 but not in file 2`},
		{"interval", func(f *File) { f.Runs[0].Timeseries.IntervalUS = 250_000 },
			`results do not match: run fixed/window-edge/20per1s: timeseries.interval_us is 500000 in file 1 but 250000 in file 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
			b := generatorFile(t, 2, start, spread(10, 1000, 10), spread(10, 1000, 10))
			tt.change(b)
			m, err := Merge(a, b)
			if !errors.Is(err, ErrMergeMismatch) || err.Error() != tt.want {
				t.Errorf("Merge = %v, %v\nwant error %q wrapping ErrMergeMismatch", m, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Error("the error spans several lines")
			}
		})
	}
}

func TestMergeIgnoresSeed(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
	b := generatorFile(t, 99, start, spread(10, 1000, 10), spread(10, 1000, 10))
	b.Config.Tiers = []Tier{} // empty is absent
	if _, err := Merge(a, b); err != nil {
		t.Errorf("Merge of files that differ in their seeds: %v", err)
	}
}

func TestMergeBadHistogram(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, change := range map[string]func(r *Run){
		"corrupt": func(r *Run) { r.Latency.Histogram = "HISTFAAAAxyz" },
		"missing": func(r *Run) { r.Latency.ServiceHistogram = "" },
	} {
		t.Run(name, func(t *testing.T) {
			a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
			b := generatorFile(t, 2, start, spread(10, 1000, 10), spread(10, 1000, 10))
			change(&b.Runs[0])
			if _, err := Merge(a, b); !errors.Is(err, ErrBadHistogram) || !strings.Contains(err.Error(), "file 2, run fixed/window-edge/20per1s") {
				t.Errorf("Merge = %v, want ErrBadHistogram naming file 2 and the run", err)
			}
		})
	}
}

// TestMergeNothingSent: a run that sent nothing has no latencies to merge,
// and an empty histogram is not an error.
func TestMergeNothingSent(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, nil, nil)
	b := generatorFile(t, 2, start, nil, nil)
	b.Runs[0].Latency.Histogram, b.Runs[0].Latency.ServiceHistogram = "", ""
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Runs[0].Latency.ResponseUS; got != (Percentiles{}) {
		t.Errorf("percentiles of nothing: %+v", got)
	}
}

func TestMergeOneFile(t *testing.T) {
	f := fixture()
	f.Runs[1].Generators = 3
	m, err := Merge(f)
	if err != nil {
		t.Fatal(err)
	}
	want := fixture()
	want.Runs[0].Generators, want.Runs[1].Generators = 1, 3
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Merge(f) =\n%+v\nwant\n%+v", m, want)
	}
	// The copy shares nothing with f.
	m.Config.Algorithms[0] = "changed"
	m.Runs[1].Counts.ErrorsByClass["timeout"] = 100
	m.Runs[0].Timeseries.Points[0].Accepted = 100
	if f.Config.Algorithms[0] != "fixed" || f.Runs[1].Counts.ErrorsByClass["timeout"] != 3 || f.Runs[0].Timeseries.Points[0].Accepted != 20 {
		t.Error("changing the merged file changed its input")
	}
}

// TestMergeRedisCost: one file keeps its Redis cost, a copy of it; the
// generators of a merge each measured the whole shared server, so the
// merged run says why it has none instead of adding their figures.
func TestMergeRedisCost(t *testing.T) {
	f := costFixture()
	one, err := Merge(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(one.Runs[0].RedisCost, f.Runs[0].RedisCost) {
		t.Errorf("Merge(f) cost = %+v, want %+v", one.Runs[0].RedisCost, f.Runs[0].RedisCost)
	}
	one.Runs[0].RedisCost.CommandsByName["get"] = 1
	if f.Runs[0].RedisCost.CommandsByName["get"] != 400 {
		t.Error("changing the merged cost changed its input")
	}

	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(10, 100_000, 1_000), spread(10, 90_000, 1_000))
	b := generatorFile(t, 2, start, spread(10, 100_000, 1_000), spread(10, 90_000, 1_000))
	for _, tt := range []struct {
		name       string
		costA      *RedisCost
		whyA, whyB string
		want       string
	}{
		{"both measured", validCost(), "", "", costNotMerged},
		{"one measured", nil, "not measured on the embedded miniredis", "", costNotMerged},
		{"neither", nil, "not measured on the embedded miniredis", "not measured on the embedded miniredis", "not measured on the embedded miniredis"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a.Runs[0].RedisCost, a.Runs[0].RedisCostUnavailable = tt.costA, tt.whyA
			b.Runs[0].RedisCost, b.Runs[0].RedisCostUnavailable = validCost(), tt.whyB
			if tt.whyB != "" {
				b.Runs[0].RedisCost = nil
			}
			m, err := Merge(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if r := m.Runs[0]; r.RedisCost != nil || r.RedisCostUnavailable != tt.want {
				t.Errorf("merged cost %+v, %q; want none, %q", r.RedisCost, r.RedisCostUnavailable, tt.want)
			}
		})
	}
}

// TestMergeLeavesInputs: Merge writes nothing into the files it is given.
func TestMergeLeavesInputs(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
	b := generatorFile(t, 2, start, spread(10, 1000, 10), spread(10, 1000, 10))
	before := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
	if _, err := Merge(a, b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, before) {
		t.Error("Merge modified its first input")
	}
}

// TestMergeGenerators: a file that is itself a merge counts for the
// generators it merged, so merging in stages gives the same count.
func TestMergeGenerators(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	file := func(seed uint64) *File {
		return generatorFile(t, seed, start, spread(10, 1000, 10), spread(10, 1000, 10))
	}
	ab, err := Merge(file(1), file(2))
	if err != nil {
		t.Fatal(err)
	}
	abc, err := Merge(ab, file(3))
	if err != nil {
		t.Fatal(err)
	}
	all, err := Merge(file(1), file(2), file(3))
	if err != nil {
		t.Fatal(err)
	}
	if abc.Runs[0].Generators != 3 || !reflect.DeepEqual(abc, all) {
		t.Errorf("merged in stages: %d generators, and differs from merging at once: %v", abc.Runs[0].Generators, !reflect.DeepEqual(abc, all))
	}
	if want := []string{"generator-1", "generator-2", "generator-3"}; !slices.Equal(abc.GeneratorIDs, want) || abc.GeneratorID != "" {
		t.Errorf("merged in stages: generator_ids %q, generator_id %q; want %q and none", abc.GeneratorIDs, abc.GeneratorID, want)
	}
}

// TestMergeNamedGenerators: generators named with --generator-id and
// started at one --start-at merge; the merged file lists their names and
// is itself no one generator's.
func TestMergeNamedGenerators(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var files []*File
	for i, name := range []string{"east-1", "west-1"} {
		f := generatorFile(t, uint64(i+1), start.Add(time.Duration(i)*time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
		f.GeneratorID, f.Config.GeneratorID = name, name
		// The same instant, written in two zones.
		f.Config.StartAt = start.In(time.FixedZone("", i*3600))
		files = append(files, f)
	}
	m, err := Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.GeneratorIDs, []string{"east-1", "west-1"}) || m.GeneratorID != "" || m.Config.GeneratorID != "" || !m.Config.StartAt.Equal(start) {
		t.Errorf("merged generator_ids %q, generator_id %q, config.generator_id %q, config.start_at %s; want east-1 and west-1, none, none, %s",
			m.GeneratorIDs, m.GeneratorID, m.Config.GeneratorID, m.Config.StartAt, start)
	}
	// A file from before generators had ids leaves the list out: it
	// would be incomplete.
	files[1].GeneratorID, files[1].Config.GeneratorID = "", ""
	m, err = Merge(files...)
	if err != nil {
		t.Fatal(err)
	}
	if m.GeneratorIDs != nil {
		t.Errorf("merge with a file without a generator_id: generator_ids %q, want none", m.GeneratorIDs)
	}
}

func TestMergeAccuracyBounds(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name                 string
		maxA, overA          int64
		maxB, overB          int64
		bound                int64
		wantMax, wantOver    int64
		wantKeysOverAtLeast1 bool
	}{
		{"under the bound together", 8, 0, 9, 0, 20, 17, 0, false},
		{"over the bound together", 15, 0, 15, 0, 20, 30, 10, true},
		// Per-key over-admission that one generator saw on many keys
		// can exceed the busiest key's excess: keep the larger.
		{"one generator saw more", 21, 12, 2, 0, 20, 23, 12, true},
		{"no bound", 50, 0, 50, 0, -1, 100, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
			b := generatorFile(t, 2, start, spread(10, 1000, 10), spread(10, 1000, 10))
			a.Runs[0].Accuracy.MaxAdmittedInWindow, a.Runs[0].Accuracy.OverAdmitted, a.Runs[0].Accuracy.Bound = tt.maxA, tt.overA, tt.bound
			b.Runs[0].Accuracy.MaxAdmittedInWindow, b.Runs[0].Accuracy.OverAdmitted, b.Runs[0].Accuracy.Bound = tt.maxB, tt.overB, tt.bound
			m, err := Merge(a, b)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Runs[0].Accuracy
			if got.MaxAdmittedInWindow != tt.wantMax || got.OverAdmitted != tt.wantOver || got.Bound != tt.bound ||
				(got.KeysOverBound > 0) != tt.wantKeysOverAtLeast1 {
				t.Errorf("accuracy %+v, want max %d, over %d, bound %d", got, tt.wantMax, tt.wantOver, tt.bound)
			}
		})
	}
}

func TestMergeNoFiles(t *testing.T) {
	if _, err := Merge(); err == nil {
		t.Error("Merge() succeeded")
	}
	if _, err := Merge(fixture(), nil); err == nil {
		t.Error("Merge with a nil file succeeded")
	}
}

// TestMergeSaid: what two generators' target said adds up; the first
// declared quota stands and another counts as a change.
func TestMergeSaid(t *testing.T) {
	a := &Said{Rejected: 10, RejectedWithoutRetry: 2, DeclaredQuota: 100, DeclaredWindowUS: 60e6, RemainingChecked: 7, RemainingRose: 1}
	b := &Said{Rejected: 5, RejectedWithoutRetry: 1, DeclaredQuota: 50, DeclaredWindowUS: 60e6, QuotaChanges: 3, RemainingChecked: 4, RemainingDisagreed: 2}
	got := mergeSaid(mergeSaid(nil, a), b)
	want := Said{Rejected: 15, RejectedWithoutRetry: 3, DeclaredQuota: 100, DeclaredWindowUS: 60e6, QuotaChanges: 4,
		RemainingChecked: 11, RemainingRose: 1, RemainingDisagreed: 2}
	if *got != want || a.Rejected != 10 {
		t.Errorf("merged %+v (first file now %+v), want %+v and the first file untouched", *got, *a, want)
	}
	if mergeSaid(nil, nil) != nil {
		t.Error("no target said anything, yet the merge holds a Said")
	}
}

// TestMergeOracle: each generator judged only its own decisions, so a
// merge of several keeps no oracle figures and says why; one file keeps
// its own.
func TestMergeOracle(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := generatorFile(t, 1, start, spread(10, 100_000, 1_000), spread(10, 90_000, 1_000))
	b := generatorFile(t, 2, start, spread(10, 100_000, 1_000), spread(10, 90_000, 1_000))
	o := &Oracle{Policy: "sliding", Judged: 10, HoldUS: 1_000_000, Timeseries: OracleTimeseries{IntervalUS: 1_000_000}}
	a.Runs[0].Oracle, b.Runs[0].Oracle = o, o
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.Runs[0]; r.Oracle != nil || r.OracleUnavailable != oracleUnavailableMerged {
		t.Errorf("merged oracle %+v, %q; want none, %q", r.Oracle, r.OracleUnavailable, oracleUnavailableMerged)
	}
	one, err := Merge(a)
	if err != nil {
		t.Fatal(err)
	}
	if one.Runs[0].Oracle == nil || one.Runs[0].OracleUnavailable != "" {
		t.Errorf("Merge(a) oracle %+v, %q; want a's own", one.Runs[0].Oracle, one.Runs[0].OracleUnavailable)
	}
}

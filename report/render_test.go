package report

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// ownFormats are the formats of this package; report/formats lists them
// with the html page.
var ownFormats = []Format{Table, JSON, CSV, Markdown, Benchfmt}

func TestRenderGolden(t *testing.T) {
	files := map[string]func() *File{"": fixture, "_interrupted": interruptedFixture, "_cost": costFixture, "_no_cost": noCostFixture,
		"_oracle": oracleFixture}
	for _, format := range ownFormats {
		for suffix, file := range files {
			name := format.Name + suffix
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := format.Render(&buf, file()); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
			})
		}
	}
}

// golden compares got with the golden file at path, or rewrites the file
// under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./report -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestRenderJSONDecodes(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON.Render(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	got, err := decodeReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := fixture()
	want.SchemaVersion = SchemaVersion
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decodeReader(Render json) = %+v\nwant %+v", got, want)
	}
}

func TestRenderCSVShape(t *testing.T) {
	var buf bytes.Buffer
	f := fixture()
	if err := CSV.Render(&buf, f); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+len(f.Runs) {
		t.Fatalf("csv has %d records, want a header and %d runs", len(records), len(f.Runs))
	}
	header := records[0]
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("csv header %q lacks %s", header, name)
		return -1
	}
	for _, c := range []struct{ column, want string }{
		{"algorithm", "token"},
		{"limit_burst", "30"},
		{"response_p99_us", "153400.3"},
		{"response_max_us", "161203.31"},
		{"behind", "true"},
		{"end_reason", "completed"},
	} {
		if got := records[2][col(c.column)]; got != c.want {
			t.Errorf("csv %s = %q, want %q", c.column, got, c.want)
		}
	}
}

func TestRenderEmpty(t *testing.T) {
	for _, format := range ownFormats {
		t.Run(format.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := format.Render(&buf, &File{}); err != nil {
				t.Fatal(err)
			}
			if buf.Len() == 0 {
				t.Error("no output for a file without runs")
			}
		})
	}
}

func TestRenderNotSent(t *testing.T) {
	f := fixture()
	f.Runs = []Run{{Algorithm: "gcra", Workload: "steady"}}
	var buf bytes.Buffer
	if err := Table.Render(&buf, f); err != nil {
		t.Fatal(err)
	}
	// A run that sent nothing has no rate or latency: dashes, not zeros.
	// So has a run without a bound.
	if n := len(regexp.MustCompile(` - │`).FindAllString(buf.String(), -1)); n != 6 {
		t.Errorf("table for a run that sent nothing shows %d dashes, want 6:\n%s", n, buf.String())
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		file File
		want string
	}{
		{"bare", File{}, "seed 0"},
		{"miniredis", File{Target: Target{Kind: "miniredis"}, EndReason: EndCompleted}, "target miniredis · seed 0 · completed"},
		{"sentinel", File{Target: Target{Kind: "sentinel", ServerVersion: "7.0.15", Address: "10.0.0.1:6379", Sentinel: &SentinelTopology{
			MasterName: "cache", Master: "10.0.0.1:6379", Replicas: []string{"10.0.0.2:6379"}, Sentinels: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26379"}, Quorum: 2,
		}}}, "target sentinel 7.0.15 at 10.0.0.1:6379 (master cache, 1 replica, 3 sentinels) · seed 0"},
		{"error", File{EndReason: EndError, Error: "dial tcp: refused"}, "seed 0 · ended by an error: dial tcp: refused"},
		{"a random generator id is not shown", File{GeneratorID: "07a106ec88c33e8b"}, "seed 0"},
		{"a named generator and its start", File{GeneratorID: "east-1", EndReason: EndCompleted,
			Config: Config{GeneratorID: "east-1", StartAt: time.Date(2026, 12, 2, 16, 0, 0, 500_000_000, time.UTC)}},
			"seed 0 · generator east-1 · start-at 2026-12-02T16:00:00.5Z · completed"},
		{"the default client goes unsaid", File{Config: Config{Client: "go-redis"}}, "seed 0"},
		{"another client", File{Config: Config{Client: "rueidis"}}, "client rueidis · seed 0"},
		{"clients in turn", File{Config: Config{Client: "go-redis,rueidis"}}, "clients go-redis, rueidis · seed 0"},
		{"merged generators", File{GeneratorIDs: []string{"east-1", "07a106ec88c33e8b", "west-1"}},
			"seed 0 · generators east-1, 07a106ec88c33e8b, west-1"},
		{"ramp and zipf", File{Config: Config{
			Workload: "ramp", RateStart: 10, Rate: 500.5, Keys: 1000, KeyDist: "zipf", ZipfS: 1.1,
			Limit: Limit{Requests: 100, WindowUS: 600_000_000, Burst: 100}, Clock: "client", Seed: 7,
		}}, "workload ramp from 10/s to 500.5/s · limit 100/10m · 1000 keys zipf s=1.1 · clock client · seed 7"},
		{"bursty and tiers", File{Config: Config{
			Workload: "bursty", BurstSize: 50, BurstEveryUS: 250_000,
			Tiers: []Tier{
				{Name: "free", Limit: Limit{Requests: 100, WindowUS: 600_000_000}, Share: 0.9},
				{Name: "premium", Limit: Limit{Requests: 500, WindowUS: 600_000_000, Burst: 600}, Share: 0.1},
			},
		}}, "workload bursty, bursts of 50 every 250ms · tiers free 100/10m (90%), premium 500/10m burst 600 (10%) · seed 0"},
		{"closed", File{Config: Config{Workload: "closed", Concurrency: 64, Limit: Limit{Requests: 5, WindowUS: 1500}}},
			"workload closed, 64 workers · limit 5/1500µs · seed 0"},
		{"one worker, one key", File{Config: Config{Workload: "closed", Concurrency: 1, Keys: 1, KeyDist: "uniform",
			Limit: Limit{Requests: 5, WindowUS: 1_000_000}}},
			"workload closed, 1 worker · limit 5/1s · 1 key · seed 0"},
		{"open: no workers", File{Config: Config{Workload: "steady", Rate: 2000, Concurrency: 10, Keys: 10, KeyDist: "uniform",
			Limit: Limit{Requests: 5, WindowUS: 1_000_000}}},
			"workload steady at 2000/s · limit 5/1s · 10 keys uniform · seed 0"},
		{"ramp over its duration", File{Config: Config{Workload: "ramp", RateStart: 0, Rate: 50, DurationUS: 30_000_000, Concurrency: 10}},
			"workload ramp from 0/s to 50/s over 30s · seed 0"},
		{"bursty on a base rate", File{Config: Config{Workload: "bursty", BaseRate: 20, BurstSize: 100, BurstEveryUS: 50_000, Concurrency: 10}},
			"workload bursty, bursts of 100 every 50ms on top of 20/s · seed 0"},
		{"window-edge offset", File{Config: Config{Workload: "window-edge", BurstSize: 20, EdgeOffsetUS: 5000, Concurrency: 10,
			Limit: Limit{Requests: 20, WindowUS: 1_000_000}}},
			"workload window-edge, bursts of 20 5ms before and after each 1s boundary · limit 20/1s · seed 0"},
		{"bench workloads", File{Config: Config{Workload: "steady,bursty,closed", Workloads: []string{"steady", "bursty", "closed"},
			Rate: 2000, BurstSize: 100, BurstEveryUS: 50_000, Concurrency: 10, Limit: Limit{Requests: 100, WindowUS: 1_000_000}}},
			"workloads steady at 2000/s; bursty, bursts of 100 every 50ms; closed, 10 workers · limit 100/1s · seed 0"},
		{"sweep limits", File{Config: Config{Workload: "closed", Concurrency: 1, Sweep: "limit=10,100", Limit: Limit{Requests: 100, WindowUS: 600_000_000}},
			Runs: []Run{
				{Algorithm: "fixed", Limit: Limit{Requests: 10, WindowUS: 600_000_000}},
				{Algorithm: "sliding", Limit: Limit{Requests: 10, WindowUS: 600_000_000}},
				{Algorithm: "fixed", Limit: Limit{Requests: 100, WindowUS: 600_000_000}},
			}},
			"workload closed, 1 worker · limits 10/10m, 100/10m · seed 0"},
		{"a sweep of one limit", File{Config: Config{Workload: "closed", Concurrency: 1, Sweep: "limit=10", Limit: Limit{Requests: 100, WindowUS: 1_000_000}},
			Runs: []Run{{Algorithm: "fixed", Limit: Limit{Requests: 10, WindowUS: 1_000_000}}}},
			"workload closed, 1 worker · limit 10/1s · seed 0"},
		{"tiers replace the limit", File{Config: Config{Workload: "closed", Concurrency: 2, Keys: 10, KeyDist: "uniform",
			Limit: Limit{Requests: 100, WindowUS: 60_000_000},
			Tiers: []Tier{{Name: "a", Limit: Limit{Requests: 10, WindowUS: 1_000_000}, Share: 0.5}, {Name: "b", Limit: Limit{Requests: 20, WindowUS: 1_000_000}, Share: 0.5}}},
			Runs: []Run{{Algorithm: "fixed", Limit: Limit{Requests: 100, WindowUS: 60_000_000}}}},
			"workload closed, 2 workers · tiers a 10/1s (50%), b 20/1s (50%) · 10 keys uniform · seed 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(&tt.file); got != tt.want {
				t.Errorf("summary = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

// TestOverAdmittedInterval: a run with unknown outcomes shows its
// accuracy as an interval, never a certain 0 over.
func TestOverAdmittedInterval(t *testing.T) {
	r := &Run{Accuracy: Accuracy{MaxAdmittedInWindow: 64, MaxAdmittedInWindowAtMost: 103, Bound: 100, OverAdmitted: 0, OverAdmittedAtMost: 3}}
	got := map[string]string{}
	for _, c := range runColumns(nil) {
		got[c.header] = c.cell(r)
	}
	if got["over-admitted"] != "0–3" || got["max-in-window"] != "64–103" {
		t.Errorf("over-admitted %q, max-in-window %q; want 0–3 and 64–103", got["over-admitted"], got["max-in-window"])
	}
}

// TestNotesWorstKey: with many keys the table names the worst key, its
// tier and its own figures.
func TestNotesWorstKey(t *testing.T) {
	f := &File{Runs: []Run{{Algorithm: "sliding", Workload: "closed", Accuracy: Accuracy{
		Keys: 20, KeysOverBound: 1, WorstKey: "user:19", WorstTier: "premium",
		MaxAdmittedInWindow: 205, MaxAdmittedInWindowAtMost: 205, Bound: 110, BurstBound: -1, AlignedBound: -1,
	}}}}
	want := "keys: sliding/closed: 1 of 20 keys over their bound; worst key user:19 (premium): 205 in a window against a bound of 110"
	if got := notes(f); !slices.Contains(got, want) {
		t.Errorf("notes %q, want %q among them", got, want)
	}
}

// costFixture is fixture with what each run cost Redis: the fixed window's
// one script call per decision, and a token bucket run that left a key
// without a TTL and one that outlives its state.
func costFixture() *File {
	f := fixture()
	f.Runs[0].RedisCost = &RedisCost{
		Masters: 1, CommandsByName: map[string]int64{"evalsha": 400, "time": 400, "get": 400, "incrby": 200, "pexpire": 200},
		Commands: 1600, ScriptCalls: 400, ScriptCommands: 1200, CommandsPerDecision: 1, ScriptCommandsPerDecision: 3,
		CPUUS: 4410, CPUUSPerDecision: 11.025, UsedMemoryDelta: 208, KeysDelta: 2, MemoryPerKey: 104,
		Keys: 2, LongestTTLUS: 1_002_000, MemoryUsageSampled: 2, MemoryUsagePerKey: 104,
	}
	f.Runs[1].RedisCost = &RedisCost{
		Masters: 1, CommandsByName: map[string]int64{"evalsha": 400, "time": 400, "hmget": 400, "hset": 190, "pexpire": 190},
		Commands: 1580, ScriptCalls: 400, ScriptCommands: 1180, CommandsPerDecision: 1, ScriptCommandsPerDecision: 2.95,
		CPUUS: 5123, CPUUSPerDecision: 12.8075, UsedMemoryDelta: 400, KeysDelta: 3, MemoryPerKey: 133.33333333333334,
		Keys: 3, KeysWithoutTTL: 1, KeysPastTTL: 1, LongestTTLUS: 1_502_000, MemoryUsageSampled: 3, MemoryUsagePerKey: 136,
	}
	return f
}

// noCostFixture is fixture run on the embedded miniredis, which cannot
// say what a decision costs.
func noCostFixture() *File {
	f := fixture()
	f.Target = Target{Kind: "miniredis", Address: "127.0.0.1:40000", ServerVersion: "v2.35.0"}
	for i := range f.Runs {
		f.Runs[i].RedisCostUnavailable = "not measured on the embedded miniredis"
	}
	return f
}

// oracleFixture is fixture judged by the sliding policy (--oracle): the
// fixed window's second burst all false allows, one of the token bucket's
// decisions judged late.
func oracleFixture() *File {
	f := fixture()
	f.Config.Oracle = "sliding"
	f.Runs[0].Oracle = &Oracle{Policy: "sliding", Judged: 400, FalseAllows: 20, FalseAllowsAtMost: 20,
		FalseAllowsPct: 5, KeysWithFalseAllows: 1, WorstKey: "user:1",
		AdmittedByTarget: 200, AdmittedByPolicy: 180, RateDiffPct: 11.11111111111111, RateWindows: 20, HoldUS: 1_000_000,
		Timeseries: OracleTimeseries{IntervalUS: 1_000_000, Points: []OraclePoint{{TUS: 0, FalseAllows: 0}, {TUS: 1_000_000, FalseAllows: 20}}}}
	f.Runs[1].Oracle = &Oracle{Policy: "sliding", Judged: 395, FalseAllows: 6, FalseAllowsAtMost: 6, FalseDenies: 2, FalseDeniesAtMost: 2,
		FalseAllowsPct: 1.5189873417721518, FalseDeniesPct: 0.5063291139240507, KeysWithFalseAllows: 1, KeysWithFalseDenies: 1, WorstKey: "user:1",
		AdmittedByTarget: 190, AdmittedByPolicy: 186, RateDiffPct: 2.150537634408602, RateWindows: 20, Late: 1, HoldUS: 1_000_000,
		Timeseries: OracleTimeseries{IntervalUS: 1_000_000, Points: []OraclePoint{{TUS: 0, FalseAllows: 6, FalseDenies: 1}, {TUS: 1_000_000, FalseDenies: 1}}}}
	return f
}

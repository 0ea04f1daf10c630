package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// testdata/written.json was written by
//
//	rlbench --redis redis://127.0.0.1:PORT --seed 7 run --algo fixed,seed-sliding \
//	    --limit 10 --window 1h --requests 150 --concurrency 16 --keys 2 -o written.json
//
// against redis-server 7.0, where the seed's sliding window over-admits
// one key by 6 under concurrency; written_unknown.json is the same with
// --timeout 1ms, where most requests time out and accuracy is an interval.
// The damaged files below break one field of written.json each.

// damaged lists damaged results files, each written.json with one field
// broken, by an edit of the decoded file or of its text, and the error
// ReadFile gives, with %s for the file's name.
var damaged = []struct {
	name string
	edit func(f *File)
	raw  func(s string) string
	want string
}{
	// Counts.
	{name: "negative count", edit: func(f *File) { f.Runs[1].Counts.Accepted = -5 },
		want: "%s: runs[1].counts.accepted: -5, want 0 or more"},
	{name: "accepted over sent", edit: func(f *File) { f.Runs[0].Counts.Accepted = 151 },
		want: "%s: runs[0].counts.accepted: 151, want at most sent (150)"},
	{name: "outcomes not adding up", edit: func(f *File) { f.Runs[0].Counts.Rejected = 129 },
		want: "%s: runs[0].counts.sent: 150, want accepted + rejected + unknown + errors (20 + 129 + 0 + 0)"},
	{name: "outcomes adding up past int64", edit: func(f *File) {
		c := &f.Runs[0].Counts
		c.Sent, c.Accepted, c.Rejected = math.MaxInt64, math.MaxInt64, 1
	}, want: "%s: runs[0].counts.sent: 9223372036854775807, want accepted + rejected + unknown + errors (9223372036854775807 + 1 + 0 + 0)"},
	{name: "said: more rejections than the run's", edit: func(f *File) { f.Runs[0].Said = &Said{Rejected: 131} },
		want: "%s: runs[0].said.rejected: 131, want at most counts.rejected (130)"},
	{name: "said: more without retry than rejections", edit: func(f *File) { f.Runs[0].Said = &Said{Rejected: 3, RejectedWithoutRetry: 4} },
		want: "%s: runs[0].said.rejected_without_retry: 4, want at most rejected (3)"},
	{name: "said: more rises than answers checked", edit: func(f *File) { f.Runs[0].Said = &Said{RemainingChecked: 2, RemainingRose: 3} },
		want: "%s: runs[0].said.remaining_rose: 3, want at most remaining_checked (2)"},
	{name: "said: more disagreements than answers checked", edit: func(f *File) { f.Runs[0].Said = &Said{RemainingDisagreed: 1} },
		want: "%s: runs[0].said.remaining_disagreed: 1, want at most remaining_checked (0)"},
	{name: "said: negative quota", edit: func(f *File) { f.Runs[0].Said = &Said{DeclaredQuota: -1} },
		want: "%s: runs[0].said.declared_quota: -1, want 0 or more"},
	// Config.
	{name: "unknown client", edit: func(f *File) { f.Config.Client = "go-redis,jedis" },
		want: `%s: config.client: "go-redis,jedis", want go-redis, rueidis, or several of them comma-separated`},
	{name: "client twice", edit: func(f *File) { f.Config.Client = "rueidis,rueidis" },
		want: `%s: config.client: "rueidis,rueidis" names rueidis twice, want each client once`},
	// Redis cost.
	{name: "redis cost: commands not adding up", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.Commands = 7 },
		want: "%s: runs[0].redis_cost.commands: 7, want the sum of commands_by_name (450)"},
	{name: "redis cost: negative command count", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.CommandsByName["get"] = -1 },
		want: "%s: runs[0].redis_cost.commands_by_name.get: -1, want 0 or more"},
	{name: "redis cost: more script commands than commands", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.ScriptCommands = 301 },
		want: "%s: runs[0].redis_cost.script_commands: 301, want at most commands less script_calls (300)"},
	{name: "redis cost: keys past their TTL beyond the keys", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.KeysPastTTL = 2 },
		want: "%s: runs[0].redis_cost.keys_past_ttl: 2, want at most keys less keys_without_ttl (1)"},
	{name: "redis cost: no masters", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.Masters = 0 },
		want: "%s: runs[0].redis_cost.masters: 0, want 1 or more"},
	{name: "redis cost: negative CPU per decision", edit: func(f *File) { f.Runs[0].RedisCost = validCost(); f.Runs[0].RedisCost.CPUUSPerDecision = -1 },
		want: "%s: runs[0].redis_cost.cpu_us_per_decision: -1, want a finite number, 0 or more"},
	{name: "redis cost: both measured and not", edit: func(f *File) {
		f.Runs[0].RedisCost, f.Runs[0].RedisCostUnavailable = validCost(), "not measured"
	}, want: `%s: runs[0].redis_cost_unavailable: "not measured" beside redis_cost, want one or the other`},
	// The oracle (--oracle).
	{name: "oracle: unknown policy", edit: func(f *File) { f.Runs[0].Oracle = validOracle(); f.Runs[0].Oracle.Policy = "exact" },
		want: `%s: runs[0].oracle.policy: "exact", want one of [sliding fixed token gcra]`},
	{name: "oracle: more judged than decided", edit: func(f *File) { f.Runs[0].Oracle = validOracle(); f.Runs[0].Oracle.Judged = 151 },
		want: "%s: runs[0].oracle.judged: 151, want at most accepted + rejected + unknown (150)"},
	{name: "oracle: at most below its figure", edit: func(f *File) {
		f.Runs[0].Oracle = validOracle()
		f.Runs[0].Oracle.FalseAllowsAtMost = 1
	}, want: "%s: runs[0].oracle.false_allows_at_most: 1, want at least false_allows (2)"},
	{name: "oracle: an interval with no unknown outcome", edit: func(f *File) { f.Runs[0].Oracle = validOracle(); f.Runs[0].Oracle.FalseDeniesAtMost = 1 },
		want: "%s: runs[0].oracle.false_allows_at_most: 2 and false_denies_at_most 1 with no unknown outcome, want false_allows (2) and false_denies (0)"},
	{name: "oracle: time series not adding up", edit: func(f *File) {
		f.Runs[0].Oracle = validOracle()
		f.Runs[0].Oracle.Timeseries.Points[1].FalseAllows = 1
	}, want: "%s: runs[0].oracle.timeseries.points: 1 false allows and 0 false denies, want false_allows (2) and false_denies (0)"},
	{name: "oracle: both judged and not", edit: func(f *File) {
		f.Runs[0].Oracle, f.Runs[0].OracleUnavailable = validOracle(), "merged"
	}, want: `%s: runs[0].oracle_unavailable: "merged" beside oracle, want one or the other`},
	{name: "missed over sent", edit: func(f *File) { f.Runs[0].Counts.Missed = 151 },
		want: "%s: runs[0].counts.missed: 151, want at most sent (150)"},
	{name: "negative error class", edit: func(f *File) { f.Runs[0].Counts.ErrorsByClass["timeout"] = -1 },
		want: "%s: runs[0].counts.errors_by_class.timeout: -1, want 0 or more"},
	{name: "error classes not adding up", edit: func(f *File) { f.Runs[0].Counts.ErrorsByClass["script"] = 2 },
		want: "%s: runs[0].counts.errors_by_class: adds up to 2, want errors (0)"},
	{name: "unknown classes not adding up", edit: func(f *File) { f.Runs[1].Counts.UnknownByClass = map[string]int64{"timeout": 3} },
		want: "%s: runs[1].counts.unknown_by_class: adds up to 3, want unknown (0)"},
	{name: "odd error class name", edit: func(f *File) { f.Runs[0].Counts.ErrorsByClass["time\nout"] = -1 },
		want: `%s: runs[0].counts.errors_by_class["time\nout"]: -1, want 0 or more`},
	{name: "count as a string", raw: func(s string) string {
		return strings.Replace(s, `"sent": 150,`, `"sent": "many",`, 1)
	}, want: "malformed results file %s: runs[0].counts.sent: line 54, column 22: json: cannot unmarshal string into Go struct field Counts.runs.counts.sent of type int64"},

	// Generators.
	{name: "a name that is not the id", edit: func(f *File) { f.Config.GeneratorID = "east-1" },
		want: `%s: config.generator_id: "east-1", want generator_id ("07a106ec88c33e8b"): a named generator's id is its name`},
	{name: "a generator merged twice", edit: func(f *File) { f.GeneratorIDs = []string{"east-1", "west-1", "east-1"} },
		want: `%s: generator_ids[2]: "east-1" is generator_ids[0] again, want each generator once`},
	{name: "an empty generator id", edit: func(f *File) { f.GeneratorIDs = []string{"east-1", ""} },
		want: `%s: generator_ids[1]: empty, want a generator's id`},

	// Rates and latency.
	{name: "negative rate", edit: func(f *File) { f.Runs[0].Rates.OfferedPerS = -1 },
		want: "%s: runs[0].rates.offered_per_s: -1, want a finite number, 0 or more"},
	{name: "NaN rate", raw: func(s string) string {
		return strings.Replace(s, `"achieved_per_s": 12106.944026530673`, `"achieved_per_s": NaN`, 1)
	}, want: "malformed results file %s: runs[0].rates.achieved_per_s: line 69, column 27: invalid character 'N' looking for beginning of value"},
	{name: "more accepted than decided per second", edit: func(f *File) { f.Runs[1].Rates.AcceptedPerS = 20000 },
		want: "%s: runs[1].rates.accepted_per_s: 20000, want at most achieved_per_s (19619.66366402974)"},
	{name: "percentiles out of order", edit: func(f *File) { f.Runs[1].Latency.ResponseUS.P90 = 100 },
		want: "%s: runs[1].latency.response_us.p90: 100, want at least p50 (256.383)"},
	{name: "max below p999", edit: func(f *File) { f.Runs[1].Latency.ServiceUS.Max = 1000 },
		want: "%s: runs[1].latency.service_us.max: 1000, want at least p999 (1346.559)"},
	{name: "negative mean", edit: func(f *File) { f.Runs[0].Latency.ServiceUS.Mean = -0.5 },
		want: "%s: runs[0].latency.service_us.mean: -0.5, want a finite number, 0 or more"},
	{name: "histogram missing", edit: func(f *File) { f.Runs[0].Latency.Histogram = "" },
		want: "%s: runs[0].latency.histogram: missing, want the encoded HdrHistogram of a run that sent 150 requests"},
	{name: "histogram not base64", edit: func(f *File) { f.Runs[0].Latency.Histogram = "not a histogram" },
		want: "%s: runs[0].latency.histogram: does not decode (" + decodeError("not a histogram") + "), want an encoded HdrHistogram"},
	{name: "histogram cut short", edit: func(f *File) { f.Runs[1].Latency.ServiceHistogram = f.Runs[1].Latency.ServiceHistogram[:40] },
		want: "%s: runs[1].latency.service_histogram: does not decode (" + decodeError(writtenHistogram[:40]) + "), want an encoded HdrHistogram"},
	{name: "histogram with samples the run did not count", edit: func(f *File) { f.Runs[0].Latency.OverRange = 1 },
		want: "%s: runs[0].latency.histogram: holds 150 samples, want at most accepted + rejected - over_range (149)"},
	{name: "over range past decisions", edit: func(f *File) { f.Runs[0].Latency.OverRange = 151 },
		want: "%s: runs[0].latency.over_range: 151, want at most accepted + rejected (150)"},

	// Accuracy.
	{name: "over-admitted past what one key admitted", edit: func(f *File) {
		a := &f.Runs[1].Accuracy
		a.OverAdmitted, a.OverAdmittedAtMost = 17, 17
	}, want: "%s: runs[1].accuracy.over_admitted: 17, want at most keys_over_bound × the most admitted in one span (1 × 16)"},
	{name: "over-admitted with no key over", edit: func(f *File) { f.Runs[1].Accuracy.KeysOverBound = 0 },
		want: "%s: runs[1].accuracy.keys_over_bound: 0, want at least 1 when over_admitted is 6"},
	{name: "more keys over than over-admitted", edit: func(f *File) {
		a := &f.Runs[1].Accuracy
		a.KeysOverBound, a.KeysMaybeOverBound = 2, 2
		a.OverAdmitted, a.OverAdmittedAtMost = 1, 1
	}, want: "%s: runs[1].accuracy.keys_over_bound: 2, want at most over_admitted (1)"},
	{name: "more keys maybe over than keys", edit: func(f *File) { f.Runs[1].Accuracy.KeysMaybeOverBound = 3 },
		want: "%s: runs[1].accuracy.keys_maybe_over_bound: 3, want at most keys (2)"},
	{name: "at most below the figure", edit: func(f *File) { f.Runs[1].Accuracy.MaxAdmittedInWindowAtMost = 12 },
		want: "%s: runs[1].accuracy.max_admitted_in_window_at_most: 12, want 0 (absent) or at least max_admitted_in_window (16)"},
	{name: "bound below none", edit: func(f *File) { f.Runs[0].Accuracy.Bound = -2 },
		want: "%s: runs[0].accuracy.bound: -2, want -1 (no bound) or more"},
	{name: "worst key not the first of the worst", edit: func(f *File) { f.Runs[1].Accuracy.WorstKey = "other" },
		want: `%s: runs[1].accuracy.worst_key: "other", want worst_keys[0].key ("user:1:seed-sliding:b9e803ed:1:0")`},
	{name: "worst keys out of order", edit: func(f *File) {
		w := f.Runs[1].Accuracy.WorstKeys
		w[0], w[1] = w[1], w[0]
	}, want: "%s: runs[1].accuracy.worst_keys[1].over_admitted: 6, want at most worst_keys[0]'s (0): worst first"},
	{name: "worst key admitting more in a window than in all", edit: func(f *File) { f.Runs[1].Accuracy.WorstKeys[0].MaxAdmittedInWindow = 17 },
		want: "%s: runs[1].accuracy.worst_keys[0].max_admitted_in_window: 17, want at most admitted (16)"},

	// Generator and time series.
	{name: "p99 lag past the most", edit: func(f *File) { f.Runs[0].Generator.P99LagUS = 5 },
		want: "%s: runs[0].generator.p99_lag_us: 5, want at most max_lag_us (0)"},
	{name: "behind without a missed slot", edit: func(f *File) { f.Runs[0].Generator.Behind = true },
		want: "%s: runs[0].generator.behind: true, want false when counts.missed is 0"},
	{name: "time series counting more than the run", edit: func(f *File) { f.Runs[0].Timeseries.Points[0].Accepted = 21 },
		want: "%s: runs[0].timeseries.points: 21 accepted in all, want at most counts.accepted (20)"},
	{name: "time series out of order", edit: func(f *File) {
		ts := &f.Runs[0].Timeseries
		ts.Points = append(ts.Points, Point{TUS: 0})
	}, want: "%s: runs[0].timeseries.points[1].t_us: 0, want after points[0] (0)"},
	{name: "time series without an interval", edit: func(f *File) { f.Runs[0].Timeseries.IntervalUS = 0 },
		want: "%s: runs[0].timeseries.interval_us: 0, want the interval of its 1 points"},

	// Admissions.
	{name: "admission instants not decoding", edit: func(f *File) { f.Runs[1].Admissions.Keys[0].Instants = "!!!" },
		want: "%s: runs[1].admissions.keys[0].instants: does not decode (bad admission instants: illegal base64 data at input byte 0), want delta-varint base64"},
	{name: "admissions fewer than admitted", edit: func(f *File) {
		k := &f.Runs[1].Admissions.Keys[1]
		instants, _ := DecodeInstants(k.Instants)
		k.Instants = EncodeInstants(instants[1:])
	}, want: "%s: runs[1].admissions.keys[1].instants: 9 admissions and 0 unknown, want figures.admitted (10) and figures.unknown (0) in a complete list"},
	{name: "admissions out of order", edit: func(f *File) {
		k := &f.Runs[1].Admissions.Keys[1]
		instants, _ := DecodeInstants(k.Instants)
		instants[0], instants[1] = instants[1]+1, instants[0]
		k.Instants = EncodeInstants(instants)
	}, want: "%s: runs[1].admissions.keys[1].instants: out of order, want ascending instants"},
	{name: "unknown span without its end", edit: func(f *File) { f.Runs[1].Admissions.Keys[0].Unknown = EncodeInstants([]int64{5}) },
		want: "%s: runs[1].admissions.keys[0].unknown: does not decode (bad admission instants: 1 value, want from/to pairs), want from/to pairs, delta-varint base64"},
	{name: "admission keys out of order", edit: func(f *File) {
		k := f.Runs[1].Admissions.Keys
		k[0], k[1] = k[1], k[0]
	}, want: `%s: runs[1].admissions.keys[1].key: "user:1:seed-sliding:b9e803ed:1:0", want after keys[0] ("user:1:seed-sliding:b9e803ed:1:1"): keys sorted, each once`},
	{name: "admission key missing", edit: func(f *File) { f.Runs[1].Admissions.Keys = f.Runs[1].Admissions.Keys[:1] },
		want: "%s: runs[1].admissions.keys: 1 keys, want accuracy.keys (2)"},

	// Runs and the file.
	{name: "no runs in a completed file", edit: func(f *File) { f.Runs = []Run{} },
		want: "%s: runs: none in a completed file, want at least one run"},
	{name: "empty run", raw: func(s string) string {
		return strings.Replace(s, `"runs": [`, `"runs": [{}, `, 1)
	}, want: "%s: runs[0].algorithm: empty, want the algorithm's name"},
	{name: "duplicate run", edit: func(f *File) { f.Runs[1] = f.Runs[0] },
		want: `%s: runs[1]: "fixed/closed/10per1h" is runs[0] again, want each run once`},
	{name: "limit without a window", edit: func(f *File) { f.Runs[0].Limit.WindowUS = 0 },
		want: "%s: runs[0].limit.window_us: 0, want a window for 10 requests"},
	{name: "negative elapsed time", edit: func(f *File) { f.Runs[0].ElapsedUS = -1 },
		want: "%s: runs[0].elapsed_us: -1, want 0 or more"},
	{name: "unknown run end", edit: func(f *File) { f.Runs[0].EndReason = "done" },
		want: `%s: runs[0].end_reason: "done", want completed, interrupted or error`},
	{name: "negative configuration", edit: func(f *File) { f.Config.Concurrency = -16 },
		want: "%s: config.concurrency: -16, want 0 or more"},
	{name: "unknown file end", edit: func(f *File) { f.EndReason = "" },
		want: `%s: end_reason: "", want completed, interrupted or error`},
	{name: "ended before it started", edit: func(f *File) { f.EndedAt = f.StartedAt.Add(-time.Second) },
		want: "%s: ended_at: 2026-12-02T13:23:00.876881805Z, want started_at (2026-12-02T13:23:01.876881805Z) or later"},
	{name: "no start", raw: func(s string) string {
		return strings.Replace(s, `"started_at": "2026-12-02T13:23:01.876881805Z",`, ``, 1)
	}, want: "%s: started_at: missing, want the RFC 3339 time the run started"},
	{name: "unknown schema version", raw: func(s string) string {
		return strings.Replace(s, `"schema_version": 1,`, `"schema_version": 2,`, 1)
	}, want: "results file %s has schema_version 2; this rlbench reads version 1"},
}

// writtenHistogram is the service histogram of runs[1] in written.json.
const writtenHistogram = "HISTFAAAAPB42izPMcvTcBDH8cvnnzSEEEopkqGGUjM4dHAoUqSIdCqdnER9AY4iDh3EQQQXcRLp5AvwRTk7Fp/xGR+SPsfBcXff4fd9+O3XPCJ7FNdK9zOLiOb28CZe3FwPXz965t/EZ5fCJZOUFh5Yab1Ue28qNBxshdbGkbXKUiH0yuE71Sgkewe9k0Z4Tq2cVDoheSuvJWlcWlpbc0uPPbGwznU6pUJPmCktByxshBjB0iulaoynkvLGTq/z2tp/OoV3Kh/sfDJzzoZuHD0198XeQO2tJLVzGk19H6w3+Y9M+Jv5zcnPzGj0h7sAAAD//4oeHxM="

// decodeError is hdrhistogram's error for encoded, whose wording is the
// library's.
func decodeError(encoded string) string {
	_, err := hdrhistogram.Decode([]byte(encoded))
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// damage decodes base, applies edit and encodes the result, without
// checking it.
func damage(tb testing.TB, base []byte, edit func(*File)) []byte {
	tb.Helper()
	f := new(File)
	if err := json.Unmarshal(base, f); err != nil {
		tb.Fatal(err)
	}
	edit(f)
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadFileDamaged reads each damaged file: refused with one line
// naming the file and the broken field, and with the sentinel the
// commands map to exit code 2.
func TestReadFileDamaged(t *testing.T) {
	base, err := os.ReadFile("testdata/written.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeReader(bytes.NewReader(base)); err != nil {
		t.Fatalf("the undamaged file: %v", err)
	}
	dir := t.TempDir()
	for _, tt := range damaged {
		t.Run(tt.name, func(t *testing.T) {
			var data []byte
			if tt.edit != nil {
				data = damage(t, base, tt.edit)
			} else {
				data = []byte(tt.raw(string(base)))
			}
			if bytes.Equal(data, base) {
				t.Fatal("the edit changed nothing")
			}
			path := filepath.Join(dir, "results.json")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := ReadFile(path)
			if want := fmt.Sprintf(tt.want, path); err == nil || err.Error() != want {
				t.Fatalf("ReadFile = %v, %v\nwant error %q", f != nil, err, want)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSchemaVersion) {
				t.Errorf("error %v wraps none of ErrInvalid, ErrMalformed, ErrSchemaVersion", err)
			}
			var field *FieldError
			if errors.As(err, &field) && field.File != path {
				t.Errorf("FieldError.File = %q, want %q", field.File, path)
			}
			// Decode refuses it alike, naming no file.
			want := strings.Replace(tt.want, " %s", "", 1)
			if strings.HasPrefix(tt.want, "%s: ") {
				want = "results file: " + strings.TrimPrefix(tt.want, "%s: ")
			}
			if _, err := decodeReader(bytes.NewReader(data)); err == nil || err.Error() != want {
				t.Errorf("Decode = %v, want %q", err, want)
			}
		})
	}
}

// TestValidateWrittenFiles: every results file rlbench writes or has
// written validates: the committed reference results (written by an
// earlier rlbench, without admissions or _at_most figures), the files in
// testdata and merges of each, and the hand-made fixtures.
func TestValidateWrittenFiles(t *testing.T) {
	paths, err := filepath.Glob("../results/*/results.json")
	if err != nil || len(paths) < 3 {
		t.Fatalf("committed results files %q: %v", paths, err)
	}
	written, _ := filepath.Glob("testdata/written*.json")
	paths = append(paths, written...)
	for name, f := range map[string]*File{"fixture": fixture(), "interrupted fixture": interruptedFixture()} {
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range paths {
		f, err := ReadFile(name)
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		// A second generator's file, and the merge of both.
		other := cloneFile(f)
		other.GeneratorID = "second"
		other.StartedAt = other.StartedAt.Add(time.Microsecond)
		merged, err := Merge(f, other)
		if err != nil {
			t.Errorf("%s: Merge: %v", name, err)
			continue
		}
		if err := merged.Validate(); err != nil {
			t.Errorf("%s merged with itself: %v", name, err)
		}
	}
}

// TestFieldError: its text and sentinel.
func TestFieldError(t *testing.T) {
	err := error(&FieldError{File: "results.json", Field: "runs[3].counts.accepted", Problem: "-5, want 0 or more"})
	if got, want := err.Error(), "results.json: runs[3].counts.accepted: -5, want 0 or more"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Error("a FieldError is not ErrInvalid")
	}
	if got, want := (&FieldError{Field: "runs", Problem: "none"}).Error(), "results file: runs: none"; got != want {
		t.Errorf("without a file Error() = %q, want %q", got, want)
	}
}

// TestValidateNonFinite: NaN and infinities, which JSON cannot carry, are
// refused in a File built in memory.
func TestValidateNonFinite(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		f := fixture()
		f.Runs[1].Rates.AchievedPerS = v
		want := fmt.Sprintf("results file: runs[1].rates.achieved_per_s: %s, want a finite number, 0 or more", formatReal(v))
		if err := f.Validate(); err == nil || err.Error() != want {
			t.Errorf("Validate with %v = %v, want %q", v, err, want)
		}
	}
}

// validCost is a Redis cost that Validate accepts: 150 decisions of the
// fixed window, one key.
func validCost() *RedisCost {
	return &RedisCost{
		Masters: 1, CommandsByName: map[string]int64{"evalsha": 150, "time": 150, "get": 150},
		Commands: 450, ScriptCalls: 150, ScriptCommands: 300, CommandsPerDecision: 1, ScriptCommandsPerDecision: 2,
		CPUUS: 1500, CPUUSPerDecision: 10, Keys: 1, LongestTTLUS: 3_601_001_000, MemoryUsageSampled: 1, MemoryUsagePerKey: 104,
	}
}

// TestValidCostPasses: a run with its Redis cost, and one that says why it
// has none, are files rlbench writes.
func TestValidCostPasses(t *testing.T) {
	base, err := os.ReadFile("testdata/written.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(f *File){
		func(f *File) { f.Runs[0].RedisCost = validCost() },
		func(f *File) { f.Runs[0].RedisCostUnavailable = "not measured on the embedded miniredis" },
	} {
		if _, err := decodeReader(bytes.NewReader(damage(t, base, edit))); err != nil {
			t.Error(err)
		}
	}
}

// validOracle is an oracle's figures for run 0 of written.json: 20
// accepted and 130 rejected, 2 of the admissions false allows.
func validOracle() *Oracle {
	return &Oracle{Policy: "sliding", Judged: 150, FalseAllows: 2, FalseAllowsAtMost: 2, FalseAllowsPct: 4.0 / 3,
		KeysWithFalseAllows: 1, WorstKey: "user:1:0", AdmittedByTarget: 20, AdmittedByPolicy: 18, RateDiffPct: 100.0 / 9, RateWindows: 1,
		HoldUS: 1_000_000, Timeseries: OracleTimeseries{IntervalUS: 1_000_000, Points: []OraclePoint{{TUS: 0}, {TUS: 1_000_000, FalseAllows: 2}}}}
}

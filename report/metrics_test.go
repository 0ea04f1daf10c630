package report

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestMetricNamesUnique: names and aliases share one namespace, so that
// every name a threshold, a csv header or compare gives means one figure.
func TestMetricNamesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, m := range metrics {
		for _, name := range append([]string{m.Name}, m.Aliases...) {
			if name == "" {
				t.Errorf("a metric has an empty name or alias: %+v", m)
			}
			if other, ok := seen[name]; ok {
				t.Errorf("%q names both %s and %s", name, other, m.Name)
			}
			seen[name] = m.Name
		}
	}
}

// TestMetricsWellFormed: each metric has exactly one value, and what each
// output needs of it.
func TestMetricsWellFormed(t *testing.T) {
	for _, m := range metrics {
		values := 0
		for _, set := range []bool{m.count != nil, m.float != nil, m.text != nil} {
			if set {
				values++
			}
		}
		if values != 1 {
			t.Errorf("%s has %d value functions, want 1", m.Name, values)
		}
		numeric := m.text == nil
		if m.In&(InTable|InCompare) != 0 && m.Header == "" {
			t.Errorf("%s is in a table but has no header", m.Name)
		}
		if m.In&InTable == 0 && (m.Header != "" || m.cell != nil || m.tableIf != nil) {
			t.Errorf("%s has table settings but is not InTable", m.Name)
		}
		if m.In&(InCompare|InThreshold|InBenchfmt) != 0 && !numeric {
			t.Errorf("%s is text, which compare, thresholds and benchfmt cannot use", m.Name)
		}
		if len(m.Aliases) > 0 && m.In&InThreshold == 0 {
			t.Errorf("%s has aliases, which only thresholds read, but is not InThreshold", m.Name)
		}
		if inBench := m.In&InBenchfmt != 0; inBench != (m.Bench.Unit != "") || inBench != (m.Bench.Scale != 0) {
			t.Errorf("%s: InBenchfmt %v with bench unit %+v", m.Name, inBench, m.Bench)
		}
		if m.In&InCSV == 0 && m.csvAppended != 0 {
			t.Errorf("%s has a csv position but is not InCSV", m.Name)
		}
	}
}

// TestMetricsInOrder: each output's metrics in the order it shows them.
func TestMetricsInOrder(t *testing.T) {
	names := func(o Output) string {
		var out []string
		for _, m := range MetricsIn(o) {
			out = append(out, m.Name)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		o    Output
		want string
	}{
		{"table", InTable, "algorithm workload limit clock_skew_us repeat sent accepted rejected unknown errors missed achieved_per_s " +
			"response_mean_us response_p50_us response_p99_us response_max_us max_admitted_in_window bound over_admitted " +
			"commands_per_decision script_commands_per_decision cpu_us_per_decision memory_usage_per_key keys_without_ttl " +
			"false_allows false_denies false_allows_pct false_denies_pct rate_diff_pct"},
		{"compare", InCompare, "accepted rejected errors achieved_per_s response_mean_us response_p50_us response_p99_us " +
			"max_admitted_in_window over_admitted false_allows false_denies"},
		{"threshold", InThreshold, "sent accepted rejected unknown errors missed offered_per_s achieved_per_s accepted_per_s " +
			"response_mean_us response_p50_us response_p90_us response_p99_us response_p999_us response_max_us " +
			"service_p50_us service_p99_us max_admitted_in_window over_admitted over_admitted_at_most keys_over_bound " +
			"keys_without_ttl keys_past_ttl false_allows false_allows_at_most false_denies false_denies_at_most " +
			"false_allows_pct false_denies_pct rate_diff_pct"},
		{"benchfmt", InBenchfmt, "response_mean_us achieved_per_s response_p99_us over_admitted false_allows false_denies"},
	}
	for _, tt := range tests {
		if got := names(tt.o); got != tt.want {
			t.Errorf("%s: %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

// TestOldThresholdNames: every metric name thresholds accepted before
// there was one list still parses, as the figure it always meant, so
// that scripts such as scripts/ci-bench.sh keep working.
func TestOldThresholdNames(t *testing.T) {
	r := &Run{
		Counts: Counts{Sent: 11, Accepted: 12, Rejected: 13, Errors: 14, Missed: 15, Unknown: 16},
		Rates:  Rates{OfferedPerS: 21, AchievedPerS: 22, AcceptedPerS: 23},
		Latency: Latency{
			ResponseUS: Percentiles{Mean: 31, P50: 32, P90: 33, P99: 34, P999: 35, Max: 36},
			ServiceUS:  Percentiles{Mean: 41, P50: 42, P90: 43, P99: 44, P999: 45, Max: 46},
		},
		Accuracy:  Accuracy{MaxAdmittedInWindow: 51, MaxAdmittedInWindowAtMost: 52, OverAdmitted: 53, OverAdmittedAtMost: 54, KeysOverBound: 55},
		RedisCost: &RedisCost{Keys: 70, KeysWithoutTTL: 61, KeysPastTTL: 62},
		Oracle: &Oracle{FalseAllows: 71, FalseAllowsAtMost: 72, FalseDenies: 73, FalseDeniesAtMost: 74,
			FalseAllowsPct: 75, FalseDeniesPct: 76, RateDiffPct: 77},
	}
	tests := []struct {
		old, name string
		value     float64
	}{
		{"p50", "response_p50_us", 32},
		{"p90", "response_p90_us", 33},
		{"p99", "response_p99_us", 34},
		{"p999", "response_p999_us", 35},
		{"mean", "response_mean_us", 31},
		{"max", "response_max_us", 36},
		{"service_p50", "service_p50_us", 42},
		{"service_p99", "service_p99_us", 44},
		{"achieved_per_s", "achieved_per_s", 22},
		{"accepted_per_s", "accepted_per_s", 23},
		{"offered_per_s", "offered_per_s", 21},
		{"accepted", "accepted", 12},
		{"rejected", "rejected", 13},
		{"errors", "errors", 14},
		{"missed", "missed", 15},
		{"sent", "sent", 11},
		{"max_in_window", "max_admitted_in_window", 51},
		{"over_admitted", "over_admitted", 53},
		// Thresholds since unknown outcomes: a CI gate that counts them.
		{"unknown", "unknown", 16},
		{"over_admitted_at_most", "over_admitted_at_most", 54},
		{"keys_over_bound", "keys_over_bound", 55},
		// Keys left behind, measured on a real Redis.
		{"keys_without_ttl", "keys_without_ttl", 61},
		{"keys_past_ttl", "keys_past_ttl", 62},
		// Wrong decisions, judged by an exact policy (--oracle).
		{"false_allows", "false_allows", 71},
		{"false_allows_at_most", "false_allows_at_most", 72},
		{"false_denies", "false_denies", 73},
		{"false_denies_at_most", "false_denies_at_most", 74},
		{"false_allows_pct", "false_allows_pct", 75},
		{"false_denies_pct", "false_denies_pct", 76},
		{"rate_diff_pct", "rate_diff_pct", 77},
	}
	for _, tt := range tests {
		th, err := ParseThreshold(tt.old + "<=0")
		if err != nil {
			t.Errorf("%s: %v", tt.old, err)
			continue
		}
		if th.Metric != tt.name {
			t.Errorf("%s reads as %s, want %s", tt.old, th.Metric, tt.name)
		}
		m, ok := thresholdMetric(th.Metric)
		if !ok || m.Value(r) != tt.value {
			t.Errorf("%s: value %v, want %v", tt.old, m.Value(r), tt.value)
		}
	}
	if n := len(MetricsIn(InThreshold)); n != len(tests) {
		t.Errorf("%d threshold metrics; this test knows %d: add the new ones above", n, len(tests))
	}
}

// TestEveryThresholdNameParses: every name and alias of an InThreshold
// metric is read as that metric, and nothing else is a threshold metric.
func TestEveryThresholdNameParses(t *testing.T) {
	for _, m := range metrics {
		for _, name := range append([]string{m.Name}, m.Aliases...) {
			th, err := ParseThreshold(name + "==0")
			switch {
			case m.In&InThreshold == 0 && err == nil:
				t.Errorf("%s parses as a threshold but is not InThreshold", name)
			case m.In&InThreshold != 0 && err != nil:
				t.Errorf("%s: %v", name, err)
			case m.In&InThreshold != 0 && th.Metric != m.Name:
				t.Errorf("%s reads as %s, want %s", name, th.Metric, m.Name)
			}
		}
	}
}

// TestMetricValueExact: counts are written exactly past 2^53, where a
// float64 would round them (a bound saturates at MaxInt64).
func TestMetricValueExact(t *testing.T) {
	r := &Run{Accuracy: Accuracy{Bound: math.MaxInt64}, Counts: Counts{Sent: 1<<53 + 1}}
	for _, tt := range []struct{ name, want string }{
		{"bound", "9223372036854775807"},
		{"sent", "9007199254740993"},
	} {
		if got := metricNamed(t, tt.name).Text(r); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.name, got, tt.want)
		}
	}
	for _, m := range metrics {
		if m.text != nil && !math.IsNaN(m.Value(r)) {
			t.Errorf("text metric %s has value %v, want NaN", m.Name, m.Value(r))
		}
	}
}

func metricNamed(t *testing.T, name string) Metric {
	t.Helper()
	for _, m := range metrics {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no metric %s", name)
	return Metric{}
}

// A simulation decides in virtual time: its table has no latency or
// missed columns, which would be zeros; a timed run beside it brings them
// back.
func TestSimulatedRunsHaveNoLatencyColumns(t *testing.T) {
	headers := func(runs []Run) []string {
		var hs []string
		for _, c := range runColumns(runs) {
			hs = append(hs, c.header)
		}
		return hs
	}
	simulated := Run{Algorithm: "fixed", Simulation: &Simulation{WallUS: 1}}
	timedRun := Run{Algorithm: "fixed"}
	for _, h := range []string{"missed", "mean µs", "p50 µs", "p99 µs", "max µs"} {
		if slices.Contains(headers([]Run{simulated}), h) {
			t.Errorf("a simulation's table has the %q column", h)
		}
		if !slices.Contains(headers([]Run{simulated, timedRun}), h) {
			t.Errorf("a table with a timed run lacks the %q column", h)
		}
	}
}

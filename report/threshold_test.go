package report

import (
	"errors"
	"strings"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in   string
		want Threshold
		str  string
	}{
		{"response_p99_us<+10%", Threshold{Metric: "response_p99_us", Op: "<", Value: 10, Relative: true}, "response_p99_us<+10%"},
		{"accepted_per_s>-5%", Threshold{Metric: "accepted_per_s", Op: ">", Value: -5, Relative: true}, "accepted_per_s>-5%"},
		{"over_admitted==0", Threshold{Metric: "over_admitted", Op: "==", Value: 0}, "over_admitted==0"},
		{"response_p50_us<=250", Threshold{Metric: "response_p50_us", Op: "<=", Value: 250}, "response_p50_us<=250"},
		{"errors==0", Threshold{Metric: "errors", Op: "==", Value: 0}, "errors==0"},
		{"  response_p999_us >= 0.5 ", Threshold{Metric: "response_p999_us", Op: ">=", Value: 0.5}, "response_p999_us>=0.5"},
		{"response_mean_us <= +2.50%", Threshold{Metric: "response_mean_us", Op: "<=", Value: 2.5, Relative: true}, "response_mean_us<=+2.5%"},
		{"service_p99_us<+0%", Threshold{Metric: "service_p99_us", Op: "<", Value: 0, Relative: true}, "service_p99_us<+0%"},
		{"rejected!=0", Threshold{Metric: "rejected", Op: "!=", Value: 0}, "rejected!=0"},
		{"max_admitted_in_window<=0020", Threshold{Metric: "max_admitted_in_window", Op: "<=", Value: 20}, "max_admitted_in_window<=20"},
		{"achieved_per_s>=-0.5%", Threshold{Metric: "achieved_per_s", Op: ">=", Value: -0.5, Relative: true}, "achieved_per_s>=-0.5%"},
		{"offered_per_s>100", Threshold{Metric: "offered_per_s", Op: ">", Value: 100}, "offered_per_s>100"},
		{"missed==0", Threshold{Metric: "missed", Op: "==", Value: 0}, "missed==0"},
		{"sent>=10000", Threshold{Metric: "sent", Op: ">=", Value: 10000}, "sent>=10000"},
		// An alias is read as the metric's one name.
		{"p99<+10%", Threshold{Metric: "response_p99_us", Op: "<", Value: 10, Relative: true}, "response_p99_us<+10%"},
		{"max_in_window<=20", Threshold{Metric: "max_admitted_in_window", Op: "<=", Value: 20}, "max_admitted_in_window<=20"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseThreshold(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseThreshold(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
		})
	}
}

func TestParseThresholdBad(t *testing.T) {
	metricList := "metrics are sent, accepted, rejected, unknown, errors, missed, offered_per_s, achieved_per_s, accepted_per_s, " +
		"response_mean_us (mean), response_p50_us (p50), response_p90_us (p90), response_p99_us (p99), " +
		"response_p999_us (p999), response_max_us (max), service_p50_us (service_p50), service_p99_us (service_p99), " +
		"max_admitted_in_window (max_in_window), over_admitted, over_admitted_at_most, keys_over_bound, keys_without_ttl, keys_past_ttl, " +
		"false_allows, false_allows_at_most, false_denies, false_denies_at_most, false_allows_pct, false_denies_pct, rate_diff_pct"
	ops := "operators are <, <=, >, >=, ==, !="
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `bad threshold "": empty; want METRIC OP VALUE, as in response_p99_us<+10% or over_admitted==0`},
		{"blank", "   ", `bad threshold "   ": empty; want METRIC OP VALUE, as in response_p99_us<+10% or over_admitted==0`},
		{"no operator", "p99", `bad threshold "p99": no operator; ` + ops},
		{"words", "p99 below 10", `bad threshold "p99 below 10": no operator; ` + ops},
		{"no metric", "<10", `bad threshold "<10": no metric before "<"; ` + metricList},
		{"unknown metric", "p98<+10%", `bad threshold "p98<+10%": unknown metric "p98"; ` + metricList},
		{"upper case metric", "P99<10", `bad threshold "P99<10": unknown metric "P99"; ` + metricList},
		{"single equals", "p99=10", `bad threshold "p99=10": unknown operator "="; ` + ops},
		{"reversed operator", "p99=<10", `bad threshold "p99=<10": unknown operator "=<"; ` + ops},
		{"doubled operator", "p99<<10", `bad threshold "p99<<10": unknown operator "<<"; ` + ops},
		{"no value", "p99<=", `bad threshold "p99<=": no value after "<="; want a number such as 250, or a change such as +10%`},
		{"bad number", "p99<abc", `bad threshold "p99<abc": bad number "abc"; want digits such as 250 or 0.5, or a change such as +10%`},
		{"NaN", "p99<NaN", `bad threshold "p99<NaN": bad number "NaN"; want digits such as 250 or 0.5, or a change such as +10%`},
		{"Inf", "p99<+Inf%", `bad threshold "p99<+Inf%": bad number "+Inf%"; want digits such as 250 or 0.5, or a change such as +10%`},
		{"leading point", "p99<.5", `bad threshold "p99<.5": bad number ".5"; want digits such as 250 or 0.5, or a change such as +10%`},
		{"trailing point", "p99<5.", `bad threshold "p99<5.": bad number "5."; want digits after the point, as in 0.5`},
		{"two signs", "p99<+-10%", `bad threshold "p99<+-10%": bad number "+-10%"; want digits such as 250 or 0.5, or a change such as +10%`},
		{"trailing garbage", "p99<+10%x", `bad threshold "p99<+10%x": unexpected "x" after the value "+10%"`},
		{"exponent", "p99<1e3", `bad threshold "p99<1e3": unexpected "e3" after the value "1"`},
		{"two points", "p99<1.2.3", `bad threshold "p99<1.2.3": unexpected ".3" after the value "1.2"`},
		{"space before percent", "p99<+10 %", `bad threshold "p99<+10 %": unexpected " %" after the value "+10"`},
		{"second threshold", "p99<10,p50<5", `bad threshold "p99<10,p50<5": unexpected ",p50<5" after the value "10"`},
		{"percent on ==", "p99==+10%", `bad threshold "p99==+10%": a relative change takes <, <=, > or >=; == takes an absolute value, as in over_admitted==0`},
		{"percent on !=", "errors!=-0%", `bad threshold "errors!=-0%": a relative change takes <, <=, > or >=; != takes an absolute value, as in over_admitted==0`},
		{"unsigned percent", "p99<10%", `bad threshold "p99<10%": a percentage needs a sign, as in +10% or -5%: it is a change relative to BASE`},
		{"sign without percent", "p99<+10", `bad threshold "p99<+10": a signed value is a change relative to BASE and needs %, as in +10%; an absolute value has no sign`},
		{"negative absolute", "errors>-1", `bad threshold "errors>-1": a signed value is a change relative to BASE and needs %, as in -1%; an absolute value has no sign`},
		{"out of range", "p99<1" + strings.Repeat("0", 400), `bad threshold "p99<1` + strings.Repeat("0", 400) + `": number "1` + strings.Repeat("0", 400) + `" is out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseThreshold(tt.in)
			if !errors.Is(err, ErrBadThreshold) {
				t.Fatalf("ParseThreshold(%q) = %+v, %v; want an ErrBadThreshold", tt.in, got, err)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseThreshold(%q):\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

// FuzzParseThreshold: parsing never panics, and what parses survives a
// trip through String.
func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{
		"p99<+10%", "accepted_per_s>-5%", "over_admitted==0", "p50<=250", "errors==0",
		" mean >= 0.25 ", "p99<10%", "p99<+-1", "p99<<1", "", "<", "p99<1e3", "p99<-0%",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			if !errors.Is(err, ErrBadThreshold) {
				t.Fatalf("ParseThreshold(%q) error %v is not an ErrBadThreshold", s, err)
			}
			return
		}
		again, err := ParseThreshold(th.String())
		if err != nil {
			t.Fatalf("ParseThreshold(%q) = %+v, whose String %q does not parse: %v", s, th, th.String(), err)
		}
		if again != th || again.String() != th.String() {
			t.Fatalf("round trip of %q: %+v, then %+v", s, th, again)
		}
	})
}

// checkRun is a run with the figures thresholds look at most.
func checkRun(p50, p99, acceptedPerS float64, errs, over int64) Run {
	return Run{
		Algorithm: "fixed", Workload: "steady", Limit: Limit{Requests: 100, WindowUS: 1_000_000},
		Counts:   Counts{Sent: 1000, Accepted: 900, Errors: errs},
		Rates:    Rates{AcceptedPerS: acceptedPerS},
		Latency:  Latency{ResponseUS: Percentiles{P50: p50, P99: p99}},
		Accuracy: Accuracy{OverAdmitted: over},
	}
}

func TestThresholdCheck(t *testing.T) {
	base := checkRun(200, 512, 100, 0, 0)
	tests := []struct {
		threshold string
		base, new Run
		ok        bool
		detail    string
	}{
		{"p99<+10%", base, checkRun(200, 601.3, 100, 0, 0), false, "512.0 → 601.3 µs (+17.4 %)"},
		{"p99<+10%", base, checkRun(200, 560, 100, 0, 0), true, "512.0 → 560.0 µs (+9.4 %)"},
		{"p99<+10%", base, checkRun(200, 400, 100, 0, 0), true, "512.0 → 400.0 µs (-21.9 %)"},
		{"p99<=+0%", base, base, true, "512.0 → 512.0 µs (0.0 %)"},
		{"accepted_per_s>-5%", base, checkRun(200, 512, 96, 0, 0), true, "100.0 → 96.0/s (-4.0 %)"},
		{"accepted_per_s>-5%", base, checkRun(200, 512, 94, 0, 0), false, "100.0 → 94.0/s (-6.0 %)"},
		{"accepted_per_s>-5%", base, checkRun(200, 512, 95, 0, 0), false, "100.0 → 95.0/s (-5.0 %)"},
		{"over_admitted==0", base, checkRun(200, 512, 100, 0, 3), false, "3"},
		{"over_admitted==0", base, base, true, "0"},
		{"p50<=250", base, checkRun(250, 512, 100, 0, 0), true, "250.0 µs"},
		{"p50<=250", base, checkRun(250.1, 512, 100, 0, 0), false, "250.1 µs"},
		{"errors==0", base, checkRun(200, 512, 100, 2, 0), false, "2"},
		{"errors!=0", base, checkRun(200, 512, 100, 2, 0), true, "2"},
		// From 0, any rise is an infinite change: no relative bound holds it.
		{"errors<+50%", base, checkRun(200, 512, 100, 2, 0), false, "0 → 2 (+∞ %)"},
		{"errors<+50%", base, base, true, "0 → 0 (0.0 %)"},
		// An absolute threshold needs no base; a relative one does.
		{"p50<=250", Run{}, checkRun(200, 512, 100, 0, 0), true, "200.0 µs"},
		{"p99<+10%", Run{}, checkRun(200, 512, 100, 0, 0), false, "512.0 µs in NEW, but no BASE run to compare with"},
		// Keys left behind: a figure only a real Redis gives; unmeasured
		// (miniredis) it fails rather than passing as 0.
		{"keys_without_ttl==0", Run{}, costFixture().Runs[0], true, "0"},
		{"keys_without_ttl==0", Run{}, costFixture().Runs[1], false, "1"},
		{"keys_past_ttl<=0", Run{}, costFixture().Runs[1], false, "1"},
		{"keys_without_ttl==0", Run{}, noCostFixture().Runs[0], false, "not measured in NEW (n/a)"},
	}
	for _, tt := range tests {
		t.Run(tt.threshold, func(t *testing.T) {
			th, err := ParseThreshold(tt.threshold)
			if err != nil {
				t.Fatal(err)
			}
			ok, detail := th.Check(tt.base, tt.new)
			if ok != tt.ok || detail != tt.detail {
				t.Errorf("Check = %v, %q; want %v, %q", ok, detail, tt.ok, tt.detail)
			}
		})
	}
}

// TestThresholdCheckInvalid: a Threshold built by hand rather than parsed
// fails rather than passing by accident.
func TestThresholdCheckInvalid(t *testing.T) {
	run := checkRun(200, 512, 100, 0, 0)
	for _, th := range []Threshold{{}, {Metric: "p98", Op: "<", Value: 1}, {Metric: "p99", Op: "=<", Value: 1000}} {
		if ok, detail := th.Check(run, run); ok {
			t.Errorf("%+v passed: %s", th, detail)
		}
	}
}

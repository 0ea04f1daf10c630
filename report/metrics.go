package report

import (
	"math"
	"slices"
	"strconv"
)

// Metric is one figure of a Run as rlbench's outputs show it: the table,
// markdown and html columns, the csv, compare, thresholds and benchfmt
// all take their figures from Metrics, so that a figure has one name and
// one value everywhere. Metrics gives them; the zero Metric has no value.
// A Metric is a value and safe for concurrent use.
type Metric struct {
	// Name is the figure's one name: its csv column, the METRIC of a
	// threshold, compare's Change.Metric. It is the results file's name
	// for the figure, flattened where the file nests it: counts.sent is
	// "sent", latency.response_us.p99 is "response_p99_us",
	// accuracy.max_admitted_in_window is "max_admitted_in_window".
	Name string
	// Aliases are older threshold spellings that ParseThreshold still
	// reads as this metric ("p99" for response_p99_us), so that scripts
	// written before the names were made one keep working. Nothing
	// writes them.
	Aliases []string
	// Header titles the figure's column in the table, markdown and html,
	// and its table in compare: a label for people, with the unit, short
	// enough for a terminal ("p99 µs", "max-in-window"). Empty when the
	// figure is not InTable.
	Header string
	// Unit follows a value in compare and threshold messages: "µs", "/s",
	// or "" for counts of requests and for text.
	Unit string
	// In says which outputs show the figure.
	In Output
	// Bench is how benchfmt writes the figure, when it is InBenchfmt.
	Bench BenchUnit

	// Exactly one of count, float and text gives the figure: count for
	// whole numbers (written as integers, exact past 2^53), float for
	// rates and latencies, text for names and flags.
	count func(r *Run) int64
	float func(r *Run) float64
	text  func(r *Run) string
	// cell, when set, is the table's cell instead of the value: an
	// interval, or "-" for a bound that does not exist.
	cell func(r *Run) string
	// absent, when set, reports that r does not have the figure at all
	// (Redis cost on miniredis): the table shows "n/a", the csv an empty
	// cell, Value NaN; never a 0 that would read as a measurement.
	absent func(r *Run) bool
	// tableIf, when set, says whether the table of runs has the column:
	// the limit only when runs differ in it, for one.
	tableIf func(runs []Run) bool
	// csvAppended is 0 for the columns of the first csv, n for those
	// added by the n-th change to it: the csv orders its columns by it,
	// then as Metrics lists them, so that adding a figure anywhere in the
	// list never moves a column that scripts read by position.
	csvAppended int
}

// Output is a set of the outputs that show a Metric.
type Output uint8

const (
	// InTable is a column of the table, markdown and html renderers.
	InTable Output = 1 << iota
	// InCSV is a column of the csv.
	InCSV
	// InCompare is a figure compare tabulates for every run key.
	InCompare
	// InThreshold is a figure a threshold may name.
	InThreshold
	// InBenchfmt is a value on each benchfmt line, in the metric's Bench
	// unit.
	InBenchfmt
)

// BenchUnit is how benchfmt writes a figure: Scale times the value, in
// Unit, with Better (higher or lower) told to benchstat for units that Go
// does not know; empty for those it does, such as ns/op.
type BenchUnit struct {
	Unit   string
	Scale  float64
	Better string
}

// MetricsIn are the metrics output o shows, in the order it shows them:
// that of the list (every figure of a run that an output shows, the names
// of the run included, in the order of the table: the run, its outcomes,
// rates, latencies, accuracy, the generator), except that the csv appends the columns it gained
// over time after the earlier ones, and benchfmt leads with the time
// per decision, in ns/op, as go test does.
func MetricsIn(o Output) []Metric {
	var out []Metric
	for _, m := range metrics {
		if m.In&o != 0 {
			out = append(out, m)
		}
	}
	switch o {
	case InCSV:
		slices.SortStableFunc(out, func(a, b Metric) int { return a.csvAppended - b.csvAppended })
	case InBenchfmt:
		slices.SortStableFunc(out, func(a, b Metric) int { return boolRank(b.Bench.Unit == "ns/op") - boolRank(a.Bench.Unit == "ns/op") })
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Value is the figure of r as a number: NaN for a figure that is text.
func (m Metric) Value(r *Run) float64 {
	switch {
	case m.absent != nil && m.absent(r):
		return math.NaN()
	case m.count != nil:
		return float64(m.count(r))
	case m.float != nil:
		return m.float(r)
	}
	return math.NaN()
}

// Text is the figure of r exactly, as the csv writes it: integers,
// floats as briefly as they read back exactly, text as it is.
func (m Metric) Text(r *Run) string {
	switch {
	case m.absent != nil && m.absent(r):
		return ""
	case m.count != nil:
		return integer(m.count(r))
	case m.float != nil:
		return number(m.float(r))
	case m.text != nil:
		return m.text(r)
	}
	return ""
}

// tableCell is the figure of r as the table shows it: rates and
// latencies with one decimal, or "-" for a run that sent nothing, whose
// zeros would read as measurements.
func (m Metric) tableCell(r *Run) string {
	switch {
	case m.absent != nil && m.absent(r):
		return "n/a"
	case m.cell != nil:
		return m.cell(r)
	case m.float != nil && r.Counts.Sent == 0:
		return "-"
	case m.float != nil:
		return strconv.FormatFloat(m.float(r), 'f', 1, 64)
	}
	return m.Text(r)
}

// thresholdMetric is the InThreshold metric called name, by its Name or
// one of its Aliases.
func thresholdMetric(name string) (Metric, bool) {
	for _, m := range metrics {
		if m.In&InThreshold != 0 && (m.Name == name || slices.Contains(m.Aliases, name)) {
			return m, true
		}
	}
	return Metric{}, false
}

var metrics = []Metric{
	{Name: "algorithm", Header: "algorithm", In: InTable | InCSV, text: func(r *Run) string { return r.Algorithm }},
	{Name: "workload", Header: "workload", In: InTable | InCSV, text: func(r *Run) string { return r.Workload }},
	{Name: "limit", Header: "limit", In: InTable, text: func(r *Run) string { return limit(r.Limit) },
		tableIf: func(runs []Run) bool { return len(limits(runs)) > 1 }},
	{Name: "limit_requests", In: InCSV, count: func(r *Run) int64 { return r.Limit.Requests }},
	{Name: "limit_window_us", Unit: "µs", In: InCSV, count: func(r *Run) int64 { return r.Limit.WindowUS }},
	{Name: "limit_burst", In: InCSV, count: func(r *Run) int64 { return r.Limit.Burst }},
	{Name: "clock_skew_us", Header: "clock skew", Unit: "µs", In: InTable | InCSV, csvAppended: 4,
		count: func(r *Run) int64 { return r.ClockSkewUS }, cell: func(r *Run) string { return skewName(r.ClockSkewUS) },
		tableIf: func(runs []Run) bool { return slices.ContainsFunc(runs, func(r Run) bool { return r.ClockSkewUS > 0 }) }},
	{Name: "repeat", Header: "repeat", In: InTable, count: func(r *Run) int64 { return int64(r.Repeat) },
		tableIf: func(runs []Run) bool { return slices.ContainsFunc(runs, func(r Run) bool { return r.Repeat > 0 }) }},

	{Name: "sent", Header: "sent", In: InTable | InCSV | InThreshold, count: func(r *Run) int64 { return r.Counts.Sent }},
	{Name: "accepted", Header: "accepted", In: InTable | InCSV | InCompare | InThreshold, count: func(r *Run) int64 { return r.Counts.Accepted }},
	{Name: "rejected", Header: "rejected", In: InTable | InCSV | InCompare | InThreshold, count: func(r *Run) int64 { return r.Counts.Rejected }},
	{Name: "unknown", Header: "unknown", In: InTable | InCSV | InThreshold, count: func(r *Run) int64 { return r.Counts.Unknown }, csvAppended: 1},
	{Name: "errors", Header: "errors", In: InTable | InCSV | InCompare | InThreshold, count: func(r *Run) int64 { return r.Counts.Errors }},
	{Name: "missed", Header: "missed", In: InTable | InCSV | InThreshold, tableIf: timed, count: func(r *Run) int64 { return r.Counts.Missed }},

	{Name: "offered_per_s", Unit: "/s", In: InCSV | InThreshold, float: func(r *Run) float64 { return r.Rates.OfferedPerS }},
	{Name: "achieved_per_s", Header: "achieved/s", Unit: "/s", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt,
		Bench: BenchUnit{Unit: "decisions/s", Scale: 1, Better: "higher"},
		float: func(r *Run) float64 { return r.Rates.AchievedPerS }},
	{Name: "accepted_per_s", Unit: "/s", In: InCSV | InThreshold, float: func(r *Run) float64 { return r.Rates.AcceptedPerS }},

	// Latency is response time, from each request's intended send time,
	// because that is what a caller waits; service time is from the
	// actual send.
	{Name: "response_mean_us", Aliases: []string{"mean"}, Header: "mean µs", Unit: "µs", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt, tableIf: timed,
		Bench: BenchUnit{Unit: "ns/op", Scale: 1e3},
		float: func(r *Run) float64 { return r.Latency.ResponseUS.Mean }},
	{Name: "response_p50_us", Aliases: []string{"p50"}, Header: "p50 µs", Unit: "µs", In: InTable | InCSV | InCompare | InThreshold, tableIf: timed,
		float: func(r *Run) float64 { return r.Latency.ResponseUS.P50 }},
	{Name: "response_p90_us", Aliases: []string{"p90"}, Unit: "µs", In: InCSV | InThreshold,
		float: func(r *Run) float64 { return r.Latency.ResponseUS.P90 }},
	{Name: "response_p99_us", Aliases: []string{"p99"}, Header: "p99 µs", Unit: "µs", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt, tableIf: timed,
		Bench: BenchUnit{Unit: "p99-µs", Scale: 1, Better: "lower"},
		float: func(r *Run) float64 { return r.Latency.ResponseUS.P99 }},
	{Name: "response_p999_us", Aliases: []string{"p999"}, Unit: "µs", In: InCSV | InThreshold,
		float: func(r *Run) float64 { return r.Latency.ResponseUS.P999 }},
	{Name: "response_max_us", Aliases: []string{"max"}, Header: "max µs", Unit: "µs", In: InTable | InCSV | InThreshold, tableIf: timed,
		float: func(r *Run) float64 { return r.Latency.ResponseUS.Max }},
	{Name: "service_mean_us", Unit: "µs", In: InCSV, float: func(r *Run) float64 { return r.Latency.ServiceUS.Mean }},
	{Name: "service_p50_us", Aliases: []string{"service_p50"}, Unit: "µs", In: InCSV | InThreshold,
		float: func(r *Run) float64 { return r.Latency.ServiceUS.P50 }},
	{Name: "service_p99_us", Aliases: []string{"service_p99"}, Unit: "µs", In: InCSV | InThreshold,
		float: func(r *Run) float64 { return r.Latency.ServiceUS.P99 }},

	// Accuracy figures are the worst key's. The table shows a figure that
	// unknown outcomes leave uncertain as an interval; the csv has its
	// _at_most twin.
	{Name: "max_admitted_in_window", Aliases: []string{"max_in_window"}, Header: "max-in-window", In: InTable | InCSV | InCompare | InThreshold,
		count: func(r *Run) int64 { return r.Accuracy.MaxAdmittedInWindow },
		cell: func(r *Run) string {
			return interval(r.Accuracy.MaxAdmittedInWindow, r.Accuracy.MaxAdmittedInWindowAtMost)
		}},
	{Name: "max_admitted_in_window_at_most", In: InCSV, csvAppended: 1, count: func(r *Run) int64 {
		return max(r.Accuracy.MaxAdmittedInWindow, r.Accuracy.MaxAdmittedInWindowAtMost)
	}},
	{Name: "bound", Header: "bound", In: InTable | InCSV, count: func(r *Run) int64 { return r.Accuracy.Bound },
		cell: func(r *Run) string {
			// No bound (the baseline, which limits nothing) is not a bound of 0.
			if r.Accuracy.Bound <= 0 {
				return "-"
			}
			return integer(r.Accuracy.Bound)
		}},
	{Name: "max_admitted_in_burst", In: InCSV, count: func(r *Run) int64 { return r.Accuracy.MaxAdmittedInBurst }},
	{Name: "burst_bound", In: InCSV, count: func(r *Run) int64 { return r.Accuracy.BurstBound }},
	{Name: "burst_span_us", Unit: "µs", In: InCSV, count: func(r *Run) int64 { return r.Accuracy.BurstSpanUS }},
	{Name: "max_admitted_in_aligned_window", In: InCSV, csvAppended: 2,
		count: func(r *Run) int64 { return r.Accuracy.MaxAdmittedInAlignedWindow }},
	{Name: "aligned_bound", In: InCSV, csvAppended: 2, count: func(r *Run) int64 { return r.Accuracy.AlignedBound }},
	{Name: "over_admitted", Header: "over-admitted", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt,
		Bench: BenchUnit{Unit: "over-admitted", Scale: 1, Better: "lower"},
		count: func(r *Run) int64 { return r.Accuracy.OverAdmitted },
		cell: func(r *Run) string {
			return interval(r.Accuracy.OverAdmitted, r.Accuracy.OverAdmittedAtMost)
		}},
	{Name: "over_admitted_at_most", In: InCSV | InThreshold, csvAppended: 1, count: func(r *Run) int64 {
		return max(r.Accuracy.OverAdmitted, r.Accuracy.OverAdmittedAtMost)
	}},
	{Name: "keys_over_bound", In: InCSV | InThreshold, csvAppended: 2, count: func(r *Run) int64 { return r.Accuracy.KeysOverBound }},
	{Name: "worst_key", In: InCSV, csvAppended: 2, text: func(r *Run) string { return r.Accuracy.WorstKey }},
	{Name: "worst_tier", In: InCSV, csvAppended: 2, text: func(r *Run) string { return r.Accuracy.WorstTier }},
	{Name: "long_run_accepted_per_s", Unit: "/s", In: InCSV, float: func(r *Run) float64 { return r.Accuracy.LongRunAcceptedPerS }},

	// What each decision cost Redis (RedisCost); "n/a" where it was not
	// measured, and no column at all for targets that are not Redis.
	{Name: "commands_per_decision", Header: "cmds/dec", In: InTable | InCSV, csvAppended: 3,
		absent: noRedisCost, tableIf: anyRedisCost, cell: costCell(func(c *RedisCost) float64 { return c.CommandsPerDecision }),
		float: func(r *Run) float64 { return redisCost(r).CommandsPerDecision }},
	{Name: "script_commands_per_decision", Header: "in-script/dec", In: InTable | InCSV, csvAppended: 3,
		absent: noRedisCost, tableIf: anyRedisCost, cell: costCell(func(c *RedisCost) float64 { return c.ScriptCommandsPerDecision }),
		float: func(r *Run) float64 { return redisCost(r).ScriptCommandsPerDecision }},
	{Name: "cpu_us_per_decision", Header: "cpu µs/dec", Unit: "µs", In: InTable | InCSV, csvAppended: 3,
		absent: noRedisCost, tableIf: anyRedisCost, cell: costCell(func(c *RedisCost) float64 { return c.CPUUSPerDecision }),
		float: func(r *Run) float64 { return redisCost(r).CPUUSPerDecision }},
	{Name: "memory_usage_per_key", Header: "bytes/key", In: InTable | InCSV, csvAppended: 3,
		absent: noRedisCost, tableIf: anyRedisCost, cell: func(r *Run) string {
			if c := redisCost(r); c.MemoryUsageSampled > 0 {
				return strconv.FormatFloat(c.MemoryUsagePerKey, 'f', 0, 64)
			}
			return "-"
		},
		float: func(r *Run) float64 { return redisCost(r).MemoryUsagePerKey }},
	{Name: "memory_per_member", In: InCSV, csvAppended: 3, absent: noRedisCost,
		float: func(r *Run) float64 { return redisCost(r).MemoryPerMember }},
	{Name: "memory_per_key", In: InCSV, csvAppended: 3, absent: noRedisCost,
		float: func(r *Run) float64 { return redisCost(r).MemoryPerKey }},
	{Name: "keys_without_ttl", Header: "no-TTL keys", In: InTable | InCSV | InThreshold, csvAppended: 3,
		absent: noRedisCost, tableIf: anyRedisCost,
		count: func(r *Run) int64 { return redisCost(r).KeysWithoutTTL }},
	{Name: "keys_past_ttl", In: InCSV | InThreshold, csvAppended: 3, absent: noRedisCost,
		count: func(r *Run) int64 { return redisCost(r).KeysPastTTL }},

	// The run judged by an exact policy (--oracle); "n/a" for a run that
	// was not, and no column when no run was.
	{Name: "false_allows", Header: "false allows", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt, csvAppended: 5,
		absent: noOracle, tableIf: anyOracle, Bench: BenchUnit{Unit: "false-allows", Scale: 1, Better: "lower"},
		count: func(r *Run) int64 { return oracle(r).FalseAllows },
		cell:  func(r *Run) string { return interval(oracle(r).FalseAllows, oracle(r).FalseAllowsAtMost) }},
	{Name: "false_allows_at_most", In: InCSV | InThreshold, csvAppended: 5, absent: noOracle,
		count: func(r *Run) int64 { return oracle(r).FalseAllowsAtMost }},
	{Name: "false_denies", Header: "false denies", In: InTable | InCSV | InCompare | InThreshold | InBenchfmt, csvAppended: 5,
		absent: noOracle, tableIf: anyOracle, Bench: BenchUnit{Unit: "false-denies", Scale: 1, Better: "lower"},
		count: func(r *Run) int64 { return oracle(r).FalseDenies },
		cell:  func(r *Run) string { return interval(oracle(r).FalseDenies, oracle(r).FalseDeniesAtMost) }},
	{Name: "false_denies_at_most", In: InCSV | InThreshold, csvAppended: 5, absent: noOracle,
		count: func(r *Run) int64 { return oracle(r).FalseDeniesAtMost }},
	{Name: "false_allows_pct", Header: "false allow %", Unit: "%", In: InTable | InCSV | InThreshold, csvAppended: 5,
		absent: noOracle, tableIf: anyOracle, cell: oracleCell(func(o *Oracle) float64 { return o.FalseAllowsPct }),
		float: func(r *Run) float64 { return oracle(r).FalseAllowsPct }},
	{Name: "false_denies_pct", Header: "false deny %", Unit: "%", In: InTable | InCSV | InThreshold, csvAppended: 5,
		absent: noOracle, tableIf: anyOracle, cell: oracleCell(func(o *Oracle) float64 { return o.FalseDeniesPct }),
		float: func(r *Run) float64 { return oracle(r).FalseDeniesPct }},
	{Name: "rate_diff_pct", Header: "rate diff %", Unit: "%", In: InTable | InCSV | InThreshold, csvAppended: 5,
		absent: noOracle, tableIf: anyOracle, cell: oracleCell(func(o *Oracle) float64 { return o.RateDiffPct }),
		float: func(r *Run) float64 { return oracle(r).RateDiffPct }},
	{Name: "oracle_policy", In: InCSV, csvAppended: 5, absent: noOracle, text: func(r *Run) string { return oracle(r).Policy }},
	{Name: "oracle_judged", In: InCSV, csvAppended: 5, absent: noOracle, count: func(r *Run) int64 { return oracle(r).Judged }},
	{Name: "oracle_late", In: InCSV, csvAppended: 5, absent: noOracle, count: func(r *Run) int64 { return oracle(r).Late }},
	{Name: "admitted_by_policy", In: InCSV, csvAppended: 5, absent: noOracle, count: func(r *Run) int64 { return oracle(r).AdmittedByPolicy }},

	{Name: "behind", In: InCSV, text: func(r *Run) string { return strconv.FormatBool(r.Generator.Behind) }},
	{Name: "end_reason", In: InCSV, text: func(r *Run) string { return r.EndReason }},
}

// redisCost is r's RedisCost, or a zero one.
func redisCost(r *Run) *RedisCost {
	if r.RedisCost == nil {
		return &RedisCost{}
	}
	return r.RedisCost
}

func noRedisCost(r *Run) bool { return r.RedisCost == nil }

// anyRedisCost reports whether runs ran on a Redis, measured or not.
func anyRedisCost(runs []Run) bool {
	return slices.ContainsFunc(runs, func(r Run) bool { return r.RedisCost != nil || r.RedisCostUnavailable != "" })
}

// costCell shows a per-decision figure with two decimals: 1.00 script
// call, 4.25 commands inside it.
func costCell(f func(*RedisCost) float64) func(*Run) string {
	return func(r *Run) string {
		if r.Counts.Sent == 0 {
			return "-"
		}
		return strconv.FormatFloat(f(redisCost(r)), 'f', 2, 64)
	}
}

// oracle is r's Oracle, or a zero one.
func oracle(r *Run) *Oracle {
	if r.Oracle == nil {
		return &Oracle{}
	}
	return r.Oracle
}

func noOracle(r *Run) bool { return r.Oracle == nil }

// anyOracle reports whether some run was judged, or would have been but
// for a merge.
func anyOracle(runs []Run) bool {
	return slices.ContainsFunc(runs, func(r Run) bool { return r.Oracle != nil || r.OracleUnavailable != "" })
}

// oracleCell shows a percentage with three decimals: 0.003 %.
func oracleCell(f func(*Oracle) float64) func(*Run) string {
	return func(r *Run) string { return strconv.FormatFloat(f(oracle(r)), 'f', 3, 64) }
}

// timed says whether some run was timed: a simulation decides in virtual
// time, every request on its instant, so its latency and missed columns
// would be zeros that say nothing.
func timed(runs []Run) bool {
	return slices.ContainsFunc(runs, func(r Run) bool { return r.Simulation == nil })
}

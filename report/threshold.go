package report

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrBadThreshold means ParseThreshold could not read an expression; the
// wrapping error quotes it, names the bad part and says what is accepted.
var ErrBadThreshold = errors.New("bad threshold")

// Threshold is a pass/fail check on one figure of a comparison of BASE and
// NEW results, in the spirit of k6 thresholds, so that a CI job can fail on
// a regression. ParseThreshold reads one from its text form,
//
//	METRIC OP VALUE[%]
//
// where OP is one of < <= > >= == != and VALUE a decimal number (digits,
// optionally a point and more digits; no exponent, NaN or Inf). Spaces
// may surround OP. VALUE is read one of two ways:
//
//   - Signed and followed by %, it is a change relative to BASE, in per
//     cent: "response_p99_us<+10%" passes when NEW's p99 is less than
//     10 % above BASE's, "accepted_per_s>-5%" when NEW's accepted rate
//     fell by less than 5 %. A relative threshold takes < <= > >= only.
//     On a run BASE lacks there is nothing to be relative to: Compare
//     skips it there, and Check, which must answer yes or no, fails it.
//   - Plain, it is an absolute bound on NEW, in the metric's own unit:
//     "response_p50_us<=250" (µs), "over_admitted==0", "errors==0".
//
// A sign without % and % without a sign are refused rather than guessed
// at: "response_p99_us<+10" is most likely a forgotten %, and
// "response_p99_us<10%" could be either reading.
//
// METRIC is the Name of an InThreshold metric (MetricsIn lists them):
// response_p99_us and the other response_ latencies are response time,
// from the intended send time, service_ ones from the actual send, in µs;
// _per_s figures are rates; the rest count requests. The Aliases of a
// metric, the short names thresholds had before (p99, mean,
// max_in_window), are read as its Name.
//
// The zero Threshold is not valid; Check fails it. A Threshold is a value
// and safe for concurrent use.
type Threshold struct {
	// Metric is the Name of an InThreshold metric: ParseThreshold reads an
	// alias as the name it stands for.
	Metric string
	// Op is <, <=, >, >=, == or !=.
	Op string
	// Value is the bound: a change in per cent when Relative, else an
	// absolute figure in the metric's unit.
	Value float64
	// Relative says Value is a change from BASE rather than a bound on NEW.
	Relative bool
}

// metricNames lists the InThreshold metrics for messages, each alias
// after its name: "sent, ..., response_p99_us (p99), ...".
func metricNames() string {
	var names []string
	for _, m := range MetricsIn(InThreshold) {
		names = append(names, m.Name+aliases(m))
	}
	return strings.Join(names, ", ")
}

// aliases is " (p99)" for a metric with aliases, or "".
func aliases(m Metric) string {
	if len(m.Aliases) == 0 {
		return ""
	}
	return " (" + strings.Join(m.Aliases, ", ") + ")"
}

// thresholdOps are those of the grammar, in the order messages list them.
var thresholdOps = []string{"<", "<=", ">", ">=", "==", "!="}

const opChars = "<>=!"

// ParseThreshold reads a threshold such as "response_p99_us<+10%" or
// "over_admitted==0" (the grammar is on Threshold), the metric's alias
// read as its name. An expression it cannot read is an ErrBadThreshold
// naming the bad part.
func ParseThreshold(s string) (Threshold, error) {
	bad := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %q: %s", ErrBadThreshold, s, fmt.Sprintf(format, args...))
	}
	expr := strings.TrimSpace(s)
	if expr == "" {
		return bad("empty; want METRIC OP VALUE, as in response_p99_us<+10%% or over_admitted==0")
	}
	i := strings.IndexAny(expr, opChars)
	if i < 0 {
		return bad("no operator; operators are %s", strings.Join(thresholdOps, ", "))
	}
	name := strings.TrimSpace(expr[:i])
	j := i
	for j < len(expr) && strings.IndexByte(opChars, expr[j]) >= 0 {
		j++
	}
	op, rest := expr[i:j], strings.TrimSpace(expr[j:])
	if name == "" {
		return bad("no metric before %q; metrics are %s", op, metricNames())
	}
	m, ok := thresholdMetric(name)
	if !ok {
		return bad("unknown metric %q; metrics are %s", name, metricNames())
	}
	known := false
	for _, o := range thresholdOps {
		known = known || o == op
	}
	if !known {
		return bad("unknown operator %q; operators are %s", op, strings.Join(thresholdOps, ", "))
	}
	if rest == "" {
		return bad("no value after %q; want a number such as 250, or a change such as +10%%", op)
	}

	// The number: an optional sign, digits, optionally a point and digits.
	k := 0
	signed := rest[0] == '+' || rest[0] == '-'
	if signed {
		k++
	}
	digits := func() int {
		start := k
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		return k - start
	}
	if digits() == 0 {
		return bad("bad number %q; want digits such as 250 or 0.5, or a change such as +10%%", rest)
	}
	if k < len(rest) && rest[k] == '.' {
		k++
		if digits() == 0 {
			return bad("bad number %q; want digits after the point, as in 0.5", rest)
		}
	}
	number := rest[:k]
	percent := k < len(rest) && rest[k] == '%'
	if percent {
		k++
	}
	if k < len(rest) {
		return bad("unexpected %q after the value %q", rest[k:], rest[:k])
	}
	v, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return bad("number %q is out of range", number)
	}
	switch {
	case percent && !signed:
		return bad("a percentage needs a sign, as in +10%% or -5%%: it is a change relative to BASE")
	case signed && !percent:
		return bad("a signed value is a change relative to BASE and needs %%, as in %s%%; an absolute value has no sign", number)
	case percent && (op == "==" || op == "!="):
		return bad("a relative change takes <, <=, > or >=; %s takes an absolute value, as in over_admitted==0", op)
	}
	return Threshold{Metric: m.Name, Op: op, Value: v, Relative: percent}, nil
}

// String is the threshold in the form ParseThreshold reads, without
// spaces: ParseThreshold(t.String()) gives t back.
func (t Threshold) String() string {
	v := strconv.FormatFloat(math.Abs(t.Value), 'f', -1, 64)
	if !t.Relative {
		if math.Signbit(t.Value) {
			v = "-" + v
		}
		return t.Metric + t.Op + v
	}
	sign := "+"
	if math.Signbit(t.Value) {
		sign = "-"
	}
	return t.Metric + t.Op + sign + v + "%"
}

// Check applies t to one run of NEW and the run of BASE with the same key;
// base is the zero Run (no Algorithm) when BASE has none. ok says whether
// t holds; detail gives the figures it was decided on, as in
// "512.0 → 601.3 µs (+17.4 %)" or "601.3 µs", or why it could not be
// decided.
func (t Threshold) Check(base, new Run) (ok bool, detail string) {
	m, known := thresholdMetric(t.Metric)
	if !known {
		return false, fmt.Sprintf("unknown metric %q", t.Metric)
	}
	hasBase := base.Algorithm != ""
	var b float64
	if hasBase {
		b = m.Value(&base)
	}
	return t.check(m, b, m.Value(&new), hasBase)
}

// check applies t to figures of BASE and NEW, which Compare passes as
// medians when runs were repeated.
func (t Threshold) check(m Metric, base, new float64, hasBase bool) (ok bool, detail string) {
	if math.IsNaN(new) {
		return false, "not measured in NEW (n/a)"
	}
	if !t.Relative {
		return compareOp(t.Op, new, t.Value), formatFigureUnit(m, new)
	}
	if !hasBase {
		return false, fmt.Sprintf("%s in NEW, but no BASE run to compare with", formatFigureUnit(m, new))
	}
	change := percentChange(base, new)
	detail = fmt.Sprintf("%s → %s (%s)", formatFigure(m, base), formatFigureUnit(m, new), formatChange(change))
	return compareOp(t.Op, change, t.Value), detail
}

// compareOp is a OP b; an unknown operator or a NaN fails.
func compareOp(op string, a, b float64) bool {
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	case "!=":
		return a != b && !math.IsNaN(a) && !math.IsNaN(b)
	}
	return false
}

// percentChange is how far new is from base, in per cent of base. From 0
// any rise is +Inf: no relative bound can hold it, which is the honest
// answer for, say, errors going from 0 to 3.
func percentChange(base, new float64) float64 {
	switch {
	case math.IsNaN(base) || math.IsNaN(new):
		return math.NaN()
	case base == new:
		return 0
	case base == 0:
		return math.Copysign(math.Inf(1), new)
	}
	return (new - base) / math.Abs(base) * 100
}

// formatChange is "+17.4 %", "-5.0 %", "0.0 %" or "+∞ %".
func formatChange(p float64) string {
	switch {
	case math.IsNaN(p):
		return "?"
	case math.IsInf(p, 1):
		return "+∞ %"
	case math.IsInf(p, -1):
		return "-∞ %"
	case p == 0:
		return "0.0 %"
	}
	return fmt.Sprintf("%+.1f %%", p)
}

// formatFigure writes a figure of m: one decimal for latencies and rates,
// whole numbers for counts unless a median fell between two.
func formatFigure(m Metric, v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	if m.count != nil && v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// formatFigureUnit is formatFigure with the unit: "601.3 µs", "1900.5/s", "3".
func formatFigureUnit(m Metric, v float64) string {
	s := formatFigure(m, v)
	switch m.Unit {
	case "":
		return s
	case "µs":
		return s + " µs"
	}
	return s + m.Unit
}

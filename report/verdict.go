package report

import (
	"math"
	"strconv"
)

// Status is what became of one check: VerdictPassed, VerdictFailed or
// VerdictSkipped.
type Status string

// Statuses of a Verdict.
const (
	VerdictPassed  Status = "passed"
	VerdictFailed  Status = "failed"
	VerdictSkipped Status = "skipped"
)

// CheckRunInNew names the check a run key of BASE gets when thresholds are
// given: NEW has the run. A run that vanished must not pass a gate by
// having nothing left to check.
const CheckRunInNew = "run present in NEW"

// Verdict is one check of a Comparison: a threshold on one run key, or
// (Threshold zero, Check CheckRunInNew) whether NEW still has a run of
// BASE. It is what a CI system shows as one test case: Compare gives one
// per threshold and run key, skipped when the threshold needs a side that
// lacks the run. Every failed Verdict has its line in Comparison.Failed.
type Verdict struct {
	// Key is the RunKey, "" for the comparison as a whole (neither file
	// has a run).
	Key string
	// Threshold is the threshold checked; zero for a check of the runs
	// themselves.
	Threshold Threshold
	// Check names it: the threshold as ParseThreshold reads it, as in
	// "response_p99_us<+10%", or CheckRunInNew.
	Check  string
	Status Status
	// Base and New are the figures it was decided on (medians of
	// repetitions), NaN on a side that lacks the run.
	Base, New float64
	// Detail says why, as the line in Failed does: "512.0 → 601.3 µs
	// (+17.4 %)", "NEW has no such run".
	Detail string
}

// Bound is what the threshold asks of NEW's figure, as in "< BASE +10 %"
// or "== 0"; "" for a check that is not a threshold.
func (v Verdict) Bound() string {
	t := v.Threshold
	if t.Metric == "" {
		return ""
	}
	if t.Relative {
		return t.Op + " BASE " + formatSigned(t.Value) + " %"
	}
	return t.Op + " " + strconv.FormatFloat(t.Value, 'f', -1, 64)
}

// Figures are Base and New as the comparison writes them, with the
// metric's unit, or "-" on a side without the run.
func (v Verdict) Figures() (base, new string) {
	m, _ := thresholdMetric(v.Threshold.Metric)
	f := func(x float64) string {
		if math.IsNaN(x) {
			return "-"
		}
		return formatFigureUnit(m, x)
	}
	return f(v.Base), f(v.New)
}

// formatSigned is +10 or -5.5: a relative bound always has its sign.
func formatSigned(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	if math.Signbit(v) {
		return "-" + s
	}
	return "+" + s
}

// count is how many Verdicts have status s.
func (c Comparison) count(s Status) int {
	n := 0
	for _, v := range c.Verdicts {
		if v.Status == s {
			n++
		}
	}
	return n
}

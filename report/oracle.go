package report

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// OraclePolicies are the exact policies a run may be judged by
// (--oracle): the rules of algorithms.JudgeNames.
var OraclePolicies = []string{"sliding", "fixed", "token", "gcra"}

// Oracle is a run judged decision by decision against an exact policy
// (--oracle): an in-process model of the policy, told of every admission
// the target really made, says of each decision whether the policy would
// have made it. A false allow is an admission the policy forbids, a false
// deny a rejection it allows. With a sliding policy of 100 per second, a
// fixed window that admits 100 in the last 100 ms of one window and 100 in
// the first 100 ms of the next has 100 false allows.
//
// An unknown outcome (sent, never answered) may have been either: the
// truth lies between each figure and its _at_most twin. False allows
// count with every unknown outcome taken as a rejection, their at-most
// twin with every one taken as an admission (and a wrong one where the
// policy forbids it); false denies the other way round. Both ends are
// sure bounds, since more admissions only ever make a policy forbid more.
type Oracle struct {
	// Policy is the rule: sliding (at most limit.requests in any trailing
	// window), fixed (per epoch-aligned window), token or gcra (the
	// bucket of the run's limit and burst).
	Policy string `json:"policy"`
	// Judged counts the decisions judged: accepted, rejected and unknown.
	Judged int64 `json:"judged"`
	// Unknown counts the unknown outcomes among them.
	Unknown           int64 `json:"unknown"`
	FalseAllows       int64 `json:"false_allows"`
	FalseAllowsAtMost int64 `json:"false_allows_at_most"`
	FalseDenies       int64 `json:"false_denies"`
	FalseDeniesAtMost int64 `json:"false_denies_at_most"`
	// FalseAllowsPct and FalseDeniesPct are FalseAllows and FalseDenies
	// in percent of Judged.
	FalseAllowsPct float64 `json:"false_allows_pct"`
	FalseDeniesPct float64 `json:"false_denies_pct"`
	// KeysWithFalseAllows and KeysWithFalseDenies count the keys with at
	// least one; WorstKey is the key with the most wrong decisions.
	KeysWithFalseAllows int64  `json:"keys_with_false_allows"`
	KeysWithFalseDenies int64  `json:"keys_with_false_denies"`
	WorstKey            string `json:"worst_key,omitempty"`
	// AdmittedByTarget counts the units the target admitted (unknown
	// outcomes not among them); AdmittedByPolicy the units the policy,
	// deciding on its own, would have admitted of the same requests at the
	// same instants.
	AdmittedByTarget int64 `json:"admitted_by_target"`
	AdmittedByPolicy int64 `json:"admitted_by_policy"`
	// RateDiffPct is the difference between the real and the exact
	// admitted rate: over each key's windows of the limit's length
	// (epoch-aligned) that saw traffic, the sum of |target − policy|
	// admitted over the sum of policy admitted, in percent (the mean of
	// each window's relative difference, weighted by its exact rate).
	// RateWindows counts those windows.
	RateDiffPct float64 `json:"rate_diff_pct"`
	RateWindows int64   `json:"rate_windows"`
	// Late counts decisions that arrived more than HoldUS after a later
	// decision of their key had been judged: each was judged at once,
	// after decisions it preceded, so its verdict may be off.
	Late   int64 `json:"late"`
	HoldUS int64 `json:"hold_us"`
	// Timeseries counts false allows and false denies per interval, by
	// when each request was sent, from the run's start.
	Timeseries OracleTimeseries `json:"timeseries"`
}

// OracleTimeseries is the oracle's count of wrong decisions over time.
type OracleTimeseries struct {
	IntervalUS int64         `json:"interval_us"`
	Points     []OraclePoint `json:"points"`
}

// OraclePoint is one interval of wrong decisions, starting TUS after the
// run's start.
type OraclePoint struct {
	TUS         int64 `json:"t_us"`
	FalseAllows int64 `json:"false_allows"`
	FalseDenies int64 `json:"false_denies"`
}

// oracleUnavailableMerged is why a merged run has no oracle figures: each
// generator judged only the decisions it saw, and the interleaving of
// everyone's rejections, which decides what the policy allows, is kept
// nowhere.
const oracleUnavailableMerged = "merged from several generators: each judged only its own decisions on the shared keys"

// oracle checks a run's oracle figures: counts, their intervals, the
// percentages, and a time series that adds up to the sure figures.
func (c *checker) oracle(path string, o *Oracle, n *Counts) {
	if !slices.Contains(OraclePolicies, o.Policy) {
		c.fail(path+".policy", "%q, want one of %v", o.Policy, OraclePolicies)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"judged", o.Judged}, {"unknown", o.Unknown}, {"false_allows", o.FalseAllows}, {"false_denies", o.FalseDenies},
		{"keys_with_false_allows", o.KeysWithFalseAllows}, {"keys_with_false_denies", o.KeysWithFalseDenies},
		{"admitted_by_target", o.AdmittedByTarget}, {"admitted_by_policy", o.AdmittedByPolicy},
		{"rate_windows", o.RateWindows}, {"late", o.Late}, {"hold_us", o.HoldUS}} {
		c.count(path+"."+f.name, f.v)
	}
	c.atMost(path+".judged", o.Judged, "accepted + rejected + unknown", n.Accepted+n.Rejected+n.Unknown)
	c.atMost(path+".unknown", o.Unknown, "judged", o.Judged)
	c.atMost(path+".unknown", o.Unknown, "counts.unknown", n.Unknown)
	c.atMost(path+".late", o.Late, "judged", o.Judged)
	if o.FalseAllowsAtMost < o.FalseAllows {
		c.fail(path+".false_allows_at_most", "%d, want at least false_allows (%d)", o.FalseAllowsAtMost, o.FalseAllows)
	}
	if o.FalseDeniesAtMost < o.FalseDenies {
		c.fail(path+".false_denies_at_most", "%d, want at least false_denies (%d)", o.FalseDeniesAtMost, o.FalseDenies)
	}
	if o.Unknown == 0 && (o.FalseAllowsAtMost != o.FalseAllows || o.FalseDeniesAtMost != o.FalseDenies) {
		c.fail(path+".false_allows_at_most", "%d and false_denies_at_most %d with no unknown outcome, want false_allows (%d) and false_denies (%d)",
			o.FalseAllowsAtMost, o.FalseDeniesAtMost, o.FalseAllows, o.FalseDenies)
	}
	c.atMost(path+".false_allows_at_most", o.FalseAllowsAtMost+o.FalseDenies, "judged, with false_denies", o.Judged)
	c.atMost(path+".false_denies_at_most", o.FalseDeniesAtMost+o.FalseAllows, "judged, with false_allows", o.Judged)
	c.atMost(path+".keys_with_false_allows", o.KeysWithFalseAllows, "false_allows", o.FalseAllows)
	c.atMost(path+".keys_with_false_denies", o.KeysWithFalseDenies, "false_denies", o.FalseDenies)
	for _, f := range []struct {
		name string
		v    float64
	}{{"false_allows_pct", o.FalseAllowsPct}, {"false_denies_pct", o.FalseDeniesPct}, {"rate_diff_pct", o.RateDiffPct}} {
		c.real(path+"."+f.name, f.v)
	}
	if o.FalseAllowsPct > 100 || o.FalseDeniesPct > 100 {
		c.fail(path+".false_allows_pct", "%s and false_denies_pct %s, want each at most 100", formatReal(o.FalseAllowsPct), formatReal(o.FalseDeniesPct))
	}
	ts := &o.Timeseries
	if len(ts.Points) > 0 && ts.IntervalUS < 1 {
		c.fail(path+".timeseries.interval_us", "%d, want at least 1", ts.IntervalUS)
	}
	var allows, denies int64
	for i, p := range ts.Points {
		pp := fmt.Sprintf("%s.timeseries.points[%d]", path, i)
		c.count(pp+".t_us", p.TUS)
		c.count(pp+".false_allows", p.FalseAllows)
		c.count(pp+".false_denies", p.FalseDenies)
		if i > 0 && p.TUS <= ts.Points[i-1].TUS {
			c.fail(pp+".t_us", "%d, want after the point before (%d)", p.TUS, ts.Points[i-1].TUS)
		}
		allows += p.FalseAllows
		denies += p.FalseDenies
	}
	if len(ts.Points) > 0 && (allows != o.FalseAllows || denies != o.FalseDenies) {
		c.fail(path+".timeseries.points", "%d false allows and %d false denies, want false_allows (%d) and false_denies (%d)",
			allows, denies, o.FalseAllows, o.FalseDenies)
	}
}

// oracleNote is what the notes say of r's oracle: "by sliding: false
// allows 540, false denies 0 of 15166 decisions, worst key user:1:3;
// admitted 10553 where the policy alone admits 9971, rate diff 6.10 %".
func oracleNote(r *Run) string {
	if r.Oracle == nil {
		if r.OracleUnavailable != "" {
			return "not judged: " + r.OracleUnavailable
		}
		return ""
	}
	o := r.Oracle
	note := fmt.Sprintf("by %s: false allows %s, false denies %s of %d %s", o.Policy,
		interval(o.FalseAllows, o.FalseAllowsAtMost), interval(o.FalseDenies, o.FalseDeniesAtMost), o.Judged, Plural(o.Judged, "decision"))
	if o.WorstKey != "" {
		note += ", worst key " + o.WorstKey
	}
	note += fmt.Sprintf("; admitted %d where the policy alone admits %d, rate diff %s %%",
		o.AdmittedByTarget, o.AdmittedByPolicy, strconv.FormatFloat(o.RateDiffPct, 'f', 2, 64))
	if o.Late > 0 {
		note += fmt.Sprintf("; %d judged out of turn, more than %s late", o.Late, time.Duration(o.HoldUS)*time.Microsecond)
	}
	return note
}

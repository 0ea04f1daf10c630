package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Row.Only values, for a run key that one side lacks.
const (
	OnlyInBase = "only in base"
	OnlyInNew  = "only in new"
)

// DefaultAlpha is the significance level Compare uses when given none: a
// difference counts only if a test as extreme would happen by chance less
// than 5 % of the time with no real difference, as in benchstat.
const DefaultAlpha = 0.05

// MinSamples is the fewest runs of one key a side for which Compare tests
// a difference. It is the smallest sample with a finite 95 % confidence
// interval for the median (its order statistics hold the median with
// probability 1 − 2/2⁶ ≈ 0.969), which is also where benchstat stops
// warning; below it a change may be noise and Compare says so.
const MinSamples = 6

// medianConfidence is the level of the intervals around medians.
const medianConfidence = 0.95

// comparedMetrics are the figures a Comparison may have a Change for, in
// the order of the table, each titled by its Header.
var comparedMetrics = MetricsIn(InCompare)

// comparedIn are the comparedMetrics that base or new has: a figure only
// some runs have (the oracle's) is compared when a run of either file has
// it, and left out otherwise rather than tabulated as "-" throughout.
func comparedIn(base, new *File) []Metric {
	var out []Metric
	for _, m := range comparedMetrics {
		if m.absent == nil || hasFigure(m, base) || hasFigure(m, new) {
			out = append(out, m)
		}
	}
	return out
}

// hasFigure reports whether a run of f has m's figure.
func hasFigure(m Metric, f *File) bool {
	return f != nil && slices.ContainsFunc(f.Runs, func(r Run) bool { return !m.absent(&r) })
}

// RunKey identifies a run across results files, as "fixed/steady/100per1s"
// (algorithm, workload, limit; "-burst30" follows when the burst differs
// from the requests, "-skew10ms" a run's clock skew). Compare matches runs
// by it and Merge requires the same keys in every file. The repetitions of
// a bench run with --count share a key: they are samples of one thing.
func RunKey(r Run) string {
	key := r.Algorithm + "/" + r.Workload + "/" + limitName(r.Limit)
	if r.ClockSkewUS > 0 {
		key += "-skew" + skewName(r.ClockSkewUS)
	}
	return key
}

// limitName is "100per1s": the limit without the slash of "100/1s", so
// that keys and benchmark names split on "/" into their parts.
func limitName(l Limit) string {
	if l == (Limit{}) {
		return "nolimit"
	}
	s := strconv.FormatInt(l.Requests, 10) + "per" + window(l.WindowUS)
	if l.Burst != 0 && l.Burst != l.Requests {
		s += "-burst" + strconv.FormatInt(l.Burst, 10)
	}
	return s
}

// Comparison is what Compare found: a Row per run key, the thresholds that
// failed, and notes a reader must not miss. Render writes it for a
// terminal.
type Comparison struct {
	// Rows are in BASE's order of runs, then the keys only NEW has.
	Rows []Row
	// Thresholds are those checked, Failed one line per threshold and run
	// that failed, as "p99<+10% on fixed/steady/100per1s: 512.0 → 601.3 µs
	// (+17.4 %)". A CI job fails when Failed is not empty.
	Thresholds []Threshold
	Failed     []string
	// Verdicts are every check made, failed or not: one per threshold and
	// run key, in the order of Rows, then of Thresholds.
	Verdicts []Verdict
	// Notes are caveats: runs that did not finish, a generator that fell
	// behind, different targets or hosts, threshold breaches that were
	// within noise.
	Notes []string
	// Alpha is the significance level the tests used.
	Alpha float64
	// metrics are the figures compared, those of comparedMetrics that a
	// file has (comparedIn): each Row's Changes are in their order.
	metrics []Metric
}

// Row compares the runs of one key.
type Row struct {
	Key string
	// Only is OnlyInBase or OnlyInNew when one side lacks the key, else "".
	Only string
	// BaseN and NewN count the runs of the key a side: repetitions.
	BaseN, NewN int
	// Changes has one entry per compared figure: every InCompare metric,
	// in the order of MetricsIn(InCompare), less those neither file has.
	Changes []Change
}

// Change is one figure of a Row. With one run a side it is the two values
// and their difference; with repetitions, the medians, and when both sides
// have MinSamples or more, a test of whether the difference is real.
type Change struct {
	// Metric is the figure's Metric.Name.
	Metric string
	// Base and New are the value, or the median of the repetitions; NaN
	// on a side that lacks the key.
	Base, New float64
	// Percent is the change from Base to New in per cent of Base: NaN when
	// a side is missing, ±Inf from a Base of 0.
	Percent float64
	// Tested is set when both sides have at least MinSamples runs; then
	// Lo and Hi bound each median at 95 % confidence, P is the two-sided
	// Mann-Whitney U p-value (benchstat's, which ties can push above 1),
	// and Significant is P < Alpha. An untested or insignificant change
	// may be noise and is never a regression.
	Tested                       bool
	BaseLo, BaseHi, NewLo, NewHi float64
	P                            float64
	Significant                  bool
}

// Compare matches the runs of base and new by RunKey and compares their
// figures, testing differences between repeated runs (see Change), and
// checks thresholds on every run key of new. alpha is the significance
// level; outside (0, 1) it is DefaultAlpha.
//
// Repeated runs are compared by their medians, thresholds included. A
// relative threshold that the medians breach, on keys tested for
// significance, fails only when the difference is significant: noise is
// never called a regression, and the breach is kept in Notes. A nil file
// has no runs.
func Compare(base, new *File, thresholds []Threshold, alpha float64) Comparison {
	if !(alpha > 0 && alpha < 1) {
		alpha = DefaultAlpha
	}
	c := Comparison{Thresholds: slices.Clone(thresholds), Alpha: alpha, metrics: comparedIn(base, new)}
	baseKeys, baseRuns := runsByKey(base)
	newKeys, newRuns := runsByKey(new)
	keys := baseKeys
	for _, k := range newKeys {
		if _, ok := baseRuns[k]; !ok {
			keys = append(keys, k)
		}
	}
	c.Notes = compareNotes(base, new)
	for _, key := range keys {
		b, n := baseRuns[key], newRuns[key]
		row := Row{Key: key, BaseN: len(b), NewN: len(n)}
		switch {
		case len(n) == 0:
			row.Only = OnlyInBase
			// A run that vanished must not pass a gate by having nothing to check.
			if len(thresholds) > 0 {
				c.Failed = append(c.Failed, fmt.Sprintf("%s is only in base: NEW has no such run to check the thresholds on", key))
				c.Verdicts = append(c.Verdicts, Verdict{Key: key, Check: CheckRunInNew, Status: VerdictFailed,
					Base: math.NaN(), New: math.NaN(), Detail: "only in base: NEW has no such run to check the thresholds on"})
			}
		case len(b) == 0:
			row.Only = OnlyInNew
		}
		for _, m := range c.metrics {
			row.Changes = append(row.Changes, compareMetric(m, b, n, alpha))
		}
		c.Rows = append(c.Rows, row)
		c.checkThresholds(key, b, n)
	}
	if len(keys) == 0 && len(thresholds) > 0 {
		c.Failed = append(c.Failed, "neither file has a run: no threshold was checked")
		c.Verdicts = append(c.Verdicts, Verdict{Check: "runs present", Status: VerdictFailed,
			Base: math.NaN(), New: math.NaN(), Detail: "neither file has a run: no threshold was checked"})
	}
	return c
}

// runsByKey gathers the runs of f by key, keys in order of first run.
func runsByKey(f *File) (keys []string, runs map[string][]Run) {
	runs = map[string][]Run{}
	if f == nil {
		return nil, runs
	}
	for _, r := range f.Runs {
		k := RunKey(r)
		if _, ok := runs[k]; !ok {
			keys = append(keys, k)
		}
		runs[k] = append(runs[k], r)
	}
	return keys, runs
}

// metricValues are the samples of m, one per run that has the figure: a
// run not judged by an oracle has no false allows, not zero of them.
func metricValues(m Metric, runs []Run) []float64 {
	vs := make([]float64, 0, len(runs))
	for i := range runs {
		if v := m.Value(&runs[i]); !math.IsNaN(v) {
			vs = append(vs, v)
		}
	}
	return vs
}

// compareMetric compares the samples of m a side: medians, and a test
// when both sides have enough of them.
func compareMetric(m Metric, base, new []Run, alpha float64) Change {
	bs, ns := metricValues(m, base), metricValues(m, new)
	c := Change{Metric: m.Name, Base: Median(bs), New: Median(ns)}
	c.Percent = percentChange(c.Base, c.New)
	if len(bs) >= MinSamples && len(ns) >= MinSamples {
		c.Tested = true
		c.BaseLo, c.BaseHi = medianCI(bs, medianConfidence)
		c.NewLo, c.NewHi = medianCI(ns, medianConfidence)
		c.P = mannWhitneyP(bs, ns)
		c.Significant = c.P < alpha
	}
	return c
}

// checkThresholds checks every threshold on the runs of one key, on
// medians when runs were repeated. A threshold that needs a side that
// lacks the key is skipped: an absolute one when NEW has no run, a
// relative one when BASE has none (a new run has nothing to regress
// from).
func (c *Comparison) checkThresholds(key string, base, new []Run) {
	for _, t := range c.Thresholds {
		v := Verdict{Key: key, Threshold: t, Check: t.String(), Base: math.NaN(), New: math.NaN()}
		m, known := thresholdMetric(t.Metric)
		if !known {
			v.Status, v.Detail = VerdictFailed, fmt.Sprintf("unknown metric %q", t.Metric)
			c.Verdicts = append(c.Verdicts, v)
			c.Failed = append(c.Failed, fmt.Sprintf("%s on %s: %s", t, key, v.Detail))
			continue
		}
		bs, ns := metricValues(m, base), metricValues(m, new)
		if len(bs) > 0 {
			v.Base = Median(bs)
		}
		if len(ns) > 0 {
			v.New = Median(ns)
		}
		switch {
		case len(new) == 0:
			v.Status, v.Detail = VerdictSkipped, "NEW has no such run"
			c.Verdicts = append(c.Verdicts, v)
			continue
		case t.Relative && len(ns) > 0 && len(base) == 0:
			v.Status, v.Detail = VerdictSkipped, formatFigureUnit(m, v.New)+" in NEW, but no BASE run to compare with"
			c.Verdicts = append(c.Verdicts, v)
			continue
		case t.Relative && len(ns) > 0 && len(bs) == 0:
			v.Status, v.Detail = VerdictSkipped, formatFigureUnit(m, v.New)+" in NEW, but BASE's runs did not measure "+m.Name
			c.Verdicts = append(c.Verdicts, v)
			continue
		}
		ok, detail := t.check(m, v.Base, v.New, len(bs) > 0)
		switch {
		case t.Relative && (len(bs) > 1 || len(ns) > 1):
			detail += fmt.Sprintf(" (medians of %d and %d runs)", len(bs), len(ns))
		case !t.Relative && len(ns) > 1:
			detail += fmt.Sprintf(" (median of %d runs)", len(ns))
		}
		v.Status, v.Detail = VerdictPassed, detail
		if !ok && t.Relative && len(bs) >= MinSamples && len(ns) >= MinSamples {
			p := mannWhitneyP(bs, ns)
			if p >= c.Alpha {
				c.Notes = append(c.Notes, fmt.Sprintf("%s on %s: %s is within noise (p=%.3f, alpha %g): not a failure",
					t, key, detail, p, c.Alpha))
				v.Detail += fmt.Sprintf(", within noise (p=%.3f)", p)
				c.Verdicts = append(c.Verdicts, v)
				continue
			}
			detail += ", " + formatP(p)
		}
		if !ok {
			v.Status, v.Detail = VerdictFailed, detail
			c.Failed = append(c.Failed, fmt.Sprintf("%s on %s: %s", t, key, detail))
		}
		c.Verdicts = append(c.Verdicts, v)
	}
}

// compareNotes are what makes figures of base and new less comparable
// than they look: other targets or hosts, partial runs, a generator that
// fell behind its schedule (its response times include its own lag).
func compareNotes(base, new *File) []string {
	var out []string
	if base != nil && new != nil {
		// Addresses are left out: an embedded miniredis listens on a new
		// port every time.
		bt := strings.TrimSpace(base.Target.Kind + " " + base.Target.ServerVersion)
		nt := strings.TrimSpace(new.Target.Kind + " " + new.Target.ServerVersion)
		if bt != nt {
			out = append(out, fmt.Sprintf("base ran against %s, new against %s: latencies are not comparable", bt, nt))
		}
		if base.Host != new.Host {
			host := func(h Host) string { return fmt.Sprintf("%s/%s with %d CPUs", h.OS, h.Arch, h.CPUs) }
			out = append(out, fmt.Sprintf("base ran on %s, new on %s: latencies are not comparable", host(base.Host), host(new.Host)))
		}
	}
	for _, side := range []struct {
		name string
		f    *File
	}{{"base", base}, {"new", new}} {
		if side.f == nil {
			continue
		}
		for _, r := range side.f.Runs {
			if r.EndReason != "" && r.EndReason != EndCompleted {
				out = append(out, fmt.Sprintf("partial: %s %s: %s; its figures cover only what ran", side.name, RunKey(r), r.EndReason))
			}
			if r.Generator.Behind {
				out = append(out, fmt.Sprintf("warning: %s %s: the generator fell behind its schedule; response times include that lag",
					side.name, RunKey(r)))
			}
		}
	}
	return out
}

// Render writes c for a terminal: a table per figure with a row per run
// key (base, new, change, and the test when runs were repeated), the
// notes, then a summary of the thresholds. A change that a test found
// insignificant reads "~", as in benchstat.
func (c Comparison) Render(w io.Writer) error {
	tested := false
	for _, r := range c.Rows {
		tested = tested || r.BaseN >= MinSamples && r.NewN >= MinSamples
	}
	switch {
	case len(c.Rows) == 0:
		if _, err := fmt.Fprintln(w, "no runs to compare"); err != nil {
			return err
		}
	case !tested:
		if _, err := fmt.Fprintf(w, "n<%d: not tested: a change can be told from noise only with %d or more runs "+
			"of a key a side (rlbench bench --count %d)\n", MinSamples, MinSamples, MinSamples); err != nil {
			return err
		}
	}
	for i, m := range c.metrics {
		if len(c.Rows) == 0 {
			break
		}
		if _, err := fmt.Fprintf(w, "\n%s\n", m.Header); err != nil {
			return err
		}
		if err := c.writeTable(w, m, i, tested); err != nil {
			return err
		}
	}
	var tail []string
	if len(c.Notes) > 0 {
		tail = append(tail, "")
		tail = append(tail, c.Notes...)
	}
	if s := c.ThresholdSummary(); s != "" {
		tail = append(tail, "", s)
	}
	for _, line := range tail {
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// writeTable writes the table of m, the i-th compared figure.
func (c Comparison) writeTable(w io.Writer, m Metric, i int, tested bool) error {
	headers := []string{"run", "base", "new", "change"}
	aligns := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	if tested {
		headers = append(headers, "test")
		aligns = append(aligns, tw.AlignLeft)
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
	)
	t.Header(headers)
	for _, r := range c.Rows {
		ch := r.Changes[i]
		row := []string{r.Key, compareCell(m, ch.Base, ch.BaseLo, ch.BaseHi, ch.Tested), compareCell(m, ch.New, ch.NewLo, ch.NewHi, ch.Tested)}
		switch {
		case r.Only != "":
			row = append(row, r.Only)
		case ch.Tested && !ch.Significant:
			row = append(row, "~")
		default:
			row = append(row, formatChange(ch.Percent))
		}
		if tested {
			switch {
			case r.Only != "":
				row = append(row, "")
			case ch.Tested:
				row = append(row, fmt.Sprintf("%s n=%d+%d", formatP(ch.P), r.BaseN, r.NewN))
			default:
				row = append(row, fmt.Sprintf("n<%d: not tested", MinSamples))
			}
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// formatP is "p=0.042", or "p<0.001" rather than a p of 0.000.
func formatP(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return fmt.Sprintf("p=%.3f", p)
}

// compareCell is a value, "-" for a missing side, and with its confidence
// interval as "512.0 ± 3 %" when tested: the larger distance from the
// median to a bound, in per cent of the median, as benchstat writes it.
func compareCell(m Metric, v, lo, hi float64, tested bool) string {
	s := formatFigure(m, v)
	if !tested || math.IsNaN(v) {
		return s
	}
	switch {
	case math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return s + " ± ∞"
	case v == 0 && lo == 0 && hi == 0:
		return s + " ± 0 %"
	case v == 0 || math.Signbit(lo) != math.Signbit(v) || math.Signbit(hi) != math.Signbit(v):
		return s + " ± ?"
	}
	return s + fmt.Sprintf(" ± %.0f %%", 100*max(hi/v-1, 1-lo/v))
}

// ThresholdSummary is "3 thresholds, 1 failed: p99<+10% on …", the failures on
// lines of their own when more than one; empty without thresholds.
func (c Comparison) ThresholdSummary() string {
	n := len(c.Thresholds)
	if n == 0 {
		return ""
	}
	s := fmt.Sprintf("%d threshold", n)
	if n != 1 {
		s += "s"
	}
	// Thresholds that failed, each once however many runs it failed on;
	// then, when that differs, the failing checks (the lines of Failed,
	// those that name no threshold, such as a run only in base, included),
	// the count the command's error gives.
	k, m := c.failedThresholds(), len(c.Failed)
	failed := fmt.Sprintf("%d failed", k)
	switch {
	case k == 0:
		failed = fmt.Sprintf("none failed; %d failing %s", m, Plural(m, "check"))
	case m != k:
		failed += fmt.Sprintf(", %d failing %s", m, Plural(m, "check"))
	}
	var skipped string
	if k := c.count(VerdictSkipped); k > 0 {
		skipped = fmt.Sprintf("\n%d %s skipped: the run is on one side only", k, Plural(k, "check"))
	}
	switch {
	case len(c.Failed) == 0 && n == 1:
		return s + ", passed" + skipped
	case len(c.Failed) == 0:
		return s + ", all passed" + skipped
	case len(c.Failed) == 1:
		return fmt.Sprintf("%s, %s: %s%s", s, failed, c.Failed[0], skipped)
	}
	return fmt.Sprintf("%s, %s:\n  %s%s", s, failed, strings.Join(c.Failed, "\n  "), skipped)
}

// failedThresholds is how many of the thresholds failed on some run.
func (c Comparison) failedThresholds() int {
	failed := map[string]bool{}
	for _, v := range c.Verdicts {
		if v.Status == VerdictFailed && v.Threshold.Metric != "" {
			failed[v.Check] = true
		}
	}
	return len(failed)
}

package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jstemmer/go-junit-report/v2/junit"
)

// WriteJUnit writes the verdicts of c as JUnit XML, the test report every
// CI system reads (GitHub Actions through a reporter action, GitLab,
// Jenkins, CircleCI): a testsuite per run key, in the order of Rows, and a
// testcase per Verdict in it, named by its Check (the threshold), failed
// with the figure, the bound and the BASE and NEW values, or skipped when
// the run is on one side only. A check of the comparison as a whole
// (neither file has a run) is in a suite named "rlbench". name titles the
// report ("rlbench compare"); at, when not zero, stamps each suite (NEW's
// start). Without thresholds the report has no tests.
func (c Comparison) WriteJUnit(w io.Writer, name string, at time.Time) error {
	suites := junit.Testsuites{Name: name}
	bySuite := map[string][]Verdict{}
	var order []string
	for _, v := range c.Verdicts {
		if _, ok := bySuite[v.Key]; !ok {
			order = append(order, v.Key)
		}
		bySuite[v.Key] = append(bySuite[v.Key], v)
	}
	for i, key := range order {
		suite := junit.Testsuite{Name: key, ID: i, Package: "rlbench", Time: "0"}
		if key == "" {
			suite.Name = "rlbench"
		}
		if !at.IsZero() {
			suite.SetTimestamp(at)
		}
		for _, v := range bySuite[key] {
			suite.AddTestcase(junitCase(suite.Name, v))
		}
		suites.AddSuite(suite)
	}
	// junit-10.xsd, the schema CI systems read, has skipped on each
	// testsuite but not on testsuites.
	suites.Skipped = 0
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	if err := enc.Encode(suites); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitCase is one Verdict as a testcase: its figures in the body of a
// failure, or in system-out when it passed.
func junitCase(suite string, v Verdict) junit.Testcase {
	tc := junit.Testcase{Name: v.Check, Classname: suite, Time: "0"}
	message := v.Check + ": " + v.Detail
	switch v.Status {
	case VerdictFailed:
		kind := "threshold"
		if v.Threshold.Metric == "" {
			kind = "missing run"
		}
		tc.Failure = &junit.Result{Message: message, Type: kind, Data: verdictBody(v)}
	case VerdictSkipped:
		tc.Skipped = &junit.Result{Message: message}
	default:
		tc.SystemOut = &junit.Output{Data: verdictBody(v)}
	}
	return tc
}

// verdictBody lists what a verdict was decided on, a line each: the
// figure, the bound, BASE's and NEW's values, and the detail.
func verdictBody(v Verdict) string {
	var b strings.Builder
	if v.Threshold.Metric != "" {
		base, new := v.Figures()
		fmt.Fprintf(&b, "figure: %s\nbound:  %s\nbase:   %s\nnew:    %s\n", v.Threshold.Metric, v.Bound(), base, new)
	}
	fmt.Fprintf(&b, "%s: %s\n", v.Status, v.Detail)
	return b.String()
}

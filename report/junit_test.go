package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The JUnit report is checked against the schema CI systems accept:
// junit-10.xsd of Jenkins' xUnit plugin, which GitLab, the GitHub
// reporter actions and CircleCI read as well. The x* types below mirror
// its elements one for one, with the attributes it declares; anything
// else lands in an Unknown field, which must stay empty. checkJUnit then
// checks what the XSD requires (testsuite@tests, testcase@name,
// property@name and @value) and what its counts mean: a suite's tests,
// failures, errors and skipped are the number of its testcases of each
// kind, and testsuites' totals their sums. rlbench also always writes a
// testcase's classname and time and a failure's message and type, which
// the older Ant schema requires; checkJUnit holds it to that too.

type xTestsuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     *string      `xml:"name,attr"`
	Time     *string      `xml:"time,attr"`
	Tests    *string      `xml:"tests,attr"`
	Failures *string      `xml:"failures,attr"`
	Disabled *string      `xml:"disabled,attr"`
	Errors   *string      `xml:"errors,attr"`
	Suites   []xTestsuite `xml:"testsuite"`
	xUnknown
}

type xTestsuite struct {
	Name       *string       `xml:"name,attr"`
	Tests      *string       `xml:"tests,attr"`
	Failures   *string       `xml:"failures,attr"`
	Errors     *string       `xml:"errors,attr"`
	Time       *string       `xml:"time,attr"`
	Disabled   *string       `xml:"disabled,attr"`
	Skipped    *string       `xml:"skipped,attr"`
	Skips      *string       `xml:"skips,attr"`
	Timestamp  *string       `xml:"timestamp,attr"`
	Hostname   *string       `xml:"hostname,attr"`
	ID         *string       `xml:"id,attr"`
	Package    *string       `xml:"package,attr"`
	Assertions *string       `xml:"assertions,attr"`
	File       *string       `xml:"file,attr"`
	Skip       *string       `xml:"skip,attr"`
	Log        *string       `xml:"log,attr"`
	URL        *string       `xml:"url,attr"`
	Suites     []xTestsuite  `xml:"testsuite"`
	Properties []xProperties `xml:"properties"`
	Testcases  []xTestcase   `xml:"testcase"`
	SystemOut  []string      `xml:"system-out"`
	SystemErr  []string      `xml:"system-err"`
	xUnknown
}

type xProperties struct {
	Property []struct {
		Name  *string `xml:"name,attr"`
		Value *string `xml:"value,attr"`
		xUnknown
	} `xml:"property"`
	xUnknown
}

type xTestcase struct {
	Name       *string   `xml:"name,attr"`
	Assertions *string   `xml:"assertions,attr"`
	Time       *string   `xml:"time,attr"`
	Timestamp  *string   `xml:"timestamp,attr"`
	Classname  *string   `xml:"classname,attr"`
	Status     *string   `xml:"status,attr"`
	Class      *string   `xml:"class,attr"`
	File       *string   `xml:"file,attr"`
	Line       *string   `xml:"line,attr"`
	Log        *string   `xml:"log,attr"`
	Group      *string   `xml:"group,attr"`
	URL        *string   `xml:"url,attr"`
	Skipped    []xResult `xml:"skipped"`
	Error      []xResult `xml:"error"`
	Failure    []xResult `xml:"failure"`
	SystemOut  []string  `xml:"system-out"`
	SystemErr  []string  `xml:"system-err"`
	xUnknown
}

type xResult struct {
	Type    *string `xml:"type,attr"`
	Message *string `xml:"message,attr"`
	Text    string  `xml:",chardata"`
	xUnknown
}

// xUnknown catches what the schema does not declare.
type xUnknown struct {
	UnknownAttrs    []xml.Attr `xml:",any,attr"`
	UnknownElements []struct {
		XMLName xml.Name
	} `xml:",any"`
}

func (u xUnknown) check(where string) error {
	for _, a := range u.UnknownAttrs {
		return fmt.Errorf("%s: attribute %s is not in the schema", where, a.Name.Local)
	}
	for _, e := range u.UnknownElements {
		return fmt.Errorf("%s: element <%s> is not in the schema", where, e.XMLName.Local)
	}
	return nil
}

// checkJUnit decodes data and checks it against the schema and its
// counts, returning the decoded report.
func checkJUnit(data []byte) (xTestsuites, error) {
	var r xTestsuites
	if err := xml.Unmarshal(data, &r); err != nil {
		return r, err
	}
	if err := r.check("testsuites"); err != nil {
		return r, err
	}
	var tests, failures, errs, skipped int
	for i, s := range r.Suites {
		n, f, e, sk, err := checkSuite(fmt.Sprintf("testsuite[%d]", i), s)
		if err != nil {
			return r, err
		}
		tests, failures, errs, skipped = tests+n, failures+f, errs+e, skipped+sk
	}
	for _, c := range []struct {
		attr *string
		name string
		want int
	}{{r.Tests, "tests", tests}, {r.Failures, "failures", failures}, {r.Errors, "errors", errs}} {
		// Optional on testsuites: absent means 0 (go-junit-report leaves zeros out).
		got := 0
		if c.attr != nil {
			var err error
			if got, err = strconv.Atoi(*c.attr); err != nil {
				return r, fmt.Errorf("testsuites@%s %q is not a count", c.name, *c.attr)
			}
		}
		if got != c.want {
			return r, fmt.Errorf("testsuites@%s is %d, but the suites hold %d", c.name, got, c.want)
		}
	}
	return r, nil
}

func checkSuite(where string, s xTestsuite) (tests, failures, errs, skipped int, err error) {
	if err := s.check(where); err != nil {
		return 0, 0, 0, 0, err
	}
	if s.Tests == nil {
		return 0, 0, 0, 0, fmt.Errorf("%s: no tests attribute, which the schema requires", where)
	}
	for _, p := range s.Properties {
		if err := p.check(where + "/properties"); err != nil {
			return 0, 0, 0, 0, err
		}
		for _, q := range p.Property {
			if q.Name == nil || q.Value == nil {
				return 0, 0, 0, 0, fmt.Errorf("%s: a property without name or value", where)
			}
		}
	}
	for i, c := range s.Testcases {
		at := fmt.Sprintf("%s/testcase[%d]", where, i)
		if err := c.check(at); err != nil {
			return 0, 0, 0, 0, err
		}
		switch {
		case c.Name == nil || *c.Name == "":
			return 0, 0, 0, 0, fmt.Errorf("%s: no name, which the schema requires", at)
		case c.Classname == nil || c.Time == nil:
			return 0, 0, 0, 0, fmt.Errorf("%s: no classname or time", at)
		case len(c.Failure)+len(c.Error)+len(c.Skipped) > 1:
			return 0, 0, 0, 0, fmt.Errorf("%s: more than one outcome", at)
		}
		for _, f := range append(append(c.Failure, c.Error...), c.Skipped...) {
			if err := f.check(at); err != nil {
				return 0, 0, 0, 0, err
			}
		}
		for _, f := range c.Failure {
			if f.Message == nil || f.Type == nil {
				return 0, 0, 0, 0, fmt.Errorf("%s: a failure without message or type", at)
			}
		}
		tests++
		failures += len(c.Failure)
		errs += len(c.Error)
		skipped += len(c.Skipped)
	}
	for _, sub := range s.Suites {
		n, f, e, sk, err := checkSuite(where+"/testsuite", sub)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		tests, failures, errs, skipped = tests+n, failures+f, errs+e, skipped+sk
	}
	for _, c := range []struct {
		attr *string
		name string
		want int
	}{{s.Tests, "tests", tests}, {s.Failures, "failures", failures}, {s.Errors, "errors", errs}, {s.Skipped, "skipped", skipped}} {
		got := 0
		if c.attr != nil {
			var err error
			if got, err = strconv.Atoi(*c.attr); err != nil {
				return 0, 0, 0, 0, fmt.Errorf("%s@%s %q is not a count", where, c.name, *c.attr)
			}
		}
		if got != c.want {
			return 0, 0, 0, 0, fmt.Errorf("%s@%s is %d, but it holds %d", where, c.name, got, c.want)
		}
	}
	return tests, failures, errs, skipped, nil
}

func TestWriteJUnit(t *testing.T) {
	base, new := singleRuns()
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+10%", "over_admitted==0", "accepted_per_s>-5%"), 0)
	var buf bytes.Buffer
	if err := c.WriteJUnit(&buf, "rlbench compare", new.StartedAt); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "junit.golden"), buf.Bytes())
	r, err := checkJUnit(buf.Bytes())
	if err != nil {
		t.Fatalf("not valid JUnit: %v\n%s", err, buf.Bytes())
	}
	// A suite per run key, a case per threshold, and the run NEW lost.
	var got []string
	for _, s := range r.Suites {
		got = append(got, fmt.Sprintf("%s %s/%s/%s", *s.Name, *s.Tests, *s.Failures, deref(s.Skipped)))
	}
	want := []string{
		"fixed/steady/100per1s 3/1/", "token/steady/100per1s 3/1/",
		"gcra/steady/100per1s 4/1/3", "leaky/steady/100per1s 3/0/2",
	}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("suites %q, want %q", got, want)
	}
	if *r.Tests != "13" || *r.Failures != "3" {
		t.Errorf("testsuites tests %s failures %s, want 13 and 3", *r.Tests, *r.Failures)
	}
	if n := len(c.Failed); n != 3 {
		t.Errorf("Failed has %d lines, the JUnit report 3 failures", n)
	}
	p99 := r.Suites[0].Testcases[0]
	if *p99.Name != "response_p99_us<+10%" || *p99.Classname != "fixed/steady/100per1s" || len(p99.Failure) != 1 {
		t.Fatalf("first case %+v", p99)
	}
	for _, line := range []string{"figure: response_p99_us", "bound:  < BASE +10 %", "base:   512.0 µs", "new:    601.3 µs"} {
		if !strings.Contains(p99.Failure[0].Text, line) {
			t.Errorf("failure body %q lacks %q", p99.Failure[0].Text, line)
		}
	}
	if m := *p99.Failure[0].Message; m != "response_p99_us<+10%: 512.0 → 601.3 µs (+17.4 %)" {
		t.Errorf("failure message %q", m)
	}
	skip := r.Suites[3].Testcases[0]
	if len(skip.Skipped) != 1 || !strings.Contains(*skip.Skipped[0].Message, "no BASE run") {
		t.Errorf("relative threshold on a run only in NEW: %+v, want skipped", skip)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestWriteJUnitEdges: no thresholds is a report with no tests; no runs
// at all is one failed case; both valid.
func TestWriteJUnitEdges(t *testing.T) {
	base, new := singleRuns()
	for _, tt := range []struct {
		name            string
		c               Comparison
		tests, failures string
	}{
		{"no thresholds", Compare(base, new, nil, 0), "", ""},
		{"no runs", Compare(&File{}, &File{}, mustThresholds(t, "errors==0"), 0), "1", "1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.c.WriteJUnit(&buf, "rlbench compare", time.Time{}); err != nil {
				t.Fatal(err)
			}
			r, err := checkJUnit(buf.Bytes())
			if err != nil {
				t.Fatalf("not valid JUnit: %v\n%s", err, buf.Bytes())
			}
			if deref(r.Tests) != tt.tests || deref(r.Failures) != tt.failures {
				t.Errorf("tests %q failures %q, want %q and %q\n%s", deref(r.Tests), deref(r.Failures), tt.tests, tt.failures, buf.Bytes())
			}
		})
	}
}

// TestCheckJUnitCatches: the schema check fails what the schema refuses
// and counts that disagree, so that a pass above means something.
func TestCheckJUnitCatches(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"no tests", `<testsuites><testsuite name="a"></testsuite></testsuites>`, "no tests attribute"},
		{"unknown attribute", `<testsuites><testsuite tests="0" colour="red"></testsuite></testsuites>`, "attribute colour"},
		{"unknown element", `<testsuites><testsuite tests="1"><testcase name="x" classname="a" time="0"><flaky/></testcase></testsuite></testsuites>`, "element <flaky>"},
		{"unnamed case", `<testsuites><testsuite tests="1"><testcase classname="a" time="0"/></testsuite></testsuites>`, "no name"},
		{"wrong count", `<testsuites><testsuite tests="2"><testcase name="x" classname="a" time="0"/></testsuite></testsuites>`, "@tests is 2, but it holds 1"},
		{"uncounted failure", `<testsuites tests="1"><testsuite tests="1"><testcase name="x" classname="a" time="0"><failure message="m" type="t"/></testcase></testsuite></testsuites>`, "@failures is 0, but it holds 1"},
		{"wrong total", `<testsuites tests="3"><testsuite tests="1"><testcase name="x" classname="a" time="0"/></testsuite></testsuites>`, "testsuites@tests is 3"},
		{"untyped failure", `<testsuites tests="1" failures="1"><testsuite tests="1" failures="1"><testcase name="x" classname="a" time="0"><failure message="m"/></testcase></testsuite></testsuites>`, "without message or type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkJUnit([]byte(tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("checkJUnit = %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

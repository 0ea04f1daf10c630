package report

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// compareRun is a steady run of algo at 100/s whose figures derive from
// its p99 (µs): the rest only needs to be plausible and distinct.
func compareRun(algo string, repeat int, p99 float64, accepted, over int64) Run {
	return Run{
		Algorithm: algo, Workload: "steady", Limit: Limit{Requests: 100, WindowUS: 1_000_000},
		Counts: Counts{Sent: 1000, Accepted: accepted, Rejected: 1000 - accepted},
		Rates:  Rates{OfferedPerS: 200, AchievedPerS: 199.5, AcceptedPerS: float64(accepted) / 5},
		Latency: Latency{ResponseUS: Percentiles{
			Mean: p99 / 4, P50: p99 / 5, P90: p99 / 2, P99: p99, P999: p99 * 2, Max: p99 * 3,
		}},
		Accuracy:  Accuracy{MaxAdmittedInWindow: 100 + over, Bound: 100, OverAdmitted: over},
		EndReason: EndCompleted,
		Repeat:    repeat,
	}
}

func compareFiles(baseRuns, newRuns []Run) (*File, *File) {
	base, new := fixture(), fixture()
	base.Runs, new.Runs = baseRuns, newRuns
	return base, new
}

func mustThresholds(t *testing.T, exprs ...string) []Threshold {
	t.Helper()
	out := make([]Threshold, len(exprs))
	for i, e := range exprs {
		th, err := ParseThreshold(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = th
	}
	return out
}

func changeOf(t *testing.T, r Row, metric string) Change {
	t.Helper()
	for _, c := range r.Changes {
		if c.Metric == metric {
			return c
		}
	}
	t.Fatalf("row %s has no %s", r.Key, metric)
	return Change{}
}

// singleRuns are one run per key a side: fixed's p99 regresses by 17 %,
// token over-admits in NEW, gcra is only in BASE and leaky only in NEW.
func singleRuns() (*File, *File) {
	return compareFiles(
		[]Run{compareRun("fixed", 0, 512, 500, 0), compareRun("token", 0, 300, 500, 0), compareRun("gcra", 0, 250, 500, 0)},
		[]Run{compareRun("fixed", 0, 601.3, 490, 0), compareRun("token", 0, 290, 500, 4), compareRun("leaky", 0, 260, 480, 0)},
	)
}

// TestCompareEmptyNewFails: a NEW file with no runs must not pass a gate.
func TestCompareEmptyNewFails(t *testing.T) {
	base, _ := singleRuns()
	if c := Compare(base, &File{}, mustThresholds(t, "over_admitted==0"), 0); len(c.Failed) != 3 {
		t.Errorf("failed %q, want one failure per run of base", c.Failed)
	}
	if c := Compare(&File{}, &File{}, mustThresholds(t, "errors==0"), 0); len(c.Failed) != 1 {
		t.Errorf("failed %q, want one failure for no runs at all", c.Failed)
	}
}

func TestCompareSingleRuns(t *testing.T) {
	base, new := singleRuns()
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+10%", "over_admitted==0", "accepted_per_s>-5%"), 0)
	keys := make([]string, len(c.Rows))
	for i, r := range c.Rows {
		keys[i] = r.Key + " " + r.Only
	}
	want := []string{
		"fixed/steady/100per1s ", "token/steady/100per1s ",
		"gcra/steady/100per1s only in base", "leaky/steady/100per1s only in new",
	}
	if strings.Join(keys, "|") != strings.Join(want, "|") {
		t.Errorf("rows %q, want %q", keys, want)
	}
	if c.Alpha != DefaultAlpha {
		t.Errorf("alpha %v, want the default %v", c.Alpha, DefaultAlpha)
	}
	p99 := changeOf(t, c.Rows[0], "response_p99_us")
	if p99.Base != 512 || p99.New != 601.3 || math.Abs(p99.Percent-17.44) > 0.01 || p99.Tested || p99.Significant {
		t.Errorf("fixed p99 %+v", p99)
	}
	if gone := changeOf(t, c.Rows[2], "response_p99_us"); gone.Base != 250 || !math.IsNaN(gone.New) || !math.IsNaN(gone.Percent) {
		t.Errorf("gcra p99, only in base: %+v", gone)
	}
	wantFailed := []string{
		"response_p99_us<+10% on fixed/steady/100per1s: 512.0 → 601.3 µs (+17.4 %)",
		"over_admitted==0 on token/steady/100per1s: 4",
		"gcra/steady/100per1s is only in base: NEW has no such run to check the thresholds on",
	}
	if strings.Join(c.Failed, "\n") != strings.Join(wantFailed, "\n") {
		t.Errorf("failed:\n%s\nwant:\n%s", strings.Join(c.Failed, "\n"), strings.Join(wantFailed, "\n"))
	}
	// One verdict per threshold and run key; a threshold that needs a side
	// without the run is skipped, and the run NEW lost fails on its own.
	wantVerdicts := []string{
		"fixed/steady/100per1s response_p99_us<+10% failed 512.0 µs 601.3 µs",
		"fixed/steady/100per1s over_admitted==0 passed 0 0",
		"fixed/steady/100per1s accepted_per_s>-5% passed 100.0/s 98.0/s",
		"token/steady/100per1s response_p99_us<+10% passed 300.0 µs 290.0 µs",
		"token/steady/100per1s over_admitted==0 failed 0 4",
		"token/steady/100per1s accepted_per_s>-5% passed 100.0/s 100.0/s",
		"gcra/steady/100per1s run present in NEW failed - -",
		"gcra/steady/100per1s response_p99_us<+10% skipped 250.0 µs -",
		"gcra/steady/100per1s over_admitted==0 skipped 0 -",
		"gcra/steady/100per1s accepted_per_s>-5% skipped 100.0/s -",
		"leaky/steady/100per1s response_p99_us<+10% skipped - 260.0 µs",
		"leaky/steady/100per1s over_admitted==0 passed - 0",
		"leaky/steady/100per1s accepted_per_s>-5% skipped - 96.0/s",
	}
	var verdicts []string
	for _, v := range c.Verdicts {
		b, n := v.Figures()
		verdicts = append(verdicts, strings.Join([]string{v.Key, v.Check, string(v.Status), b, n}, " "))
	}
	if strings.Join(verdicts, "\n") != strings.Join(wantVerdicts, "\n") {
		t.Errorf("verdicts:\n%s\nwant:\n%s", strings.Join(verdicts, "\n"), strings.Join(wantVerdicts, "\n"))
	}
	var buf bytes.Buffer
	if err := c.Render(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "compare_single.golden"), buf.Bytes())
}

func TestCompareSummary(t *testing.T) {
	base, new := compareFiles(
		[]Run{compareRun("fixed", 0, 512, 500, 0)},
		[]Run{compareRun("fixed", 0, 601.3, 500, 0)},
	)
	tests := []struct {
		thresholds []string
		want       string
	}{
		{nil, ""},
		{[]string{"errors==0"}, "1 threshold, passed"},
		{[]string{"errors==0", "p50>0"}, "2 thresholds, all passed"},
		{[]string{"response_p99_us<+10%", "over_admitted==0", "accepted_per_s>-5%"},
			"3 thresholds, 1 failed: response_p99_us<+10% on fixed/steady/100per1s: 512.0 → 601.3 µs (+17.4 %)"},
		{[]string{"response_p99_us<+10%", "response_p50_us<100", "errors==0"},
			"3 thresholds, 2 failed:\n  response_p99_us<+10% on fixed/steady/100per1s: 512.0 → 601.3 µs (+17.4 %)\n" +
				"  response_p50_us<100 on fixed/steady/100per1s: 120.3 µs"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.thresholds, " "), func(t *testing.T) {
			c := Compare(base, new, mustThresholds(t, tt.thresholds...), 0.05)
			if got := c.ThresholdSummary(); got != tt.want {
				t.Errorf("summary:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// repeatedRuns are 8 repetitions a side of three keys: fixed's p99 rises
// clearly, token's only by noise, and gcra has 3 a side, too few to test.
func repeatedRuns() (*File, *File) {
	var b, n []Run
	fixedBase := []float64{512, 515, 509, 530, 498, 520, 511, 505}
	fixedNew := []float64{601, 598, 610, 540, 525, 620, 590, 603}
	tokenBase := []float64{300, 340, 280, 310, 295, 330, 305, 290}
	tokenNew := []float64{345, 290, 350, 300, 340, 285, 355, 345}
	for i := range 8 {
		b = append(b, compareRun("fixed", i, fixedBase[i], 500, 0), compareRun("token", i, tokenBase[i], 500, 0))
		n = append(n, compareRun("fixed", i, fixedNew[i], 500, 0), compareRun("token", i, tokenNew[i], 500, 0))
	}
	for i := range 3 {
		b = append(b, compareRun("gcra", i, 250+float64(i), 500, 0))
		n = append(n, compareRun("gcra", i, 400+float64(i), 500, 0))
	}
	return compareFiles(b, n)
}

func TestCompareRepeated(t *testing.T) {
	base, new := repeatedRuns()
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+10%", "accepted==500"), 0.05)
	if len(c.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(c.Rows))
	}
	fixed, token, gcra := changeOf(t, c.Rows[0], "response_p99_us"), changeOf(t, c.Rows[1], "response_p99_us"), changeOf(t, c.Rows[2], "response_p99_us")
	if c.Rows[0].BaseN != 8 || c.Rows[0].NewN != 8 {
		t.Errorf("fixed has %d+%d samples, want 8+8", c.Rows[0].BaseN, c.Rows[0].NewN)
	}
	// Medians of 8: the mean of the 4th and 5th.
	if fixed.Base != 511.5 || fixed.New != 599.5 || !fixed.Tested || !fixed.Significant || fixed.P >= 0.01 {
		t.Errorf("fixed p99 %+v, want medians 511.5 → 599.5, significant", fixed)
	}
	// For 8 samples the 95 % interval runs from the 1st to the 7th.
	if fixed.BaseLo != 498 || fixed.BaseHi != 520 || fixed.NewLo != 525 || fixed.NewHi != 610 {
		t.Errorf("fixed p99 intervals [%v, %v] and [%v, %v]", fixed.BaseLo, fixed.BaseHi, fixed.NewLo, fixed.NewHi)
	}
	if !token.Tested || token.Significant || token.P < 0.05 || token.Percent <= 0 {
		t.Errorf("token p99 %+v, want a rise that is not significant", token)
	}
	if gcra.Tested || gcra.Base != 251 || gcra.New != 401 {
		t.Errorf("gcra p99 %+v, want untested medians 251 → 401", gcra)
	}
	// Accepted is the same in every run: equal samples are no difference.
	if acc := changeOf(t, c.Rows[0], "accepted"); !acc.Tested || acc.Significant || acc.P != 1 || acc.Percent != 0 {
		t.Errorf("fixed accepted %+v", acc)
	}

	// token's median p99 rose by more than 10 %, but within noise: not a
	// failure, and a note says so. gcra's rise is untested and fails.
	wantFailed := []string{
		"response_p99_us<+10% on fixed/steady/100per1s: 511.5 → 599.5 µs (+17.2 %) (medians of 8 and 8 runs), p<0.001",
		"response_p99_us<+10% on gcra/steady/100per1s: 251.0 → 401.0 µs (+59.8 %) (medians of 3 and 3 runs)",
	}
	if strings.Join(c.Failed, "\n") != strings.Join(wantFailed, "\n") {
		t.Errorf("failed:\n%s\nwant:\n%s", strings.Join(c.Failed, "\n"), strings.Join(wantFailed, "\n"))
	}
	noise := "response_p99_us<+10% on token/steady/100per1s: 302.5 → 342.5 µs (+13.2 %) (medians of 8 and 8 runs) is within noise (p=0.168, alpha 0.05): not a failure"
	if len(c.Notes) != 1 || c.Notes[0] != noise {
		t.Errorf("notes %q, want %q", c.Notes, noise)
	}
	var buf bytes.Buffer
	if err := c.Render(&buf); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "compare_repeated.golden"), buf.Bytes())
	out := buf.String()
	for _, want := range []string{"~", "n<6: not tested", "p<0.001 n=8+8", "± "} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered comparison lacks %q", want)
		}
	}
}

// TestCompareNoiseIsNotARegression: two samples of one distribution whose
// medians differ by more than a threshold allows fail nothing.
func TestCompareNoiseIsNotARegression(t *testing.T) {
	var b, n []Run
	baseP99 := []float64{300, 420, 280, 310, 395, 330}
	newP99 := []float64{410, 290, 345, 300, 425, 350}
	for i := range 6 {
		b = append(b, compareRun("token", i, baseP99[i], 500, 0))
		n = append(n, compareRun("token", i, newP99[i], 500, 0))
	}
	base, new := compareFiles(b, n)
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+5%"), 0.05)
	ch := changeOf(t, c.Rows[0], "response_p99_us")
	if ch.Percent <= 5 || ch.Significant {
		t.Fatalf("fixture: p99 %+v, want a rise above 5 %% that is not significant", ch)
	}
	if len(c.Failed) != 0 {
		t.Errorf("noise failed a threshold: %q", c.Failed)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "is within noise (p=") {
		t.Errorf("notes %q, want one saying the breach is within noise", c.Notes)
	}
}

func TestCompareNotes(t *testing.T) {
	base, new := singleRuns()
	new.Target = Target{Kind: "miniredis", Address: "127.0.0.1:40000"}
	new.Host.CPUs = 8
	new.Runs[0].EndReason = EndInterrupted
	new.Runs[1].Generator.Behind = true
	c := Compare(base, new, mustThresholds(t, "errors==0"), 0.05)
	want := []string{
		"base ran against redis 7.0.15, new against miniredis: latencies are not comparable",
		"base ran on linux/amd64 with 2 CPUs, new on linux/amd64 with 8 CPUs: latencies are not comparable",
		"partial: new fixed/steady/100per1s: interrupted; its figures cover only what ran",
		"warning: new token/steady/100per1s: the generator fell behind its schedule; response times include that lag",
	}
	if strings.Join(c.Notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(c.Notes, "\n"), strings.Join(want, "\n"))
	}
}

func TestCompareNilFiles(t *testing.T) {
	_, new := singleRuns()
	c := Compare(nil, new, mustThresholds(t, "response_p50_us<=1000"), 0.05)
	if len(c.Rows) != 3 || c.Rows[0].Only != OnlyInNew || len(c.Failed) != 0 {
		t.Errorf("Compare(nil, new): %+v", c)
	}
	c = Compare(nil, nil, nil, 0.05)
	var buf bytes.Buffer
	if err := c.Render(&buf); err != nil || len(c.Rows) != 0 || buf.String() != "no runs to compare\n" {
		t.Errorf("Compare(nil, nil): %+v, rendered %q, error %v", c, buf.String(), err)
	}
}

func TestRunKey(t *testing.T) {
	tests := []struct {
		run  Run
		want string
	}{
		{Run{Algorithm: "fixed", Workload: "steady", Limit: Limit{Requests: 100, WindowUS: 1_000_000}}, "fixed/steady/100per1s"},
		{Run{Algorithm: "token", Workload: "bursty", Limit: Limit{Requests: 20, WindowUS: 60_000_000, Burst: 30}}, "token/bursty/20per1m-burst30"},
		{Run{Algorithm: "token", Workload: "bursty", Limit: Limit{Requests: 20, WindowUS: 1_000_000, Burst: 20}}, "token/bursty/20per1s"},
		{Run{Algorithm: "gcra", Workload: "window-edge", Limit: Limit{Requests: 5, WindowUS: 1500}}, "gcra/window-edge/5per1500µs"},
		{Run{Algorithm: "baseline", Workload: "steady"}, "baseline/steady/nolimit"},
	}
	for _, tt := range tests {
		if got := RunKey(tt.run); got != tt.want {
			t.Errorf("RunKey(%+v) = %q, want %q", tt.run, got, tt.want)
		}
	}
}

// TestSummaryCountsEveryFailure: a run only in base is a failure that
// names no threshold; the summary used to say "0 failed" for it while the
// command's error counted it.
func TestSummaryCountsEveryFailure(t *testing.T) {
	c := Comparison{
		Thresholds: []Threshold{{Metric: "response_p99_us"}},
		Failed:     []string{"a is only in base: NEW has no such run", "b is only in base: NEW has no such run"},
	}
	if got := c.ThresholdSummary(); !strings.HasPrefix(got, "1 threshold, none failed; 2 failing checks:") {
		t.Errorf("summary %q, want it to count the 2 failures", got)
	}
}

// The summary counts thresholds that failed, not the lines of Failed: one
// threshold failing on two runs is one failed threshold and two failing
// checks.
func TestCompareSummaryCountsThresholds(t *testing.T) {
	base, new := compareFiles(
		[]Run{compareRun("fixed", 0, 512, 500, 0), compareRun("token", 0, 512, 500, 0)},
		[]Run{compareRun("fixed", 0, 512, 500, 3), compareRun("token", 0, 512, 500, 5)},
	)
	c := Compare(base, new, mustThresholds(t, "over_admitted==0", "errors==0"), 0.05)
	want := "2 thresholds, 1 failed, 2 failing checks:\n" +
		"  over_admitted==0 on fixed/steady/100per1s: 3\n" +
		"  over_admitted==0 on token/steady/100per1s: 5"
	if got := c.ThresholdSummary(); got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

// oracleRuns are six repetitions of fixed a side, judged by the sliding
// policy in NEW only, and of token, judged in both with false allows
// rising from 10 to 20.
func oracleRuns() (*File, *File) {
	var baseRuns, newRuns []Run
	for i := range MinSamples {
		fixed := compareRun("fixed", i, 500, 500, 0)
		baseRuns = append(baseRuns, fixed)
		fixed.Oracle = &Oracle{Policy: "sliding", Judged: 1000, FalseAllows: 7}
		newRuns = append(newRuns, fixed)
		token := compareRun("token", i, 300, 500, 0)
		token.Oracle = &Oracle{Policy: "sliding", Judged: 1000, FalseAllows: 10, FalseDenies: 1}
		baseRuns = append(baseRuns, token)
		token.Oracle = &Oracle{Policy: "sliding", Judged: 1000, FalseAllows: 20, FalseDenies: 1}
		newRuns = append(newRuns, token)
	}
	return compareFiles(baseRuns, newRuns)
}

// The oracle's figures are compared only where a run has them, and a
// threshold on them is checked only against runs that measured them: a
// side with none is never a sample of NaNs (on which the U test would
// never return) nor of zeros.
func TestCompareOracle(t *testing.T) {
	base, new := oracleRuns()
	c := Compare(base, new, mustThresholds(t, "false_allows<+10%", "false_denies==0"), 0.05)
	if len(c.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(c.Rows))
	}
	fixed, token := changeOf(t, c.Rows[0], "false_allows"), changeOf(t, c.Rows[1], "false_allows")
	if !math.IsNaN(fixed.Base) || fixed.New != 7 || fixed.Tested || !math.IsNaN(fixed.Percent) {
		t.Errorf("fixed false allows %+v, want none in BASE, 7 in NEW, untested", fixed)
	}
	if token.Base != 10 || token.New != 20 || !token.Tested || !token.Significant {
		t.Errorf("token false allows %+v, want 10 → 20, significant", token)
	}
	wantFailed := []string{
		"false_allows<+10% on token/steady/100per1s: 10 → 20 (+100.0 %) (medians of 6 and 6 runs), p=0.002",
		"false_denies==0 on token/steady/100per1s: 1 (median of 6 runs)",
	}
	if strings.Join(c.Failed, "\n") != strings.Join(wantFailed, "\n") {
		t.Errorf("failed:\n%s\nwant:\n%s", strings.Join(c.Failed, "\n"), strings.Join(wantFailed, "\n"))
	}
	var skipped []string
	for _, v := range c.Verdicts {
		if v.Status == VerdictSkipped {
			skipped = append(skipped, v.Check+" on "+v.Key+": "+v.Detail)
		}
	}
	want := "false_allows<+10% on fixed/steady/100per1s: 7 in NEW, but BASE's runs did not measure false_allows"
	if strings.Join(skipped, "\n") != want {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), want)
	}
	var out bytes.Buffer
	if err := c.Render(&out); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"\nfalse allows\n", "\nfalse denies\n"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("compare output has no %q table:\n%s", s, out.String())
		}
	}

	// NEW not judged: a gate on false allows fails, for want of a figure.
	c = Compare(new, base, mustThresholds(t, "false_allows==0"), 0.05)
	if got := c.Failed[0]; got != "false_allows==0 on fixed/steady/100per1s: not measured in NEW (n/a)" {
		t.Errorf("failed[0] = %q", got)
	}

	// Neither file judged: no oracle tables at all.
	plain, _ := singleRuns()
	out.Reset()
	if err := Compare(plain, plain, nil, 0.05).Render(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "false allows") {
		t.Errorf("compare without an oracle has an oracle table:\n%s", out.String())
	}
}

package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteSummary(t *testing.T) {
	base, new := singleRuns()
	new.Config.Workloads = []string{"steady"} // a bench: NEW's seed-style table closes the summary
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+10%", "over_admitted==0"), 0)
	var buf bytes.Buffer
	if err := c.WriteSummary(&buf, "rlbench compare base.json new.json", new); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "summary.golden"), buf.Bytes())
	out := buf.String()
	for _, want := range []string{
		"## ❌ rlbench compare base.json new.json: 3 of 9 checks failed, 3 skipped",
		"| ❌ failed | `response_p99_us<+10%` | fixed/steady/100per1s | < BASE +10 % | 512.0 µs | 601.3 µs |",
		"Not tested: fewer than 6 runs a side",
		"Rate Limiter Performance",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Failed checks come first, whatever their order in Verdicts.
	if f, p := strings.Index(out, "❌ failed"), strings.Index(out, "✅ passed"); f < 0 || p < f {
		t.Errorf("failed checks are not listed before passed ones:\n%s", out)
	}
}

// TestWriteSummarySignificance: a significant change is bold with its p,
// noise is marked ~.
func TestWriteSummarySignificance(t *testing.T) {
	base, new := repeatedRuns()
	c := Compare(base, new, mustThresholds(t, "response_p99_us<+10%"), 0.05)
	var buf bytes.Buffer
	if err := c.WriteSummary(&buf, "rlbench compare", new); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"511.5 → 599.5 (**+17.2 %** p<0.001)", "302.5 → 342.5 (+13.2 % ~)", "251.0 → 401.0 (+59.8 %)", "**bold** is significant (p < 0.05)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteSummaryNoBase: a bench checked on its own has no changes
// section, and passes.
func TestWriteSummaryNoBase(t *testing.T) {
	_, new := singleRuns()
	c := Compare(nil, new, mustThresholds(t, "errors==0"), 0)
	var buf bytes.Buffer
	if err := c.WriteSummary(&buf, "rlbench bench", new); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "## ✅ rlbench bench: 3 checks passed\n") || strings.Contains(out, "Changes") {
		t.Errorf("summary:\n%s", out)
	}
}

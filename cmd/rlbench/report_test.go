package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// writeResults runs rlbench with args plus -o into dir/name and returns the path.
func writeResults(t *testing.T, dir, name string, env map[string]string, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	io, _, errOut := newTestIO(env, append(args, "-o", path)...)
	if code := Main(io); code != 0 {
		t.Fatalf("rlbench %v: exit %d, stderr %q", args, code, errOut)
	}
	return path
}

func TestMainReportAndCompare(t *testing.T) {
	dir := t.TempDir()
	run := []string{"--seed", "3", "run", "--algo", "fixed,sliding", "--requests", "300", "--concurrency", "4", "--window", "1h"}
	base := writeResults(t, dir, "base.json", nil, run...)
	next := writeResults(t, dir, "new.json", nil, run...)

	t.Run("report formats", func(t *testing.T) {
		for format, want := range map[string]string{
			"table":    "│ sliding   │ closed   │",
			"markdown": "| sliding   | closed   |",
			"csv":      "algorithm,workload,",
			"html":     "<svg",
			"benchfmt": "BenchmarkDecision/algo=sliding/workload=closed/limit=100per1h 300 ",
		} {
			io, out, errOut := newTestIO(nil, "--format", format, "report", base)
			if code := Main(io); code != 0 {
				t.Fatalf("%s: exit %d, stderr %q", format, code, errOut)
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("report --format %s lacks %q:\n%.600s", format, want, out)
			}
		}
	})
	t.Run("html of two files to a file", func(t *testing.T) {
		path := filepath.Join(dir, "r.html")
		io, _, errOut := newTestIO(nil, "--format", "html", "report", base, next, "-o", path)
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if page, err := os.ReadFile(path); err != nil || strings.Count(string(page), "<svg") < 2 {
			t.Errorf("html report: %v, %d charts", err, strings.Count(string(page), "<svg"))
		}
	})
	t.Run("compare passes", func(t *testing.T) {
		io, out, errOut := newTestIO(nil, "compare", base, next, "--threshold", "over_admitted==0", "--threshold", "accepted<=+0%")
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
		}
		if !strings.Contains(out.String(), "fixed/closed/100per1h") {
			t.Errorf("no row for fixed:\n%s", out)
		}
	})
	t.Run("compare fails a threshold", func(t *testing.T) {
		io, out, errOut := newTestIO(nil, "compare", base, next, "--threshold", "accepted>+50%")
		if code := Main(io); code != 1 {
			t.Errorf("exit %d, want 1; stdout\n%s", code, out)
		}
		if msg := errOut.String(); msg != "rlbench: thresholds failed: 2 failures of 1 threshold (see above)\n" {
			t.Errorf("stderr %q", msg)
		}
	})

	bad := filepath.Join(dir, "v2.json")
	if err := os.WriteFile(bad, []byte(`{"schema_version": 2, "runs": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"bad threshold", []string{"compare", base, next, "--threshold", "p98<+10%"}, `unknown metric "p98"`},
		{"bad alpha", []string{"compare", base, next, "--alpha", "2"}, "invalid --alpha 2"},
		{"unknown schema", []string{"report", bad}, "has schema_version 2; this rlbench reads version 1"},
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"json of two", []string{"--format", "json", "report", base, next}, "--format json renders one file, not 2"},
		{"merge without -o", []string{"report", "merge", base, next}, "needs -o FILE"},
		{"report without a file", []string{"report"}, "requires at least 1 arg(s), only received 0: usage: rlbench report FILE..."},
		{"merge of one file", []string{"report", "merge", base, "-o", "x.json"}, "usage: rlbench report merge FILE FILE..."},
		{"compare with one file", []string{"compare", base}, "accepts 2 arg(s), received 1: usage: rlbench compare BASE.json NEW.json"},
		{"merge of different runs", []string{"report", "merge", base, writeResults(t, dir, "other.json", nil, "run", "--algo", "gcra", "--requests", "10"), "-o", filepath.Join(dir, "m.json")}, "do not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			io, _, errOut := newTestIO(nil, tt.args...)
			if code := Main(io); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if msg := errOut.String(); !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", msg, tt.want)
			}
		})
	}
}

// TestMergeEqualsCombinedRun is two load generators sharing a run id (so
// the same keys) on a real Redis, merged, against one generator sending
// their combined load: the counts are the same.
func TestMergeEqualsCombinedRun(t *testing.T) {
	srv := redistest.Start(t)
	env := map[string]string{"REDIS_URL": srv.URL}
	dir := t.TempDir()
	common := []string{"run", "--algo", "fixed,token", "--limit", "100", "--window", "10m"}

	var wg sync.WaitGroup
	parts := make([]string, 2)
	for i := range parts {
		wg.Go(func() {
			args := append(append([]string{}, common...), "--run-id", "shared", "--requests", "300", "--concurrency", "8")
			parts[i] = writeResults(t, dir, "part"+string(rune('a'+i))+".json", env, args...)
		})
	}
	wg.Wait()
	merged := filepath.Join(dir, "merged.json")
	io, _, errOut := newTestIO(nil, "report", "merge", parts[0], parts[1], "-o", merged)
	if code := Main(io); code != 0 {
		t.Fatalf("merge: exit %d, stderr %q", code, errOut)
	}
	// The same seed, so that the configurations match apart from the load.
	m, err := report.ReadFile(merged)
	if err != nil {
		t.Fatal(err)
	}
	one, err := report.ReadFile(writeResults(t, dir, "one.json", env,
		append(append([]string{}, common...), "--requests", "600", "--concurrency", "16")...))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range m.Runs {
		o := one.Runs[i]
		if r.Counts.Sent != o.Counts.Sent || r.Counts.Accepted != o.Counts.Accepted || r.Counts.Rejected != o.Counts.Rejected || r.Generators != 2 {
			t.Errorf("%s: merged sent %d accepted %d rejected %d from %d generators; one run sent %d accepted %d rejected %d",
				r.Algorithm, r.Counts.Sent, r.Counts.Accepted, r.Counts.Rejected, r.Generators, o.Counts.Sent, o.Counts.Accepted, o.Counts.Rejected)
		}
	}
}

// TestCompareHelpListsThresholdMetrics: compare --help lists exactly the
// metrics ParseThreshold reads, each name with its aliases, in the
// registry's order.
func TestCompareHelpListsThresholdMetrics(t *testing.T) {
	io, out, errOut := newTestIO(nil, "compare", "--help")
	if code := Main(io); code != 0 {
		t.Fatalf("compare --help: exit %d, stderr %q", code, errOut)
	}
	const intro = "A short name\nin brackets is read as the name before it:\n"
	help := out.String()
	start := strings.Index(help, intro)
	end := strings.Index(help, "\n\nUsage:")
	if start < 0 || end < start {
		t.Fatalf("compare --help has no metric list after %q:\n%s", intro, help)
	}
	var got []string
	for _, item := range strings.Split(strings.Join(strings.Fields(help[start+len(intro):end]), " "), ", ") {
		got = append(got, item)
		name, _, _ := strings.Cut(item, " (")
		if _, err := report.ParseThreshold(name + "==0"); err != nil {
			t.Errorf("the help lists %q: %v", item, err)
		}
	}
	var want []string
	for _, m := range report.MetricsIn(report.InThreshold) {
		item := m.Name
		if len(m.Aliases) > 0 {
			item += " (" + strings.Join(m.Aliases, ", ") + ")"
		}
		want = append(want, item)
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("compare --help lists\n%q\nwant\n%q", got, want)
	}
	for _, line := range strings.Split(help[start:end], "\n") {
		if n := len([]rune(line)); n > 80 {
			t.Errorf("help line of %d columns: %q", n, line)
		}
	}
}

// TestCIBenchThresholdsParse: the thresholds scripts/ci-bench.sh gates
// on are ones compare reads.
func TestCIBenchThresholdsParse(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "..", "scripts", "ci-bench.sh"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(script), "--threshold '")[1:]
	if len(parts) == 0 {
		t.Fatal("scripts/ci-bench.sh has no --threshold")
	}
	for _, p := range parts {
		expr, _, _ := strings.Cut(p, "'")
		if _, err := report.ParseThreshold(expr); err != nil {
			t.Errorf("scripts/ci-bench.sh: %v", err)
		}
	}
}

// TestReportReproducesReferences renders each committed reference's
// results.json with "rlbench report" and compares the output byte for
// byte with the report.md and report.html beside it, as results/README.md
// promises. After a deliberate change to a format, re-render them:
//
//	rlbench report --format markdown results/DIR/results.json -o results/DIR/report.md
//	rlbench report --format html results/DIR/results.json -o results/DIR/report.html
func TestReportReproducesReferences(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "results", "*", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found %d references under results/, want at least the matrix, the sweep and the CI baseline", len(dirs))
	}
	for _, results := range dirs {
		dir := filepath.Dir(results)
		for format, name := range map[string]string{"markdown": "report.md", "html": "report.html"} {
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				io, out, errOut := newTestIO(nil, "--format", format, "report", results)
				if code := Main(io); code != 0 {
					t.Fatalf("exit %d, stderr %q", code, errOut)
				}
				if got := out.Bytes(); !bytes.Equal(got, want) {
					t.Errorf("rlbench report --format %s %s differs from %s at byte %d of %d:\n%s",
						format, results, name, firstDifference(got, want), len(want), lineDiff(string(got), string(want)))
				}
			})
		}
	}
}

// firstDifference is the offset of the first byte where a and b differ.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %.300s\nwant: %.300s", i+1, gl, wl)
		}
	}
	return ""
}

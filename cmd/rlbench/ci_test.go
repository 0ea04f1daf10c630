package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// junitCounts are the totals of a JUnit report (report's tests check it
// against the schema; here it is enough that the command wrote it).
type junitCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name    string `xml:"name,attr"`
		Skipped int    `xml:"skipped,attr"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitCounts {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j junitCounts
	if err := xml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return j
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMainCompareCIReports: a compare that fails writes its JUnit report
// and summary all the same; $GITHUB_STEP_SUMMARY is appended to when no
// --summary is given.
func TestMainCompareCIReports(t *testing.T) {
	dir := t.TempDir()
	run := []string{"--seed", "3", "run", "--requests", "120", "--concurrency", "4", "--window", "1h"}
	base := writeResults(t, dir, "base.json", nil, append(run, "--algo", "sliding,token")...)
	next := writeResults(t, dir, "new.json", nil, append(run, "--algo", "sliding,fixed")...)
	junit, summary := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md")
	// sliding admits 100 of 120 on both sides: over_admitted==0 passes,
	// accepted>+50% fails; token is gone from NEW, a failure; fixed is new,
	// so the relative threshold is skipped there.
	io, _, errOut := newTestIO(nil, "compare", base, next, "--threshold", "over_admitted==0", "--threshold", "accepted>+50%",
		"--junit", junit, "--summary", summary)
	if code := Main(io); code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
	}
	j := readJUnit(t, junit)
	// sliding 2, token 1 + 2 skipped, fixed 2 (one skipped).
	if j.Tests != 7 || j.Failures != 2 || len(j.Suites) != 3 || j.Suites[1].Name != "token/closed/100per1h" || j.Suites[1].Skipped != 2 {
		t.Errorf("junit %+v", j)
	}
	s := readText(t, summary)
	if want := "## ❌ rlbench compare " + base + " " + next + ": 2 of 7 checks failed, 3 skipped\n"; !strings.HasPrefix(s, want) {
		t.Errorf("summary starts\n%.200s\nwant\n%s", s, want)
	}

	step := filepath.Join(dir, "step.md")
	if err := os.WriteFile(step, []byte("earlier step\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	io, _, errOut = newTestIO(map[string]string{"GITHUB_STEP_SUMMARY": step}, "compare", base, base, "--threshold", "errors==0")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if got := readText(t, step); !strings.HasPrefix(got, "earlier step\n## ✅ rlbench compare "+base+" "+base+": 2 checks passed\n") {
		t.Errorf("$GITHUB_STEP_SUMMARY:\n%s", got)
	}
}

// TestMainBenchThresholds: bench holds its own runs to absolute bounds;
// results are printed and written whether or not one fails.
func TestMainBenchThresholds(t *testing.T) {
	args := []string{"bench", "--algo", "fixed", "--workload", "steady", "--requests", "50", "--duration", "0", "--rate", "500",
		"--limit", "20", "--window", "1s"}
	t.Run("passes", func(t *testing.T) {
		dir := t.TempDir()
		junit, step := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "step.md")
		env := map[string]string{"GITHUB_STEP_SUMMARY": step}
		io, out, errOut := newTestIO(env, append(args, "--threshold", "over_admitted==0", "--threshold", "sent==50", "--junit", junit)...)
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if errOut.String() != "2 thresholds, all passed\n" || !strings.Contains(out.String(), "Rate Limiter Performance") {
			t.Errorf("stdout %q\nstderr %q", out, errOut)
		}
		if j := readJUnit(t, junit); j.Tests != 2 || j.Failures != 0 {
			t.Errorf("junit %+v", j)
		}
		if got := readText(t, step); !strings.HasPrefix(got, "## ✅ rlbench bench: 2 checks passed\n") {
			t.Errorf("$GITHUB_STEP_SUMMARY:\n%s", got)
		}
		// Without thresholds bench has no verdict for the job's summary.
		if err := os.Remove(step); err != nil {
			t.Fatal(err)
		}
		io, _, errOut = newTestIO(env, args...)
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if _, err := os.Stat(step); err == nil {
			t.Errorf("bench without thresholds wrote $GITHUB_STEP_SUMMARY")
		}
	})
	t.Run("fails", func(t *testing.T) {
		dir := t.TempDir()
		summary := filepath.Join(dir, "summary.md")
		io, out, errOut := newTestIO(nil, append(args, "--threshold", "sent<50", "--summary", summary, "-o", filepath.Join(dir, "out"))...)
		if code := Main(io); code != 1 {
			t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
		}
		want := "1 threshold, 1 failed: sent<50 on fixed/steady/20per1s: 50\n" +
			"rlbench: thresholds failed: 1 failure of 1 threshold (see above)\n"
		if errOut.String() != want {
			t.Errorf("stderr %q\nwant %q", errOut, want)
		}
		if !strings.Contains(out.String(), "Rate Limiter Performance") {
			t.Errorf("stdout lacks the results:\n%s", out)
		}
		if _, err := os.Stat(filepath.Join(dir, "out", "results.json")); err != nil {
			t.Errorf("results not written: %v", err)
		}
		if s := readText(t, summary); !strings.HasPrefix(s, "## ❌ rlbench bench: 1 of 1 check failed\n") {
			t.Errorf("summary:\n%s", s)
		}
	})
}

// TestCIScript runs examples/ci/ci.sh, the steps of the GitHub Actions
// workflow beside it less the upload, end to end: a bench on a
// redis-server that --redis local starts, compared with the committed
// baseline. The baseline gets one run more, which NEW cannot have, so that
// the gate fails once: the script must then exit 1 with every report
// written, and every real run must have passed.
func TestCIScript(t *testing.T) {
	redistest.RequireBinary(t)
	bin := buildRlbench(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("no bash: %v", err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	committed, err := report.ReadFile(filepath.Join(root, "results", "ci-baseline", "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	gone := committed.Runs[0]
	gone.Workload = "bursty"
	committed.Runs = append(committed.Runs, gone)
	baseline := filepath.Join(dir, "baseline.json")
	if err := report.WriteFile(baseline, committed); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "out")
	cmd := exec.Command(bash, filepath.Join(root, "examples", "ci", "ci.sh"))
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_STEP_SUMMARY=") { // when the tests themselves run on GitHub Actions
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "RLBENCH="+bin, "BASELINE="+baseline, "OUT="+out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("ci.sh: %v, want exit 1\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if want := "rlbench: thresholds failed: 1 failure of 2 thresholds (see above)\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr ends\n%s\nwant\n%s", stderr.String(), want)
	}

	bench, err := report.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bench.Target.Kind != "redis" || len(bench.Runs) != len(committed.Runs)-1 {
		t.Errorf("bench on %q with %d runs, want %d on redis", bench.Target.Kind, len(bench.Runs), len(committed.Runs)-1)
	}
	for _, name := range []string{"report.md", "report.html"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s not written: %v", name, err)
		}
	}
	// Two thresholds on every run of NEW, all passed; the extra run of the
	// baseline fails its one check and skips both thresholds.
	j := readJUnit(t, filepath.Join(out, "junit.xml"))
	if want := 2*len(bench.Runs) + 3; j.Tests != want || j.Failures != 1 {
		t.Errorf("junit: %d tests, %d failures; want %d and 1", j.Tests, j.Failures, want)
	}
	// What the workflow uploads and publishes is what the script wrote.
	workflow := readText(t, filepath.Join(root, "examples", "ci", "rlbench.yml"))
	uploads := regexp.MustCompile(`rlbench-ci/(\S+)`).FindAllStringSubmatch(workflow, -1)
	if len(uploads) < 3 || !strings.Contains(workflow, "run: examples/ci/ci.sh") {
		t.Errorf("the workflow runs no examples/ci/ci.sh or uploads %q", uploads)
	}
	for _, u := range uploads {
		if _, err := os.Stat(filepath.Join(out, u[1])); err != nil {
			t.Errorf("the workflow uploads %s, which ci.sh did not write: %v", u[0], err)
		}
	}
	summary := readText(t, filepath.Join(out, "summary.md"))
	for _, want := range []string{
		fmt.Sprintf("## ❌ rlbench compare %s %s: 1 of %d checks failed, 2 skipped\n", baseline, filepath.Join(out, "results.json"), 2*len(bench.Runs)+3),
		"| ❌ failed | `run present in NEW` | fixed/bursty/20per1s |",
		"Rate Limiter Performance (Benchmark @ ",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// tableRows reads a rendered table back into cells, keyed by the first.
func tableRows(t *testing.T, out string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "│") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "│"), "│")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[0]] = cells
	}
	if _, ok := rows["algorithm"]; !ok {
		t.Fatalf("no table header in output:\n%s", out)
	}
	return rows
}

// cell reads a numeric column of a row: 2 sent, 3 accepted, 4 rejected, 5 errors, 6 missed.
func cell(t *testing.T, row []string, col int) int64 {
	t.Helper()
	n, err := strconv.ParseInt(row[col], 10, 64)
	if err != nil {
		t.Fatalf("row %v column %d: %v", row, col, err)
	}
	return n
}

func TestMainRunEmbedded(t *testing.T) {
	// A one-hour window: buckets refill about one token in 36 s, nothing
	// within a run.
	io, out, errOut := newTestIO(nil, "run", "--algo", "all", "--requests", "200", "--concurrency", "4", "--window", "1h", "--timeout", "30s")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr %q, want nothing", errOut)
	}
	header, _, _ := strings.Cut(out.String(), "\n")
	for _, want := range []string{"target miniredis v", " at 127.0.0.1:", "workload closed, 4 workers", "limit 100/1h", "clock server", "completed"} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q does not contain %q", header, want)
		}
	}
	rows := tableRows(t, out.String())
	for _, name := range algorithms.Names() {
		row, ok := rows[name]
		if !ok {
			t.Errorf("no row for %s in\n%s", name, out)
			continue
		}
		// 16 columns, and 5 of Redis cost that miniredis cannot measure.
		if len(row) != 21 {
			t.Fatalf("row %v has %d columns, want 21", row, len(row))
		}
		for _, c := range row[16:] {
			if c != "n/a" {
				t.Errorf("%s: Redis cost %q on miniredis, want n/a", name, c)
			}
		}
		most := int64(100)
		if name == "fixed" {
			most = 200 // a run that straddles an hour boundary sees two windows
		}
		sent, accepted, rejected, errs := cell(t, row, 2), cell(t, row, 3), cell(t, row, 4), cell(t, row, 6)
		if sent != 200 || errs != 0 || accepted+rejected != 200 || accepted < 100 || accepted > most {
			t.Errorf("%s: sent %d accepted %d rejected %d errors %d; want 200 sent, 100 accepted, no errors", name, sent, accepted, rejected, errs)
		}
		for _, latency := range row[8:13] {
			if _, err := strconv.ParseFloat(latency, 64); err != nil {
				t.Errorf("%s: latency %q is not a number of µs", name, latency)
			}
		}
	}
	if len(rows) != len(algorithms.Names())+1 {
		t.Errorf("%d rows, want one per algorithm and the header", len(rows))
	}
}

func TestMainRunQuietClientClock(t *testing.T) {
	io, out, errOut := newTestIO(nil, "run", "-q", "--algo", "token,seed-leaky", "--burst", "5", "--limit", "1", "--window", "1h",
		"--requests", "20", "--concurrency", "1", "--client-clock", "--key", "k")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if errOut.Len() > 0 {
		t.Errorf("--quiet printed %q on stderr", errOut)
	}
	rows := tableRows(t, out.String())
	if got := cell(t, rows["token"], 3); got != 5 {
		t.Errorf("token accepted %d with --burst 5, want 5", got)
	}
}

func TestMainRunErrorsExit1(t *testing.T) {
	// A 1 ns bound leaves no time for any round trip.
	io, out, errOut := newTestIO(nil, "run", "--algo", "fixed", "--requests", "20", "--concurrency", "2", "--timeout", "1ns")
	if code := Main(io); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	rows := tableRows(t, out.String())
	if got := cell(t, rows["fixed"], 5); got == 0 {
		t.Errorf("no unknown outcomes in the table:\n%s", out)
	}
	msg := errOut.String()
	if !strings.HasPrefix(msg, "rlbench: requests failed: fixed ") || !strings.Contains(msg, "(timeout ") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q, want one line counting fixed's timeouts", msg)
	}
}

// TestMainInterrupted stands in for Ctrl-C: what was done is printed and
// the exit status is 130.
func TestMainInterrupted(t *testing.T) {
	io, out, errOut := newTestIO(nil, "run", "--algo", "fixed,sliding", "--requests", "1000000000", "--concurrency", "4")
	io.Interrupt = func(parent context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(parent)
		time.AfterFunc(300*time.Millisecond, cancel)
		return ctx, cancel
	}
	if code := Main(io); code != 130 {
		t.Errorf("exit %d, want 130; stderr %q", code, errOut)
	}
	rows := tableRows(t, out.String())
	if _, ok := rows["sliding"]; ok {
		t.Errorf("sliding ran after the interrupt:\n%s", out)
	}
	sent, accepted, rejected, errs := cell(t, rows["fixed"], 2), cell(t, rows["fixed"], 3), cell(t, rows["fixed"], 4), cell(t, rows["fixed"], 5)
	if sent == 0 || sent != accepted+rejected+errs || errs != 0 {
		t.Errorf("fixed: sent %d accepted %d rejected %d errors %d; want a partial run with no errors", sent, accepted, rejected, errs)
	}
	msg := errOut.String()
	if !strings.HasPrefix(msg, "rlbench: interrupted; the results above are partial (fixed sent ") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q, want one line saying the run was interrupted", msg)
	}
}

// TestMainRunRealRedis is the seed's hot-key storm on a real redis-server:
// the atomic algorithms admit exactly the limit.
func TestMainRunRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	io, out, errOut := newTestIO(map[string]string{"REDIS_URL": srv.URL}, "run",
		"--algo", "all,seed-fixed,seed-sliding,seed-leaky", "--requests", "640", "--concurrency", "64", "--limit", "100", "--window", "600s")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if header, _, _ := strings.Cut(out.String(), "\n"); !strings.HasPrefix(header, "target redis "+srv.Version+" at "+srv.Addr+" · workload closed, 64 workers · limit 100/10m") {
		t.Errorf("header %q does not name the server, its version and the limit", header)
	}
	rows := tableRows(t, out.String())
	for _, name := range append(algorithms.Names(), "seed-fixed") {
		if got := cell(t, rows[name], 3); got != 100 {
			t.Errorf("%s admitted %d of 640 at limit 100, want exactly 100", name, got)
		}
	}
	for _, name := range []string{"seed-sliding", "seed-leaky"} {
		if got := cell(t, rows[name], 3); got < 100 {
			t.Errorf("%s admitted %d, want at least the limit (its race only admits more)", name, got)
		}
	}
	t.Logf("\n%s", out)
}

func TestMainVersionAndHelp(t *testing.T) {
	io, out, _ := newTestIO(nil, "version")
	if code := Main(io); code != 0 || !strings.HasPrefix(out.String(), "rlbench ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version: exit %d, output %q", code, out)
	}

	io, out, _ = newTestIO(map[string]string{"REDIS_URL": "redis://:" + secret + "@cache:6379"}, "run", "--help")
	if code := Main(io); code != 0 || !strings.Contains(out.String(), "--concurrency int") {
		t.Errorf("run --help: exit %d, output %q", code, out)
	}
	if strings.Contains(out.String(), secret) {
		t.Errorf("help shows the password from REDIS_URL:\n%s", out)
	}

	io, out, _ = newTestIO(nil)
	if code := Main(io); code != 0 || !strings.Contains(out.String(), "Available Commands:") {
		t.Errorf("no arguments: exit %d, output %q", code, out)
	}
	for _, want := range []string{"\n  completion ", "\n  run ", "\n  bench ", "\n  report ", "\n  compare ", "\n  version "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not list %q:\n%s", strings.TrimSpace(want), out)
		}
	}
	for _, format := range formats.Names() {
		if !strings.Contains(out.String(), format) {
			t.Errorf("help does not name the output format %q:\n%s", format, out)
		}
	}

	io, out, _ = newTestIO(nil, "completion", "bash")
	if code := Main(io); code != 0 || !strings.Contains(out.String(), "bash completion") {
		t.Errorf("completion bash: exit %d, output starts %.80q", code, out)
	}
}

// TestMainJSONAndResultsFile checks that --format json prints the same
// results file that -o writes, and that it describes the run.
func TestMainJSONAndResultsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	io, out, errOut := newTestIO(nil, "--format", "json", "--seed", "42", "run", "--algo", "fixed,baseline",
		"--workload", "steady", "--rate", "400", "--duration", "250ms", "--window", "1h", "--keys", "3", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	printed, err := readPrinted(t, out)
	if err != nil {
		t.Fatalf("stdout is not a results file: %v", err)
	}
	written, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(printed, written) {
		t.Errorf("printed and written results differ")
	}
	if written.Config.Seed != 42 || written.Config.Workload != "steady" || written.Config.Rate != 400 || written.Target.Kind != "miniredis" {
		t.Errorf("config %+v target %+v: not the run asked for", written.Config, written.Target)
	}
	if len(written.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(written.Runs))
	}
	fixed := written.Runs[0]
	// 400/s for 250 ms is 100 slots; three keys share them.
	if fixed.Counts.Sent != 100 || fixed.Accuracy.Keys != 3 || fixed.Accuracy.OverAdmitted != 0 {
		t.Errorf("fixed: sent %d over %d keys, over-admitted %d; want 100 over 3, 0", fixed.Counts.Sent, fixed.Accuracy.Keys, fixed.Accuracy.OverAdmitted)
	}
	if fixed.EndedBy != "duration" {
		t.Errorf("fixed: ended_by %q, want duration: --duration alone sets no request cap", fixed.EndedBy)
	}
	if fixed.Latency.Histogram == "" || len(fixed.Timeseries.Points) == 0 {
		t.Errorf("fixed: histogram %q, %d time-series points; want both", fixed.Latency.Histogram, len(fixed.Timeseries.Points))
	}
	if b := written.Runs[1]; b.Algorithm != "baseline" || b.Accuracy.Bound != -1 || b.Counts.Accepted != b.Counts.Sent {
		t.Errorf("baseline run %+v: want everything accepted and no bound", b)
	}
}

// readPrinted reads the results file a command printed (--format json)
// the way every command reads one, checks included.
func readPrinted(t *testing.T, out *bytes.Buffer) (*report.File, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "printed.json")
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return report.ReadFile(path)
}

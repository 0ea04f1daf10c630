package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// readFile reads a results file the commands wrote, failing the test when
// the reader refuses it.
func readFile(t *testing.T, path string) *report.File {
	t.Helper()
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("a file rlbench wrote does not read back: %v", err)
	}
	return f
}

// formatReal is a float as the reader's messages write it.
func formatReal(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestMainDamagedFiles gives every command that reads results files
// (report in two formats, compare on either side, merge) a file with one
// field broken: each refuses it alike, with exit code 2 and one line
// naming the file and the field, and prints and writes nothing.
func TestMainDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	base := writeResults(t, dir, "base.json", nil, "--seed", "5", "run", "--algo", "fixed,token",
		"--requests", "60", "--concurrency", "4", "--keys", "2", "--limit", "10", "--window", "1h")
	raw, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		// edit breaks one field of f and returns the error that names it,
		// with %s for the file.
		edit func(f *report.File) string
		// text, when set, breaks the file's text instead.
		text func(s string) string
	}{
		{name: "negative count", edit: func(f *report.File) string {
			f.Runs[1].Counts.Accepted = -5
			return "%s: runs[1].counts.accepted: -5, want 0 or more"
		}},
		{name: "accepted over sent", edit: func(f *report.File) string {
			c := &f.Runs[0].Counts
			c.Accepted = c.Sent + 1
			return fmt.Sprintf("%%s: runs[0].counts.accepted: %d, want at most sent (%d)", c.Accepted, c.Sent)
		}},
		{name: "percentiles out of order", edit: func(f *report.File) string {
			p := &f.Runs[0].Latency.ResponseUS
			p.P999 = p.P99 / 2
			return fmt.Sprintf("%%s: runs[0].latency.response_us.p999: %s, want at least p99 (%s)", formatReal(p.P999), formatReal(p.P99))
		}},
		{name: "corrupt histogram", edit: func(f *report.File) string {
			h := &f.Runs[1].Latency.Histogram
			*h = (*h)[:len(*h)/2]
			_, err := hdrhistogram.Decode([]byte(*h))
			return "%s: runs[1].latency.histogram: does not decode (" + err.Error() + "), want an encoded HdrHistogram"
		}},
		{name: "over-admitted past the busiest span", edit: func(f *report.File) string {
			a := &f.Runs[0].Accuracy
			busiest := max(a.MaxAdmittedInWindow, a.MaxAdmittedInBurst, a.MaxAdmittedInAlignedWindow)
			a.OverAdmitted, a.OverAdmittedAtMost = busiest+1, busiest+1
			a.KeysOverBound, a.KeysMaybeOverBound = 1, 1
			return fmt.Sprintf("%%s: runs[0].accuracy.over_admitted: %d, want at most keys_over_bound × the most admitted in one span (1 × %d)", busiest+1, busiest)
		}},
		{name: "time series counting more than the run", edit: func(f *report.File) string {
			r := &f.Runs[0]
			r.Timeseries.Points[0].Accepted++
			return fmt.Sprintf("%%s: runs[0].timeseries.points: %d accepted in all, want at most counts.accepted (%d)", r.Counts.Accepted+1, r.Counts.Accepted)
		}},
		{name: "admissions not decoding", edit: func(f *report.File) string {
			f.Runs[1].Admissions.Keys[0].Instants = "!!!"
			return "%s: runs[1].admissions.keys[0].instants: does not decode (bad admission instants: illegal base64 data at input byte 0), want delta-varint base64"
		}},
		{name: "duplicate run", edit: func(f *report.File) string {
			f.Runs[1] = f.Runs[0]
			return `%s: runs[1]: "fixed/closed/10per1h" is runs[0] again, want each run once`
		}},
		{name: "no runs", edit: func(f *report.File) string {
			f.Runs = nil
			return "%s: runs: none in a completed file, want at least one run"
		}},
		{name: "ended before it started", edit: func(f *report.File) string {
			f.EndedAt = f.StartedAt.Add(-time.Second)
			return fmt.Sprintf("%%s: ended_at: %s, want started_at (%s) or later", f.EndedAt.Format(time.RFC3339Nano), f.StartedAt.Format(time.RFC3339Nano))
		}},
		{name: "unknown schema version", edit: func(f *report.File) string {
			f.SchemaVersion = 2
			return "results file %s has schema_version 2; this rlbench reads version 1"
		}},
		{name: "NaN rate", text: func(s string) string {
			i := strings.Index(s, `"achieved_per_s": `) + len(`"achieved_per_s": `)
			j := i + strings.IndexAny(s[i:], ",\n")
			return s[:i] + "NaN" + s[j:]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "results.json")
			var data []byte
			var want string
			if tt.edit != nil {
				f := readFile(t, base)
				want = tt.edit(f)
				if err := report.WriteFile(bad, f); err != nil {
					t.Fatal(err)
				}
			} else {
				data = []byte(tt.text(string(raw)))
				i := strings.Index(string(data), "NaN")
				line := 1 + strings.Count(string(data[:i]), "\n")
				col := i - strings.LastIndex(string(data[:i]), "\n")
				want = fmt.Sprintf("malformed results file %%s: runs[0].rates.achieved_per_s: line %d, column %d: invalid character 'N' looking for beginning of value", line, col)
				if err := os.WriteFile(bad, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want = "rlbench: " + fmt.Sprintf(want, bad) + "\n"
			merged := filepath.Join(t.TempDir(), "merged.json")
			for _, args := range [][]string{
				{"report", bad},
				{"--format", "html", "report", bad},
				{"compare", base, bad},
				{"compare", bad, base, "--threshold", "over_admitted==0"},
				{"report", "merge", base, bad, "-o", merged},
			} {
				io, out, errOut := newTestIO(nil, args...)
				if code := Main(io); code != 2 {
					t.Errorf("%v: exit %d, want 2", args, code)
				}
				if errOut.String() != want {
					t.Errorf("%v: stderr %q\nwant %q", args, errOut, want)
				}
				if out.Len() > 0 {
					t.Errorf("%v: stdout %q, want nothing", args, out)
				}
			}
			if _, err := os.Stat(merged); !os.IsNotExist(err) {
				t.Errorf("merge wrote %s from a damaged file: %v", merged, err)
			}
		})
	}
}

// TestMainMergeWithoutServiceHistogram: a file without the service-time
// histogram a merge needs is bad input (exit 2), as the reader's refusals
// are, not a failed run (exit 1).
func TestMainMergeWithoutServiceHistogram(t *testing.T) {
	dir := t.TempDir()
	base := writeResults(t, dir, "base.json", nil, "run", "--algo", "fixed", "--requests", "20", "--window", "1h")
	f := readFile(t, base)
	f.GeneratorID = "second"
	f.StartedAt = f.StartedAt.Add(time.Microsecond)
	f.Runs[0].Latency.ServiceHistogram = ""
	second := filepath.Join(dir, "second.json")
	if err := report.WriteFile(second, f); err != nil {
		t.Fatal(err)
	}
	readFile(t, second) // valid: only a merge needs it
	io, _, errOut := newTestIO(nil, "report", "merge", base, second, "-o", filepath.Join(dir, "m.json"))
	if code := Main(io); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	want := "rlbench: file 2, run fixed/closed/100per1h: latency.service_histogram: bad histogram: missing, in a run that sent 20 requests\n"
	if errOut.String() != want {
		t.Errorf("stderr %q\nwant %q", errOut, want)
	}
}

// TestMainCompareCountsFailuresOnce: the summary on stdout and the error
// on stderr give one count of failures, a run that NEW lacks included.
func TestMainCompareCountsFailuresOnce(t *testing.T) {
	dir := t.TempDir()
	run := []string{"--seed", "3", "run", "--requests", "120", "--concurrency", "4", "--window", "1h"}
	base := writeResults(t, dir, "base.json", nil, append(run, "--algo", "sliding,token")...)
	next := writeResults(t, dir, "new.json", nil, append(run, "--algo", "sliding")...)
	// A sliding log of 100/1h admits exactly 100 on both sides: +0 %,
	// which fails >+50 %; token is only in base, the second failure.
	io, out, errOut := newTestIO(nil, "compare", base, next, "--threshold", "accepted>+50%")
	if code := Main(io); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantOut := "\n1 threshold, 1 failed, 2 failing checks:\n" +
		"  accepted>+50% on sliding/closed/100per1h: 100 → 100 (0.0 %)\n" +
		"  token/closed/100per1h is only in base: NEW has no such run to check the thresholds on\n" +
		"1 check skipped: the run is on one side only\n"
	if !strings.HasSuffix(out.String(), wantOut) {
		t.Errorf("stdout ends\n%s\nwant it to end\n%s", out.String()[max(0, out.Len()-300):], wantOut)
	}
	if want := "rlbench: thresholds failed: 2 failures of 1 threshold (see above)\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

// TestWrittenFilesValidate: every results file the commands write reads
// back through the one reader, whatever the workload, keys, tiers, clock,
// repetitions, sweep or merge; and so do the committed results, through
// rlbench report.
func TestWrittenFilesValidate(t *testing.T) {
	dir := t.TempDir()
	small := []string{"--duration", "250ms", "--requests", "80"}
	runs := map[string][]string{
		"closed, every algorithm": {"run", "--algo", "all,baseline,seed-fixed,seed-sliding,seed-leaky", "--requests", "40", "--concurrency", "4", "--keys", "3", "--window", "1h"},
		"steady, zipf, tiers": append([]string{"run", "--algo", "fixed,token", "--workload", "steady", "--rate", "400", "--keys", "20",
			"--key-dist", "zipf", "--tier", "free=5/1s:0.8", "--tier", "premium=50/1s:0.2"}, small...),
		"bursty":                 append([]string{"run", "--algo", "gcra", "--workload", "bursty", "--rate", "100", "--burst-size", "20", "--burst-every", "100ms", "--limit", "10", "--window", "1s"}, small...),
		"window-edge":            append([]string{"run", "--algo", "fixed,sliding-counter", "--workload", "window-edge", "--limit", "5", "--window", "100ms", "--burst-size", "5"}, small...),
		"poisson, client clock":  append([]string{"run", "--algo", "leaky", "--workload", "poisson", "--rate", "300", "--client-clock", "--limit", "10", "--window", "1s"}, small...),
		"ramp, missed slots":     append([]string{"run", "--algo", "sliding", "--workload", "ramp", "--rate-start", "100", "--rate", "400", "--miss-after", "1us"}, small...),
		"short interval, bursts": append([]string{"run", "--algo", "token", "--workload", "steady", "--rate", "400", "--interval", "20ms", "--burst", "3", "--limit", "5", "--window", "1s"}, small...),
	}
	var paths []string
	for name, args := range runs {
		path := filepath.Join(dir, strings.NewReplacer(" ", "-", ",", "").Replace(name)+".json")
		io, _, errOut := newTestIO(nil, append([]string{"--seed", "9"}, append(args, "-o", path, "--timeout", "30s")...)...)
		if code := Main(io); code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", name, code, errOut)
		}
		paths = append(paths, path)
	}
	bench := filepath.Join(dir, "bench")
	io, _, errOut := newTestIO(nil, "bench", "--algo", "fixed,gcra", "--workload", "closed,steady", "--count", "2", "--sweep", "limit=5,20",
		"--requests", "30", "--duration", "150ms", "--rate", "300", "--window", "1s", "-o", bench, "--timeout", "30s")
	if code := Main(io); code != 0 {
		t.Fatalf("bench: exit %d, stderr %q", code, errOut)
	}
	paths = append(paths, filepath.Join(bench, "results.json"))

	// A second generator's file of the first run, and their merge.
	f := readFile(t, paths[0])
	f.GeneratorID = "second"
	f.StartedAt = f.StartedAt.Add(time.Microsecond)
	second := filepath.Join(dir, "second.json")
	if err := report.WriteFile(second, f); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged.json")
	io, _, errOut = newTestIO(nil, "report", "merge", paths[0], second, "-o", merged)
	if code := Main(io); code != 0 {
		t.Fatalf("merge: exit %d, stderr %q", code, errOut)
	}
	paths = append(paths, merged)

	committed, err := filepath.Glob("../../results/*/results.json")
	if err != nil || len(committed) < 3 {
		t.Fatalf("committed results %q: %v", committed, err)
	}
	for _, path := range append(paths, committed...) {
		readFile(t, path)
		io, _, errOut := newTestIO(nil, "report", path)
		if code := Main(io); code != 0 {
			t.Errorf("report %s: exit %d, stderr %q", path, code, errOut)
		}
	}
	if m := readFile(t, merged); m.Runs[0].Generators != 2 {
		t.Errorf("merged file: %d generators, want 2", m.Runs[0].Generators)
	}
}

// TestWrittenFilesValidateUnknown: a run on a real Redis whose decisions
// time out, so that outcomes are unknown and accuracy is an interval,
// writes a file that reads back.
func TestWrittenFilesValidateUnknown(t *testing.T) {
	srv := redistest.Start(t)
	path := filepath.Join(t.TempDir(), "timeouts.json")
	io, _, errOut := newTestIO(map[string]string{"REDIS_URL": srv.URL}, "run", "--algo", "fixed,seed-sliding",
		"--requests", "150", "--concurrency", "16", "--keys", "2", "--limit", "10", "--window", "1h", "--timeout", "1ms", "-o", path)
	if code := Main(io); code != 0 && code != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	readFile(t, path)
}

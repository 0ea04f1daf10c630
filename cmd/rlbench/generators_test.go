package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// TestThreeGeneratorsOneRun runs three rlbench processes against one real
// redis-server, as three machines would: the same --start-at, --run-id and
// load, each its own --generator-id and results file. Each offers 100
// requests for one key of limit 100 an hour, so the three together must
// have 100 admitted of 300 on each algorithm, however they interleave; the
// merged file must say so, name the three generators, and hold each one's
// share exactly.
func TestThreeGeneratorsOneRun(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "rlbench")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// Far enough ahead for three processes to start and connect on a busy
	// machine; nothing below depends on how long anything took.
	startAt := time.Now().Add(6 * time.Second).UTC().Truncate(time.Millisecond)
	ids := []string{"gen-a", "gen-b", "gen-c"}
	procs := make([]*exec.Cmd, len(ids))
	stderr := make([]*bytes.Buffer, len(ids))
	for i, id := range ids {
		procs[i] = exec.Command(bin, "--quiet", "--redis", srv.URL, "run", "--algo", "sliding,token",
			"--limit", "100", "--window", "1h", "--workload", "steady", "--rate", "500", "--requests", "100",
			"--run-id", "three", "--start-at", startAt.Format(time.RFC3339Nano), "--generator-id", id,
			"-o", filepath.Join(dir, id+".json"))
		procs[i].Env = append(os.Environ(), "REDIS_URL=")
		stderr[i] = new(bytes.Buffer)
		procs[i].Stderr = stderr[i]
		if err := procs[i].Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if procs[i].ProcessState == nil {
				_ = procs[i].Process.Kill()
				_ = procs[i].Wait()
			}
		})
	}
	files := make([]*report.File, len(ids))
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Fatalf("%s: %v; stderr %q", ids[i], err, stderr[i])
		}
		f, err := report.ReadFile(filepath.Join(dir, ids[i]+".json"))
		if err != nil {
			t.Fatal(err)
		}
		files[i] = f
		if f.GeneratorID != ids[i] || f.Config.GeneratorID != ids[i] || !f.Config.StartAt.Equal(startAt) {
			t.Errorf("%s: generator_id %q, config.generator_id %q, config.start_at %s; want %s, %s, %s",
				ids[i], f.GeneratorID, f.Config.GeneratorID, f.Config.StartAt, ids[i], ids[i], startAt)
		}
		// The first run's schedule is anchored at the shared instant.
		if got := f.Runs[0].StartedAt; !got.Equal(startAt) {
			t.Errorf("%s: first run started at %s, want --start-at %s", ids[i], got, startAt)
		}
	}

	all := filepath.Join(dir, "all.json")
	if out, err := exec.Command(bin, "report", "merge", filepath.Join(dir, "gen-a.json"), filepath.Join(dir, "gen-b.json"),
		filepath.Join(dir, "gen-c.json"), "-o", all).CombinedOutput(); err != nil {
		t.Fatalf("merge: %v\n%s", err, out)
	}
	merged, err := report.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(merged.GeneratorIDs, ids) {
		t.Errorf("merged generator_ids %q, want %q", merged.GeneratorIDs, ids)
	}
	if len(merged.Runs) != 2 {
		t.Fatalf("merged file has %d runs, want sliding and token", len(merged.Runs))
	}
	for j, r := range merged.Runs {
		var accepted int64
		for _, f := range files {
			accepted += f.Runs[j].Counts.Accepted
		}
		c, a := r.Counts, r.Accuracy
		if accepted != 100 || c.Sent != 300 || c.Accepted != 100 || c.Rejected != 200 || c.Errors+c.Unknown != 0 || r.Generators != 3 {
			t.Errorf("%s: generators admitted %d in all; merged sent %d, accepted %d, rejected %d, errors %d, unknown %d, generators %d; "+
				"want 100; 300, 100, 200, 0, 0, 3", r.Algorithm, accepted, c.Sent, c.Accepted, c.Rejected, c.Errors, c.Unknown, r.Generators)
		}
		// One key, limit 100 an hour: sliding promises 100 in any hour,
		// token its capacity 100 plus an hour's refill.
		wantBound := map[string]int64{"sliding": 100, "token": 200}[r.Algorithm]
		if a.MaxAdmittedInWindow != 100 || a.MaxAdmittedInWindowAtMost != 100 || a.Bound != wantBound ||
			a.OverAdmitted != 0 || a.KeysOverBound != 0 || a.Keys != 1 || r.Admissions == nil || !r.Admissions.Complete {
			t.Errorf("%s: merged accuracy %+v, want 100 in the busiest window (at most 100) against %d, none over, 1 key, every admission kept",
				r.Algorithm, a, wantBound)
		}
	}

	out, err := exec.Command(bin, "report", all).Output()
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(out), "\n")
	for _, want := range []string{"generators gen-a, gen-b, gen-c", "start-at " + startAt.Format(time.RFC3339Nano)} {
		if !strings.Contains(header, want) {
			t.Errorf("merged report's header %q does not say %q", header, want)
		}
	}
}

// TestMainBadStartAtOrGeneratorID: a --start-at that cannot be read, long
// past or too far ahead, and a --generator-id that would not read plainly
// in a header, are each one line naming the value and what is accepted,
// exit 2, before any connection (REDIS_URL is a closed port).
func TestMainBadStartAtOrGeneratorID(t *testing.T) {
	ahead := time.Now().Add(49 * time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		args []string
		want []string // the message is "rlbench: " and these, in order
	}{
		{[]string{"run", "--start-at", "16:00"},
			[]string{`invalid --start-at "16:00": want an RFC 3339 time with its zone, such as 2026-12-02T16:00:00Z or 2026-12-02T17:00:00.5+01:00`}},
		{[]string{"run", "--start-at", "2026-12-02T16:00:00"}, []string{`invalid --start-at "2026-12-02T16:00:00": want an RFC 3339 time`}},
		{[]string{"run", "--start-at", "2020-01-01T00:00:00.25Z"},
			[]string{"invalid --start-at 2020-01-01T00:00:00.25Z: ", " in the past; want from 1s past to 24h ahead"}},
		{[]string{"bench", "--start-at", ahead}, []string{"invalid --start-at " + ahead + ": 4", "h", " ahead; want from 1s past to 24h ahead"}},
		{[]string{"run", "--generator-id", "east 1"},
			[]string{`invalid --generator-id "east 1": want 1 to 64 letters, digits and . _ : -, such as gen-1 or a host name`}},
		{[]string{"bench", "--generator-id", ""}, []string{`invalid --generator-id "": want 1 to 64`}},
		{[]string{"run", "--generator-id", strings.Repeat("g", 65)}, []string{`invalid --generator-id "ggg`}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			io, out, errOut := newTestIO(map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, c.args...)
			code := Main(io)
			msg := errOut.String()
			rest, ok := strings.CutPrefix(msg, "rlbench: ")
			for _, w := range c.want {
				var found bool
				_, rest, found = strings.Cut(rest, w)
				ok = ok && found
			}
			if code != exitUsage || !ok || strings.Count(msg, "\n") != 1 || out.Len() > 0 {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2, one line saying %q, nothing", code, msg, out, c.want)
			}
		})
	}
}

// TestRunWaitsForStartAt: run says on stderr how long it waits (not with
// --quiet), and its results file records the generator and the start.
func TestRunWaitsForStartAt(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		at := time.Now().Add(2 * time.Second).UTC()
		path := filepath.Join(t.TempDir(), "east.json")
		args := []string{"run", "--requests", "5", "--start-at", at.Format(time.RFC3339Nano), "--generator-id", "east-1", "-o", path}
		if quiet {
			args = append([]string{"--quiet"}, args...)
		}
		io, out, errOut := newTestIO(nil, args...)
		if code := Main(io); code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		wantErr := "waiting "
		if quiet {
			wantErr = ""
		}
		if got := errOut.String(); !strings.HasPrefix(got, wantErr) || (quiet && got != "") ||
			(!quiet && !strings.HasSuffix(got, " for --start-at "+at.Format(time.RFC3339Nano)+"\n")) {
			t.Errorf("quiet %v: stderr %q, want %q", quiet, got, wantErr+"... for --start-at "+at.Format(time.RFC3339Nano))
		}
		if header, _, _ := strings.Cut(out.String(), "\n"); !strings.Contains(header, " · generator east-1 · start-at "+at.Format(time.RFC3339Nano)+" · ") {
			t.Errorf("header %q does not name the generator and its start", header)
		}
		f, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.GeneratorID != "east-1" || !f.Config.StartAt.Equal(at) || !f.Runs[0].StartedAt.Equal(at) {
			t.Errorf("generator_id %q, config.start_at %s, first run started %s; want east-1 and %s twice",
				f.GeneratorID, f.Config.StartAt, f.Runs[0].StartedAt, at)
		}
	}
}

// TestSIGINTWhileWaitingForStartAt: Ctrl-C during the wait for --start-at
// ends it: nothing ran, the results file says interrupted, exit 130.
func TestSIGINTWhileWaitingForStartAt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "waited.json")
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	cmd := exec.Command(os.Args[0], "run", "--start-at", at, "-o", path)
	cmd.Env = append(os.Environ(), "RLBENCH_TEST_AS_MAIN=1", "REDIS_URL=")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	// The first line says it is waiting: connected, scripts loaded.
	lines := bufio.NewReader(stderr)
	first, err := lines.ReadString('\n')
	if err != nil || !strings.HasPrefix(first, "waiting ") || !strings.HasSuffix(first, " for --start-at "+at+"\n") {
		t.Fatalf("first line on stderr %q (%v), want it to say it waits for %s", first, err, at)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(lines)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitInterrupted {
		t.Fatalf("exit %v, want status 130; stderr %q", err, rest)
	}
	if want := "rlbench: interrupted; the results above are partial (before the first run)\n"; string(rest) != want {
		t.Errorf("stderr then %q, want %q", rest, want)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.EndReason != report.EndInterrupted || len(f.Runs) != 0 {
		t.Errorf("results file ended %q with %d runs, want interrupted with none", f.EndReason, len(f.Runs))
	}
}

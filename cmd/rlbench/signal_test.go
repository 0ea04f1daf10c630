package main

import (
	"bytes"
	"errors"
	"github.com/rlbench/rlbench/internal/redistest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rlbench/rlbench/report"
)

// TestMain lets a test run this test binary as rlbench itself, so that a
// real process can be sent a real SIGINT; otherwise it runs the tests and
// stops the Redis Cluster they share.
func TestMain(m *testing.M) {
	if os.Getenv("RLBENCH_TEST_AS_MAIN") == "1" {
		os.Exit(Main(SystemIO()))
	}
	redistest.Main(m)
}

// rlbenchProcess starts this binary as rlbench with args.
func rlbenchProcess(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RLBENCH_TEST_AS_MAIN=1", "REDIS_URL=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errOut
}

// TestSIGINTWritesPartialResults sends a running rlbench SIGINT: it stops
// sending, waits for what is in flight, prints and writes the partial
// results marked interrupted, and exits 130.
func TestSIGINTWritesPartialResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "partial.json")
	cmd, out, errOut := rlbenchProcess(t, "run", "--algo", "fixed,sliding", "--requests", "100000000",
		"--concurrency", "4", "--window", "1s", "-o", path)
	// Wait until requests are flowing: the file does not exist before the end.
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want status 130; stderr %q", err, errOut)
	}
	if msg := errOut.String(); !strings.HasPrefix(msg, "rlbench: interrupted; the results above are partial (fixed sent ") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q, want one line saying the run was interrupted", msg)
	}
	if !strings.Contains(out.String(), "PARTIAL: interrupted") {
		t.Errorf("stdout does not mark the results partial:\n%s", out)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatalf("partial results file: %v", err)
	}
	if f.EndReason != report.EndInterrupted || len(f.Runs) != 1 || f.Runs[0].EndReason != report.EndInterrupted {
		t.Fatalf("file end reason %q with %d runs, want one interrupted run", f.EndReason, len(f.Runs))
	}
	c := f.Runs[0].Counts
	if c.Sent == 0 || c.Sent != c.Accepted+c.Rejected+c.Errors || c.Errors != 0 {
		t.Errorf("counts %+v: want a partial run with every request sent answered, none an error", c)
	}
	if f.EndedAt.Before(f.StartedAt) || f.Config.Seed == 0 {
		t.Errorf("started %v ended %v seed %d: the file must describe itself", f.StartedAt, f.EndedAt, f.Config.Seed)
	}
}

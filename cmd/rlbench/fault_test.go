package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// faultRun runs rlbench on a Redis it starts itself, with faults, and
// returns the results file. wantCode -1 takes 0 or 1: the fault may or
// may not have failed a request.
func faultRun(t *testing.T, wantCode int, args ...string) (*report.File, string) {
	t.Helper()
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, append([]string{"run", "--redis", "local", "-q", "-o", path}, args...)...)
	if code := Main(io); code != wantCode && (wantCode != -1 || code > 1) {
		t.Fatalf("exit %d, want %d; stderr %q", code, wantCode, errOut)
	}
	return readResultsFile(t, path), errOut.String()
}

// readResultsFile reads the results file at path.
func readResultsFile(t *testing.T, path string) *report.File {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f report.File
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

// A restart with persistence off loses every counter: a fixed window that
// had admitted its 100 admits 100 more. 400/s for 1 s sends its first
// 100 long before the restart at 0.5 s.
func TestFaultRestartLosesCounters(t *testing.T) {
	f, _ := faultRun(t, -1, "--algo", "fixed", "--workload", "steady", "--rate", "400", "--requests", "400",
		"--limit", "100", "--window", "1h", "--fault", "restart@500ms")
	r := f.Runs[0]
	if len(r.Events) != 1 || r.Events[0].Kind != "restart" || r.Events[0].Error != "" || !strings.Contains(r.Events[0].Detail, "restarted 127.0.0.1:") {
		t.Fatalf("events %+v, want one restart", r.Events)
	}
	if got := f.Config.Faults; len(got) != 1 || got[0] != "restart@500ms" {
		t.Errorf("config.faults = %q, want [restart@500ms]", got)
	}
	c := r.Counts
	if c.Accepted > 200 || c.Accepted+c.Unknown < 200 {
		t.Errorf("accepted %d, unknown %d: want 200 admitted, 100 on each side of the restart", c.Accepted, c.Unknown)
	}
	if r.Accuracy.OverAdmitted < 1 {
		t.Errorf("over_admitted %d, want the restart's lost counters to show", r.Accuracy.OverAdmitted)
	}
	if e := r.Events[0]; e.Accepted+e.Rejected+e.Errors+e.Unknown == 0 {
		t.Errorf("event %+v saw no request after it", e)
	}
	// The restart reset the server's counters: no cost, and why.
	if r.RedisCost != nil || !strings.Contains(r.RedisCostUnavailable, "faults were injected") {
		t.Errorf("redis cost %+v, %q; want none, and why", r.RedisCost, r.RedisCostUnavailable)
	}
}

// After SCRIPT FLUSH every limiter finds NOSCRIPT, loads its script again
// and goes on: no error, nothing over its bound, through either client.
func TestFaultScriptFlush(t *testing.T) {
	f, _ := faultRun(t, 0, "--client", "go-redis,rueidis", "--algo", "all", "--workload", "steady", "--rate", "400", "--requests", "200",
		"--limit", "100", "--window", "1h", "--fault", "script-flush@200ms")
	checkClients(t, f, len(algorithms.Names()))
	for _, r := range f.Runs {
		if len(r.Events) != 1 || r.Events[0].Error != "" {
			t.Errorf("%s: events %+v, want one script flush", r.Algorithm, r.Events)
		}
		if r.Counts.Errors+r.Counts.Unknown != 0 || r.Counts.Accepted != 100 || r.Accuracy.OverAdmitted != 0 {
			t.Errorf("%s: counts %+v over %d; want 100 accepted, no failure, nothing over", r.Algorithm, r.Counts, r.Accuracy.OverAdmitted)
		}
		if e := r.Events[0]; e.Errors+e.Unknown != 0 || !e.Recovered || e.OutageUS != 0 {
			t.Errorf("%s: event %+v, want no failures", r.Algorithm, e)
		}
	}
}

// A pause longer than the timeout makes the requests in it unknown; a
// killed server fails the rest of its run, and the next run finds it
// started again: alike through either client.
func TestFaultPauseAndKill(t *testing.T) {
	f, _ := faultRun(t, 1, "--client", "go-redis,rueidis", "--algo", "fixed,token", "--workload", "steady", "--rate", "200", "--requests", "200",
		"--limit", "1000", "--window", "1h", "--timeout", "50ms",
		"--fault", "pause:400ms@100ms", "--fault", "kill-master@700ms")
	checkClients(t, f, 2)
	for _, r := range f.Runs {
		if len(r.Events) != 2 {
			t.Fatalf("%s: events %+v, want a pause and a kill", r.Algorithm, r.Events)
		}
		pause, kill := r.Events[0], r.Events[1]
		if pause.Kind != "pause" || pause.Unknown == 0 || pause.ByClass["timeout"] == 0 {
			t.Errorf("%s: pause %+v, want timeouts counted unknown", r.Algorithm, pause)
		}
		if kill.Kind != "kill-master" || kill.Errors == 0 || kill.Recovered {
			t.Errorf("%s: kill %+v, want failures to the end of the run", r.Algorithm, kill)
		}
		if r.Counts.Accepted == 0 {
			t.Errorf("%s: nothing accepted: the run should start on a healthy server", r.Algorithm)
		}
	}
}

func TestFaultBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--fault", "restart"}, `invalid --fault "restart": no @AT; want KIND@AT`},
		{[]string{"--fault", "reboot@1s"}, `invalid --fault "reboot@1s": unknown kind "reboot"`},
		{[]string{"--fault", "restart@soon"}, `time "soon" into the run: want a duration`},
		{[]string{"--fault", "restart@-1s"}, `negative, want 0 or more`},
		{[]string{"--fault", "restart@99999999999h"}, `out of range, want at most 8784h`},
		{[]string{"--fault", "restart:1s@1s"}, `only a pause takes a duration`},
		{[]string{"--fault", "pause:0s@1s"}, `pause "0s": want more than 0`},
		{[]string{"--fault", "restart@1s"}, `rlbench: --fault restart needs a deployment rlbench starts itself (--redis local, local-cluster or local-sentinel)`},
	}
	for _, tt := range tests {
		io, _, errOut := newTestIO(nil, append([]string{"run", "--algo", "fixed", "--requests", "5"}, tt.args...)...)
		if code := Main(io); code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		if msg := errOut.String(); !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", tt.args, msg, tt.want)
		}
	}
}

func TestFaultFailoverNeedsReplicas(t *testing.T) {
	redistest.RequireBinary(t)
	io, _, errOut := newTestIO(nil, "run", "--redis", "local", "--algo", "fixed", "--requests", "5", "--fault", "failover@1s")
	if code := Main(io); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if msg := errOut.String(); !strings.Contains(msg, "--fault failover is not possible on the redis rlbench started: want one of pause, script-flush, restart, kill-master") {
		t.Errorf("stderr %q", msg)
	}
}

// A graceful failover (CLUSTER FAILOVER: the replica catches up before it
// takes over) loses nothing: exactly the limit is admitted, across the
// failover and a flush of every node's scripts.
func TestFaultClusterFailover(t *testing.T) {
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, "run", "--redis", "local-cluster", "-q", "-o", path,
		"--algo", "sliding,gcra", "--workload", "steady", "--rate", "400", "--requests", "400",
		"--limit", "100", "--window", "1h", "--fault", "failover@300ms", "--fault", "script-flush@600ms")
	if code := Main(io); code > 1 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	f := readResultsFile(t, path)
	if f.Target.Kind != "cluster" {
		t.Fatalf("target kind %q, want cluster", f.Target.Kind)
	}
	for _, r := range f.Runs {
		if len(r.Events) != 2 || r.Events[0].Error != "" || r.Events[1].Error != "" ||
			!strings.Contains(r.Events[0].Detail, "over to its replica") {
			t.Fatalf("%s: events %+v, want a failover and a script flush", r.Algorithm, r.Events)
		}
		c := r.Counts
		if c.Accepted > 100 || c.Accepted+c.Unknown < 100 || r.Accuracy.OverAdmitted != 0 {
			t.Errorf("%s: counts %+v, over %d; want the limit of 100 admitted, nothing over", r.Algorithm, c, r.Accuracy.OverAdmitted)
		}
	}
}

// On a cluster a pause holds every node (the requests in it time out,
// unknown), and a killed master fails its keys' requests until the run
// ends or its replica takes over; the next run finds the cluster whole.
func TestFaultClusterPauseAndKill(t *testing.T) {
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, "run", "--redis", "local-cluster", "-q", "-o", path,
		"--algo", "fixed,token", "--workload", "steady", "--rate", "200", "--requests", "200",
		"--limit", "1000", "--window", "1h", "--timeout", "50ms",
		"--fault", "pause:400ms@100ms", "--fault", "kill-master@700ms")
	if code := Main(io); code != 1 {
		t.Fatalf("exit %d, want 1 (requests failed); stderr %q", code, errOut)
	}
	f := readResultsFile(t, path)
	for _, r := range f.Runs {
		if len(r.Events) != 2 {
			t.Fatalf("%s: events %+v, want a pause and a kill", r.Algorithm, r.Events)
		}
		pause, kill := r.Events[0], r.Events[1]
		if pause.Kind != "pause" || pause.Error != "" || pause.ByClass["timeout"] == 0 {
			t.Errorf("%s: pause %+v, want timeouts", r.Algorithm, pause)
		}
		if kill.Kind != "kill-master" || kill.Error != "" || kill.Errors+kill.Unknown == 0 || !strings.Contains(kill.Detail, "killed master 127.0.0.1:") {
			t.Errorf("%s: kill %+v, want failures after it", r.Algorithm, kill)
		}
		if r.Counts.Accepted == 0 {
			t.Errorf("%s: nothing accepted: the run should start on a whole cluster", r.Algorithm)
		}
	}
}

// A cluster master restarted empty comes back with its slots and none of
// its counters; whatever the cluster did meanwhile, the next run finds it
// whole again.
func TestFaultClusterRestart(t *testing.T) {
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, "run", "--redis", "local-cluster", "-q", "-o", path,
		"--algo", "fixed,token", "--workload", "steady", "--rate", "400", "--requests", "400",
		"--limit", "100", "--window", "1h", "--timeout", "200ms", "--fault", "restart@500ms")
	if code := Main(io); code > 1 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	f := readResultsFile(t, path)
	if len(f.Runs) != 2 || f.EndReason == "error" {
		t.Fatalf("%d runs, end %q (%s); want both runs, the cluster healed between them", len(f.Runs), f.EndReason, f.Error)
	}
	for _, r := range f.Runs {
		if len(r.Events) != 1 || r.Events[0].Error != "" || !strings.Contains(r.Events[0].Detail, "restarted master 127.0.0.1:") {
			t.Fatalf("%s: events %+v, want one restart of a master", r.Algorithm, r.Events)
		}
		// The first 100 are admitted long before the restart.
		if r.Counts.Accepted < 100 {
			t.Errorf("%s: %d accepted, want at least the 100 before the restart", r.Algorithm, r.Counts.Accepted)
		}
	}
}

// checkClients asserts that f holds each of n algorithms run through
// go-redis, then through rueidis, in turn.
func checkClients(t *testing.T, f *report.File, n int) {
	t.Helper()
	if f.Config.Client != "go-redis,rueidis" || len(f.Runs) != 2*n {
		t.Fatalf("config.client %q, %d runs; want go-redis,rueidis and %d", f.Config.Client, len(f.Runs), 2*n)
	}
	for i, r := range f.Runs {
		if want := []string{"go-redis:", "rueidis:"}[i%2]; !strings.HasPrefix(r.Algorithm, want) {
			t.Errorf("runs[%d] is %s, want a run through %s", i, r.Algorithm, want)
		}
	}
}

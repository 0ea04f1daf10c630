package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// checkClusterFile asserts that a results file names the cluster's shape
// and that each run's decisions are shared out over its masters.
func checkClusterFile(t *testing.T, f *report.File) {
	t.Helper()
	top := f.Target.Cluster
	if f.Target.Kind != "cluster" || top == nil {
		t.Fatalf("target %+v, want kind cluster with its topology", f.Target)
	}
	slots := 0
	for _, s := range top.Shards {
		slots += s.Slots
	}
	if top.Masters != 3 || top.Replicas != 3 || slots != 16384 {
		t.Errorf("topology %+v: want 3 masters, 3 replicas, 16384 slots", top)
	}
	for _, r := range f.Runs {
		if r.Counts.Errors+r.Counts.Unknown != 0 {
			t.Errorf("%s: %d errors, %d unknown", r.Algorithm, r.Counts.Errors, r.Counts.Unknown)
		}
		if r.Algorithm == "seed-fixed" || r.Algorithm == algorithms.BaselineName {
			if r.Masters != nil {
				t.Errorf("%s: masters %v, want none: its keys are not one slot per user key", r.Algorithm, r.Masters)
			}
			continue
		}
		if len(r.Masters) != 3 {
			t.Errorf("%s: masters %v, want the 3", r.Algorithm, r.Masters)
			continue
		}
		var total int64
		for _, m := range r.Masters {
			if m.Decisions == 0 {
				t.Errorf("%s: master %s served none of %d keys' decisions", r.Algorithm, m.Master, f.Config.Keys)
			}
			total += m.Decisions
		}
		if total != r.Counts.Accepted+r.Counts.Rejected {
			t.Errorf("%s: masters served %d decisions, the run made %d", r.Algorithm, total, r.Counts.Accepted+r.Counts.Rejected)
		}
	}
}

// TestMainRunCluster runs every limiter on the shared cluster through its
// URL (seeds as addr= parameters), with many keys over every master: no
// error, and the results file records the topology and the shares.
func TestMainRunCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	path := filepath.Join(t.TempDir(), "r.json")
	io, out, errOut := newTestIO(map[string]string{"REDIS_URL": c.URL}, "run", "--algo", "all,seed-fixed,seed-sliding,seed-leaky",
		"--requests", "1200", "--concurrency", "16", "--keys", "300", "--limit", "3", "--window", "600s", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkClusterFile(t, f)
	for _, want := range []string{"target cluster " + f.Target.ServerVersion, "cluster: 3 masters", "masters: fixed/closed: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not say %q:\n%s", want, out)
		}
	}
}

// TestMainRunClusterStorm is the seed's hot-key storm through --cluster
// and one node's plain URL: exactly the limit admitted.
func TestMainRunClusterStorm(t *testing.T) {
	c := redistest.StartCluster(t)
	one := "redis://" + c.Proc.Masters()[2].Addr
	io, out, errOut := newTestIO(nil, "--redis", one, "--cluster", "--client", "go-redis,rueidis", "run", "--algo", "all",
		"--requests", "640", "--concurrency", "64", "--limit", "100", "--window", "600s")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	rows := tableRows(t, out.String())
	for _, name := range algorithms.Names() {
		for _, client := range []string{"go-redis:", "rueidis:"} {
			if got := cell(t, rows[client+name], 3); got != 100 {
				t.Errorf("%s admitted %d of 640 at limit 100, want exactly 100", client+name, got)
			}
		}
	}
}

// TestMainRunLocalCluster: --redis local-cluster starts a cluster for the
// run, and the run goes to it.
func TestMainRunLocalCluster(t *testing.T) {
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "r.json")
	io, _, errOut := newTestIO(nil, "--redis", "local-cluster", "run", "--algo", "fixed,baseline", "-q",
		"--requests", "600", "--concurrency", "8", "--keys", "100", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkClusterFile(t, f)
}

func TestMainClusterNeedsURL(t *testing.T) {
	for _, redis := range []string{"", "local"} {
		io, _, errOut := newTestIO(map[string]string{"REDIS_URL": ""}, "--redis", redis, "--cluster", "run", "--algo", "fixed")
		if code := Main(io); code != 2 {
			t.Errorf("--redis %q --cluster: exit %d, want 2", redis, code)
		}
		if lines := strings.Split(strings.TrimSpace(errOut.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "--cluster needs a redis://") || !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "local-cluster") }) {
			t.Errorf("--redis %q --cluster: stderr %q, want one line saying what --cluster needs", redis, errOut)
		}
	}
}

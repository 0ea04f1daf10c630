package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// TestRunSentinel runs every algorithm through a Sentinel deployment with
// passwords on the master and on the sentinels: each admits exactly its
// limit of one key, the results file records the topology, and no
// password appears in anything rlbench printed or wrote.
func TestRunSentinel(t *testing.T) {
	const password, sentinelPassword = "Zq#data pw", "Zq@sentinel"
	d := redistest.StartSentinelWith(t, redisserver.SentinelOptions{Password: password, SentinelPassword: sentinelPassword})
	url := strings.Replace(d.URL, "://", "://:Zq%23data%20pw@", 1) + "?sentinel_password=Zq%40sentinel"
	file := filepath.Join(t.TempDir(), "run.json")
	io, out, errOut := newTestIO(nil, "--client", "go-redis,rueidis", "run", "--redis", url, "--algo", "all", "--requests", "30", "--concurrency", "4",
		"--limit", "20", "--window", "600s", "-q", "-o", file)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	f := readFile(t, file)
	want := report.Target{Kind: "sentinel", Address: d.Master.Addr, ServerVersion: d.Master.Version}
	if f.Target.Kind != want.Kind || f.Target.Address != want.Address || f.Target.ServerVersion != want.ServerVersion {
		t.Errorf("target %+v, want %+v", f.Target, want)
	}
	topo := f.Target.Sentinel
	if topo == nil || topo.MasterName != redisserver.DefaultMasterName || topo.Master != d.Master.Addr || topo.Quorum != 2 ||
		!slices.Equal(topo.Replicas, []string{d.Replica.Addr}) || len(topo.Sentinels) != 3 {
		t.Errorf("target.sentinel %+v, want master %s, replica %s, 3 sentinels, quorum 2", topo, d.Master.Addr, d.Replica.Addr)
	}
	checkClients(t, f, len(algorithms.Names()))
	for _, r := range f.Runs {
		if r.Counts.Accepted != 20 || r.Counts.Rejected != 10 || r.Counts.Errors != 0 {
			t.Errorf("%s: accepted %d, rejected %d, errors %d; want 20, 10, 0", r.Algorithm, r.Counts.Accepted, r.Counts.Rejected, r.Counts.Errors)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "target sentinel "+d.Master.Version+" at "+d.Master.Addr+" (master rlbench, 1 replica, 3 sentinels)") {
		t.Errorf("table does not name the deployment:\n%s", out)
	}
	for where, text := range map[string]string{"stdout": out.String(), "stderr": errOut.String(), "results": string(b)} {
		// Not "Zq" alone: an encoded histogram may hold it by chance.
		for _, form := range []string{password, sentinelPassword, "Zq%23data", "data%20pw", "Zq%40sentinel"} {
			if strings.Contains(text, form) {
				t.Errorf("%s holds a password (%q)", where, form)
			}
		}
	}
}

// TestRunLocalSentinel: --redis local-sentinel starts a deployment for the
// run and stops it after.
func TestRunLocalSentinel(t *testing.T) {
	redistest.RequireBinary(t)
	file := filepath.Join(t.TempDir(), "run.json")
	io, _, errOut := newTestIO(nil, "run", "--redis", "local-sentinel", "--algo", "gcra", "--requests", "15", "--limit", "10", "--window", "600s", "-q", "-o", file)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	f := readFile(t, file)
	topo := f.Target.Sentinel
	if f.Target.Kind != "sentinel" || topo == nil || topo.Master != f.Target.Address || len(topo.Replicas) != 1 || len(topo.Sentinels) != 3 {
		t.Fatalf("target %+v, sentinel %+v; want a sentinel deployment of one master, one replica, three sentinels", f.Target, topo)
	}
	if got := f.Runs[0].Counts.Accepted; got != 10 {
		t.Errorf("accepted %d, want 10", got)
	}
	// Stopped: nothing answers where the master was.
	io, _, errOut = newTestIO(nil, "run", "--redis", "redis://"+f.Target.Address+"/0", "--requests", "1")
	if code := Main(io); code != 1 || !strings.Contains(errOut.String(), "connection refused") {
		t.Errorf("after the run, the master at %s still answers: exit %d, %q", f.Target.Address, code, errOut)
	}
}

// TestRunBadSentinelURL: a URL that cannot name a Sentinel deployment is
// one line, exit 2, with no password, before anything is dialled.
func TestRunBadSentinelURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"redis-sentinel://:Zqpw@10.0.0.1:26379", `bad redis URL "redis-sentinel://:xxxxx@10.0.0.1:26379": the path must be the master's name, one segment, such as /mymaster; want redis-sentinel://[user:password@]host:port[,host:port...]/MASTER-NAME[?db=N]`},
		{"redis-sentinel://:Zqpw@10.0.0.1:26379,10.0.0.2:0/m", `bad redis URL "redis-sentinel://:xxxxx@10.0.0.1:26379,10.0.0.2:0/m": sentinel address "10.0.0.2:0": port 0 is out of range; want a port from 1 to 65535; want redis-sentinel://[user:password@]host:port[,host:port...]/MASTER-NAME[?db=N]`},
		{"redis-sentinel://10.0.0.1/m?sentinel_password=Zqpw&db=one", `bad redis URL "redis-sentinel://10.0.0.1/m?db=one&sentinel_password=xxxxx": invalid database number: strconv.Atoi: parsing "one": invalid syntax; want redis-sentinel://[user:password@]host:port[,host:port...]/MASTER-NAME[?db=N]`},
	}
	for _, tt := range tests {
		io, out, errOut := newTestIO(nil, "run", "--redis", tt.url, "--requests", "1")
		if code := Main(io); code != 2 {
			t.Errorf("%s: exit %d, want 2", tt.url, code)
		}
		if got, want := errOut.String(), "rlbench: "+tt.want+"\n"; got != want {
			t.Errorf("stderr\n got %q\nwant %q", got, want)
		}
		if out.Len() > 0 {
			t.Errorf("stdout %q, want nothing", out)
		}
	}
}

// TestFaultSentinelFailover fails the master of a Sentinel deployment
// rlbench started over in the middle of each run: the failover client
// follows the new master and decisions go on. What the promoted replica
// had not yet received is lost, so a limiter may admit more than its
// bound: logged, as the measure it is, not asserted. The sentinels agree
// on the new master within a second or two (the others hear of it from
// hello messages sent every 2 s), longer on a loaded machine: the flush
// that follows it comes 6.5 s later, and the run lasts 9 s. That costs
// little: healing waits some 10 s after a failover anyway, for a sentinel
// to turn the old master into a replica.
func TestFaultSentinelFailover(t *testing.T) {
	redistest.RequireBinary(t)
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, "--client", "go-redis,rueidis", "run", "--redis", "local-sentinel", "-q", "-o", path,
		"--algo", "fixed,gcra", "--workload", "steady", "--rate", "200", "--requests", "1800",
		"--limit", "100", "--window", "1h", "--fault", "failover@500ms", "--fault", "script-flush@7s")
	if code := Main(io); code > 1 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	f := readFile(t, path)
	checkClients(t, f, 2)
	for _, r := range f.Runs {
		if len(r.Events) != 2 {
			t.Fatalf("%s: events %+v, want a failover and a script flush", r.Algorithm, r.Events)
		}
		failover, flush := r.Events[0], r.Events[1]
		if failover.Kind != "failover" || failover.Error != "" || !strings.Contains(failover.Detail, "failed rlbench over from 127.0.0.1:") {
			t.Errorf("%s: failover %+v", r.Algorithm, failover)
		}
		if flush.Kind != "script-flush" || flush.Error != "" || !flush.Recovered || flush.Accepted+flush.Rejected == 0 {
			t.Errorf("%s: script flush %+v, want decisions after it", r.Algorithm, flush)
		}
		t.Logf("%s: accepted %d, unknown %d, errors %d; over-admitted %d; failover: %s took %dµs, %d errors, %d unknown, outage %dµs",
			r.Algorithm, r.Counts.Accepted, r.Counts.Unknown, r.Counts.Errors, r.Accuracy.OverAdmitted,
			failover.Detail, failover.TookUS, failover.Errors, failover.Unknown, failover.OutageUS)
	}
}

// Killing or restarting a Sentinel deployment's master is refused: its
// sentinels would fail it over on their own, at a time of their choosing.
func TestFaultSentinelRefusesRestart(t *testing.T) {
	redistest.RequireBinary(t)
	io, _, errOut := newTestIO(nil, "run", "--redis", "local-sentinel", "--algo", "fixed", "--requests", "5", "--fault", "restart@1s")
	if code := Main(io); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if msg := errOut.String(); msg != "rlbench: --fault restart is not possible on the sentinel rlbench started: want one of pause, script-flush, failover\n" {
		t.Errorf("stderr %q", msg)
	}
}

package redistest_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
)

// TestStartSentinel checks the deployment a Sentinel test gets: a master
// the sentinels name, a replica that follows it, and a failover that
// swaps the two; Stop leaves no process behind.
func TestStartSentinel(t *testing.T) {
	d := redistest.StartSentinelWith(t, redisserver.SentinelOptions{Password: "s3cret pass", SentinelPassword: "sentinel#pw"})
	if len(d.Sentinels) != 3 {
		t.Fatalf("%d sentinels, want 3", len(d.Sentinels))
	}
	want := "redis-sentinel://" + d.Sentinels[0].Addr + "," + d.Sentinels[1].Addr + "," + d.Sentinels[2].Addr + "/" + redisserver.DefaultMasterName
	if d.URL != want {
		t.Errorf("URL = %q, want %q", d.URL, want)
	}
	if got := d.MasterAddr(t); got != d.Master.Addr {
		t.Fatalf("sentinels name master %s, want %s", got, d.Master.Addr)
	}
	c := d.Client(t)
	if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET through the failover client: %v", err)
	}

	promoted := d.Failover(t)
	if promoted != d.Replica || d.MasterAddr(t) != d.Replica.Addr {
		t.Fatalf("after failover the master is %s, want the replica %s", d.MasterAddr(t), d.Replica.Addr)
	}
	// The write reached the replica before it was promoted.
	if got, err := c.Get(t.Context(), "k").Result(); err != nil || got != "v" {
		t.Errorf("GET after failover = %q, %v; want \"v\"", got, err)
	}
	for _, s := range []*redisserver.Server{d.Master, d.Replica, d.Sentinels[0]} {
		if strings.Contains(s.Log(), "s3cret") {
			t.Errorf("%s's log shows the password", s.Addr)
		}
	}

	pids := []int{d.Master.Pid, d.Replica.Pid}
	for _, s := range d.Sentinels {
		pids = append(pids, s.Pid)
	}
	d.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still there after Stop (kill 0: %v)", pid, err)
		}
	}
}

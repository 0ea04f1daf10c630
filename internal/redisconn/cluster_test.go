package redisconn

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// checkClusterTarget asserts that tgt is the cluster c, seen whole.
func checkClusterTarget(t *testing.T, tgt *Target, masters []string) {
	t.Helper()
	if tgt.Kind != KindCluster {
		t.Fatalf("Kind = %q, want %q", tgt.Kind, KindCluster)
	}
	if _, ok := tgt.Client.(*redis.ClusterClient); !ok {
		t.Fatalf("Client is %T, want *redis.ClusterClient", tgt.Client)
	}
	if tgt.ServerVersion == "unknown" || tgt.ServerVersion == "" {
		t.Errorf("ServerVersion = %q", tgt.ServerVersion)
	}
	slots := 0
	var got []string
	for _, s := range tgt.Shards {
		slots += s.Slots
		got = append(got, s.Master)
		if len(s.Replicas) != 1 {
			t.Errorf("master %s has replicas %v, want one", s.Master, s.Replicas)
		}
	}
	if slots != 16384 || len(got) != 3 {
		t.Errorf("shards %+v: %d masters serving %d slots, want 3 serving 16384", tgt.Shards, len(got), slots)
	}
	for _, m := range masters {
		if !strings.Contains(strings.Join(got, " "), m) {
			t.Errorf("shards %v do not name master %s", got, m)
		}
	}
	// Keys spread over every master: the client follows the slot map.
	served := map[string]int{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		if err := tgt.Client.Set(t.Context(), k, 1, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		m, err := tgt.MasterOf(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		served[m]++
	}
	if len(served) != 3 {
		t.Errorf("12 keys landed on masters %v, want all 3", served)
	}
}

func masterAddrs(c *redistest.Cluster) []string {
	var out []string
	for _, m := range c.Proc.Masters() {
		out = append(out, m.Addr)
	}
	return out
}

// TestOpenClusterDetected: a plain URL of one node becomes a cluster
// target because the node says it is one.
func TestOpenClusterDetected(t *testing.T) {
	c := redistest.StartCluster(t)
	one := "redis://" + c.Proc.Masters()[1].Addr + "/0"
	tgt, err := Open(t.Context(), one, Options{PoolSize: 4})
	if err != nil {
		t.Fatalf("Open(%s): %v", one, err)
	}
	defer tgt.Close()
	checkClusterTarget(t, tgt, masterAddrs(c))
}

// TestOpenClusterSeeds: the addr= form of go-redis, seeds and all.
func TestOpenClusterSeeds(t *testing.T) {
	c := redistest.StartCluster(t)
	tgt, err := Open(t.Context(), c.URL, Options{PoolSize: 4})
	if err != nil {
		t.Fatalf("Open(%s): %v", c.URL, err)
	}
	defer tgt.Close()
	checkClusterTarget(t, tgt, masterAddrs(c))
	if n := strings.Count(tgt.Address, ","); n != 2 {
		t.Errorf("Address %q, want the three seeds", tgt.Address)
	}
	// The pool of every master was warmed: no measured decision dials.
	err = tgt.Client.(*redis.ClusterClient).ForEachMaster(t.Context(), func(_ context.Context, m *redis.Client) error {
		if n := m.PoolStats().TotalConns; n < 4 {
			t.Errorf("master %s pool holds %d connections, want 4", m.Options().Addr, n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenClusterForced: --cluster on a server that is no cluster node
// fails in one line that says so.
func TestOpenClusterForced(t *testing.T) {
	srv := redistest.Start(t)
	_, err := Open(t.Context(), srv.URL, Options{Cluster: true})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cluster support disabled") {
		t.Fatalf("Open(--cluster, single server) error = %v; want ErrUnreachable saying cluster support is disabled", err)
	}
	c := redistest.StartCluster(t)
	tgt, err := Open(t.Context(), "redis://"+c.Proc.Masters()[0].Addr, Options{Cluster: true})
	if err != nil {
		t.Fatalf("Open(--cluster): %v", err)
	}
	defer tgt.Close()
	checkClusterTarget(t, tgt, masterAddrs(c))
}

func TestOpenClusterBadURL(t *testing.T) {
	for _, raw := range []string{
		"redis://u:" + password + "@127.0.0.1:7000?addr=nocolon",
		"redis://u:" + password + "@127.0.0.1:7000/3?addr=127.0.0.1:7001",
		"redis://u:" + password + "@127.0.0.1:7000?addr=127.0.0.1:7001&bogus=1",
	} {
		_, err := Open(t.Context(), raw, Options{})
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("Open(%s) error = %v, want ErrBadURL", Redact(raw), err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestOpenLocalCluster(t *testing.T) {
	redistest.RequireBinary(t)
	tgt, err := Open(t.Context(), LocalCluster, Options{PoolSize: 2})
	if err != nil {
		t.Fatalf("Open(local-cluster): %v", err)
	}
	if tgt.LocalCluster == nil {
		t.Fatal("LocalCluster is nil")
	}
	var masters []string
	for _, m := range tgt.LocalCluster.Masters() {
		masters = append(masters, m.Addr)
	}
	checkClusterTarget(t, tgt, masters)
	nodes := tgt.LocalCluster.Nodes
	if err := tgt.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, n := range nodes {
		if err := syscall.Kill(n.Pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("node %s (pid %d) still there after Close (kill 0: %v)", n.Addr, n.Pid, err)
		}
	}
}

package redistest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// TestStartCluster checks the shape the helper promises: three masters
// with a replica each, every node agreeing that the masters serve all
// 16384 slots, and keys landing on every master.
func TestStartCluster(t *testing.T) {
	c := redistest.StartCluster(t)
	p := c.Proc
	if len(p.Nodes) != 6 || len(p.Masters()) != 3 || len(p.Replicas()) != 3 {
		t.Fatalf("%d nodes, %d masters, %d replicas; want 6, 3, 3", len(p.Nodes), len(p.Masters()), len(p.Replicas()))
	}
	ids := map[string]bool{}
	for _, m := range p.Masters() {
		ids[m.ID] = true
		if m.Port > 55535 {
			t.Errorf("master on port %d: its bus port would pass 65535", m.Port)
		}
	}
	for _, r := range p.Replicas() {
		if !ids[r.MasterID] {
			t.Errorf("replica %s follows %q, not one of the masters", r.Addr, r.MasterID)
		}
	}
	for _, m := range p.Masters()[1:] {
		if !strings.Contains(c.URL, "addr="+m.Addr) {
			t.Errorf("URL %s does not name master %s as a seed", c.URL, m.Addr)
		}
	}

	rdb := c.Client(t)
	ctx := t.Context()
	for i := range 100 {
		if err := rdb.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET: %v", err)
		}
	}
	for i, m := range c.MasterClients(t) {
		n, err := m.DBSize(ctx).Result()
		if err != nil || n == 0 {
			t.Errorf("master %d holds %d keys (%v); want some of the 100", i, n, err)
		}
	}

	// The next test starts from empty masters, on the same cluster.
	again := redistest.StartCluster(t)
	if again.Proc != p {
		t.Error("a second StartCluster started another cluster")
	}
	if n, err := rdb.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE after StartCluster = %d, %v; want 0", n, err)
	}
}

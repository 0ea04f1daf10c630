package algorithms

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestPreloadEveryMaster checks that Preload through a cluster client
// leaves every script on every master. (go-redis sends SCRIPT LOAD to the
// replicas it knows too, but Redis 7's CLUSTER SLOTS leaves out a replica
// that has replicated nothing yet, as in this empty cluster: a replica
// promoted by a failover may lack them, which NOSCRIPT handling covers.)
func TestPreloadEveryMaster(t *testing.T) {
	c := redistest.StartCluster(t)
	ctx := context.Background()
	var hashes []string
	for _, r := range registry {
		if r.script != nil {
			hashes = append(hashes, r.script.Hash())
		}
	}
	masters := c.Proc.Masters()
	nodes := make([]*redis.Client, 0, len(masters))
	for _, n := range masters {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, rdb)
	}
	if err := Preload(ctx, c.Client(t)); err != nil {
		t.Fatal(err)
	}
	for i, rdb := range nodes {
		exists, err := rdb.ScriptExists(ctx, hashes...).Result()
		if err != nil {
			t.Fatal(err)
		}
		for j, ok := range exists {
			if !ok {
				t.Errorf("node %s lacks script %s after Preload", masters[i].Addr, hashes[j])
			}
		}
	}
}

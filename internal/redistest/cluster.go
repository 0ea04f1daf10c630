package redistest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// Cluster is the Redis Cluster a test binary shares: three masters with a
// replica each, started by the first StartCluster and stopped by Main.
type Cluster struct {
	// URL is a redis:// URL of one master with the others as addr=
	// parameters (go-redis's cluster URL form).
	URL string
	// Proc is the running cluster: its nodes, their roles and pids.
	Proc *redisserver.Cluster
}

// shared is the one cluster of this test binary. Starting six servers and
// letting them agree takes seconds, so tests share it and Main stops it.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	// mained is set by Main: without it no one would stop the cluster.
	mained bool
}

// Main runs the package's tests and then stops the shared cluster, if
// one was started. Call it from TestMain in every package whose tests
// call StartCluster:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
func Main(m *testing.M) {
	shared.mained = true
	code := m.Run()
	if shared.cluster != nil {
		shared.cluster.Proc.Stop()
	}
	os.Exit(code)
}

// StartCluster returns the test binary's cluster, starting it on first
// use, and FLUSHALLs every master so that the test starts from empty
// databases. Tests that share it must not run in parallel with each
// other. A missing binary skips or fails t as Start does.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	RequireBinary(t)
	if !shared.mained {
		t.Fatal("redistest: StartCluster needs the package's TestMain to call redistest.Main(m), which stops the cluster")
	}
	shared.once.Do(func() {
		// Not t.Context(): the cluster outlives this test.
		c, err := redisserver.StartCluster(context.Background(), redisserver.ClusterOptions{})
		if err != nil {
			shared.err = err
			return
		}
		shared.cluster = &Cluster{URL: c.URL, Proc: c}
	})
	if shared.err != nil {
		t.Fatalf("redistest: %v", shared.err)
	}
	c := shared.cluster
	for _, m := range c.Proc.Masters() {
		if err := flushAll(t, m.Addr); err != nil {
			t.Fatalf("redistest: %v", err)
		}
	}
	return c
}

func flushAll(t testing.TB, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.FlushAll(t.Context()).Err(); err != nil {
		return fmt.Errorf("FLUSHALL on %s: %w", addr, err)
	}
	return nil
}

// Client returns a cluster client seeded with every master, closed with
// t.Cleanup.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	t.Helper()
	opts, err := redis.ParseClusterURL(c.URL)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	rdb := redis.NewClusterClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// MasterClients returns one plain client per master, closed with
// t.Cleanup: for checking what each node holds.
func (c *Cluster) MasterClients(t testing.TB) []*redis.Client {
	t.Helper()
	var out []*redis.Client
	for _, m := range c.Proc.Masters() {
		rdb := redis.NewClient(&redis.Options{Addr: m.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		out = append(out, rdb)
	}
	return out
}

package redistest

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// Sentinel is a running Sentinel deployment (a master, a replica, three
// sentinels), stopped by the Cleanup of the test that started it.
type Sentinel struct {
	*redisserver.Sentinel
	opts redisserver.SentinelOptions
}

// StartSentinel starts a Sentinel deployment on free loopback ports with
// no passwords, stopped with t.Cleanup, with Start's policy for a missing
// binary.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	return StartSentinelWith(t, redisserver.SentinelOptions{})
}

// StartSentinelWith is StartSentinel with opts (its Dir defaults to a
// t.TempDir()): passwords, another master name.
func StartSentinelWith(t testing.TB, opts redisserver.SentinelOptions) *Sentinel {
	t.Helper()
	RequireBinary(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	d, err := redisserver.StartSentinel(t.Context(), opts)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(d.Stop)
	return &Sentinel{Sentinel: d, opts: opts}
}

// FailoverOptions are what a go-redis failover client needs to reach d,
// passwords included.
func (d *Sentinel) FailoverOptions() *redis.FailoverOptions {
	addrs := make([]string, len(d.Sentinels))
	for i, s := range d.Sentinels {
		addrs[i] = s.Addr
	}
	return &redis.FailoverOptions{
		MasterName:       d.MasterName,
		SentinelAddrs:    addrs,
		Password:         d.opts.Password,
		SentinelPassword: d.opts.SentinelPassword,
	}
}

// Client returns a go-redis failover client for d, closed with t.Cleanup,
// with FLUSHALL done first on the master.
func (d *Sentinel) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewFailoverClient(d.FailoverOptions())
	t.Cleanup(func() { _ = c.Close() })
	if err := c.FlushAll(t.Context()).Err(); err != nil {
		t.Fatalf("redistest: FLUSHALL through the sentinels of %s: %v", d.MasterName, err)
	}
	return c
}

// MasterAddr is the master's address as the sentinels name it now.
func (d *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	m, err := d.MasterNow(t.Context())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return m.Addr
}

// Failover runs SENTINEL FAILOVER and waits until it is over: every
// sentinel names the promoted replica as the master, and the old master
// has resynced as its replica (Heal). It returns the new master.
func (d *Sentinel) Failover(t testing.TB) *redisserver.Server {
	t.Helper()
	promoted, err := d.Sentinel.Failover(t.Context())
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if err := d.Heal(t.Context()); err != nil {
		t.Fatalf("redistest: after the failover to %s: %v", promoted.Addr, err)
	}
	return promoted
}

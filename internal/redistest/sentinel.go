package redistest

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// failoverTimeout bounds a whole SENTINEL FAILOVER: promotion, the
// sentinels' agreement and the old master's resync as a replica.
const failoverTimeout = 60 * time.Second

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

// MasterAddr is the master's address as the first sentinel names it.
func (d *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	addr, err := d.masterAddr(t.Context(), d.Sentinels[0])
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return addr
}

// Failover runs SENTINEL FAILOVER and waits until it is over: every
// sentinel names the promoted replica as the master with no failover in
// progress, and the old master has resynced as its replica. It returns
// the new master.
func (d *Sentinel) Failover(t testing.TB) *redisserver.Server {
	t.Helper()
	ctx := t.Context()
	old := d.MasterAddr(t)
	c := d.sentinelClient(d.Sentinels[0])
	defer c.Close()
	if err := c.Failover(ctx, d.MasterName).Err(); err != nil {
		t.Fatalf("redistest: SENTINEL FAILOVER %s: %v", d.MasterName, err)
	}
	var promoted, demoted *redisserver.Server
	for _, s := range []*redisserver.Server{d.Master, d.Replica} {
		if s.Addr == old {
			demoted = s
		} else {
			promoted = s
		}
	}
	if demoted == nil {
		t.Fatalf("redistest: master %s is neither %s nor %s", old, d.Master.Addr, d.Replica.Addr)
	}
	deadline := time.Now().Add(failoverTimeout)
	for {
		err := d.failedOver(ctx, promoted, demoted)
		if err == nil {
			return promoted
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: failover from %s not over after %v: %v", old, failoverTimeout, err)
		}
		time.Sleep(pollInterval)
	}
}

// failedOver says what is not yet as a finished failover to promoted
// leaves it.
func (d *Sentinel) failedOver(ctx context.Context, promoted, demoted *redisserver.Server) error {
	for _, s := range d.Sentinels {
		c := d.sentinelClient(s)
		m, err := c.Master(ctx, d.MasterName).Result()
		_ = c.Close()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", s.Addr, err)
		}
		if m["port"] != strconv.Itoa(promoted.Port) || m["flags"] != "master" {
			return fmt.Errorf("sentinel %s sees master port %s, flags %q", s.Addr, m["port"], m["flags"])
		}
	}
	c := redis.NewClient(&redis.Options{Addr: demoted.Addr, Password: d.opts.Password, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return fmt.Errorf("old master %s: %w", demoted.Addr, err)
	}
	f := redisserver.ParseInfo(info)
	if f["role"] != "slave" || f["master_port"] != strconv.Itoa(promoted.Port) || f["master_link_status"] != "up" {
		return fmt.Errorf("old master %s: role %s of port %s, link %s", demoted.Addr, f["role"], f["master_port"], f["master_link_status"])
	}
	return nil
}

func (d *Sentinel) sentinelClient(s *redisserver.Server) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.Addr, Password: d.opts.SentinelPassword, MaxRetries: -1, PoolSize: 1})
}

func (d *Sentinel) masterAddr(ctx context.Context, s *redisserver.Server) (string, error) {
	c := d.sentinelClient(s)
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, d.MasterName).Result()
	if err != nil {
		return "", fmt.Errorf("sentinel %s: SENTINEL GET-MASTER-ADDR-BY-NAME %s: %w", s.Addr, d.MasterName, err)
	}
	return hp[0] + ":" + hp[1], nil
}

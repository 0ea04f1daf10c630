package redisserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultMasterName is the name the sentinels of StartSentinel monitor
// their master under, unless SentinelOptions says otherwise.
const DefaultMasterName = "rlbench"

// sentinelCount is how many sentinels StartSentinel starts: three, with a
// quorum of two, the smallest deployment that survives losing one.
const sentinelCount = 3

// sentinelReadyTimeout bounds the wait for the sentinels to find the
// replica and each other (they say hello every 2 s), or to see an old
// master resynced as a replica (they ask each for INFO every 10 s).
const sentinelReadyTimeout = 60 * time.Second

// SentinelOptions say how to start a Sentinel deployment. The zero value
// starts one monitored as DefaultMasterName, with no passwords, in a
// temporary directory.
type SentinelOptions struct {
	// Dir holds one directory per process; "" means a new temporary
	// directory, removed by Stop.
	Dir string
	// MasterName is what the sentinels call the master; "" means
	// DefaultMasterName.
	MasterName string
	// Password, when set, is the requirepass of the master and the
	// replica, their masterauth, and the sentinels' auth-pass.
	Password string
	// SentinelPassword, when set, is the sentinels' own requirepass.
	SentinelPassword string
	// DownAfter is down-after-milliseconds: how long the master may not
	// answer before a sentinel thinks it down; 0 means 2 s, short enough
	// for tests of a failover, long enough for a loaded machine.
	DownAfter time.Duration
	// FailoverTimeout is failover-timeout; 0 means 10 s.
	FailoverTimeout time.Duration
}

// Sentinel is a running deployment on 127.0.0.1: a master, a replica of
// it and three sentinels that monitor it with a quorum of two. Master and
// Replica are the roles at start; after a failover the sentinels say which
// is which. Its fields are read-only; Stop it when done.
type Sentinel struct {
	Master    *Server
	Replica   *Server
	Sentinels []*Server
	// MasterName is what the sentinels call the master.
	MasterName string
	// URL names the deployment, with no password:
	// redis-sentinel://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/NAME.
	URL string
	// Dir holds the processes' directories (master, replica, sentinel-1...).
	Dir string

	password, sentinelPassword string
	stop                       func()
}

// Password is the master's and the replica's requirepass, "" for none.
func (d *Sentinel) Password() string { return d.password }

// Stop stops the sentinels first, so that they do not fail over a master
// going away, then the replica and the master, and removes Dir when
// StartSentinel made it. It is safe to call more than once.
func (s *Sentinel) Stop() { s.stop() }

// StartSentinel starts a master, a replica (--replicaof) and three
// sentinels (redis-server sentinel.conf --sentinel: Debian's
// redis-sentinel package is the same binary under another name) on free
// loopback ports, and returns once every sentinel knows the master, the
// replica and the two other sentinels. On failure nothing is left
// running.
func StartSentinel(ctx context.Context, opts SentinelOptions) (*Sentinel, error) {
	if _, err := Binary(); err != nil {
		return nil, err
	}
	if opts.MasterName == "" {
		opts.MasterName = DefaultMasterName
	}
	if opts.DownAfter == 0 {
		opts.DownAfter = 2 * time.Second
	}
	if opts.FailoverTimeout == 0 {
		opts.FailoverTimeout = 10 * time.Second
	}
	dir, owned := opts.Dir, false
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "rlbench-sentinel-"); err != nil {
			return nil, fmt.Errorf("sentinel: %w", err)
		}
		owned = true
	}
	d := &Sentinel{MasterName: opts.MasterName, Dir: dir, password: opts.Password, sentinelPassword: opts.SentinelPassword}
	var stopOnce sync.Once
	d.stop = func() {
		stopOnce.Do(func() {
			for _, s := range d.Sentinels {
				s.Stop()
			}
			for _, s := range []*Server{d.Replica, d.Master} {
				if s != nil {
					s.Stop()
				}
			}
			if owned {
				_ = os.RemoveAll(dir)
			}
		})
	}
	if err := d.start(ctx, opts); err != nil {
		d.stop()
		return nil, fmt.Errorf("sentinel deployment did not start: %w", err)
	}
	return d, nil
}

// start starts the processes in order: the sentinels last, once the
// replica is in sync, so that their first INFO of the master names it.
func (d *Sentinel) start(ctx context.Context, opts SentinelOptions) error {
	// Either may be the master after a failover, so both get what a
	// master needs: masterauth, and a full sync that starts at once, not
	// after diskless sync's 5 s wait for more replicas.
	masterArgs := []string{"--repl-diskless-sync-delay", "0"}
	if opts.Password != "" {
		masterArgs = append(masterArgs, "--masterauth", opts.Password)
	}
	var err error
	if d.Master, err = startIn(ctx, d.Dir, "master", Options{Password: opts.Password, Args: masterArgs}); err != nil {
		return fmt.Errorf("master: %w", err)
	}
	replicaArgs := append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(d.Master.Port)}, masterArgs...)
	if d.Replica, err = startIn(ctx, d.Dir, "replica", Options{Password: opts.Password, Args: replicaArgs}); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if err := waitReplicaOnline(ctx, d.Master, d.Replica, opts.Password); err != nil {
		return err
	}
	for i := range sentinelCount {
		name := fmt.Sprintf("sentinel-%d", i+1)
		conf, err := writeSentinelConfig(filepath.Join(d.Dir, name), d.Master.Port, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		s, err := startIn(ctx, d.Dir, name, Options{Config: conf, Args: []string{"--sentinel"}, Password: opts.SentinelPassword})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d.Sentinels = append(d.Sentinels, s)
	}
	addrs := make([]string, len(d.Sentinels))
	for i, s := range d.Sentinels {
		addrs[i] = s.Addr
	}
	d.URL = "redis-sentinel://" + strings.Join(addrs, ",") + "/" + d.MasterName
	return d.waitAgreed(ctx, d.Master, d.Replica)
}

// startIn starts one server in its own directory under dir.
func startIn(ctx context.Context, dir, name string, opts Options) (*Server, error) {
	opts.Dir = filepath.Join(dir, name)
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	return Start(ctx, opts)
}

// writeSentinelConfig writes a sentinel's configuration file into dir,
// which the sentinel rewrites as it learns the deployment.
func writeSentinelConfig(dir string, masterPort int, opts SentinelOptions) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := configQuote(opts.MasterName)
	conf := fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\n", name, masterPort) +
		fmt.Sprintf("sentinel down-after-milliseconds %s %d\n", name, opts.DownAfter.Milliseconds()) +
		fmt.Sprintf("sentinel failover-timeout %s %d\n", name, opts.FailoverTimeout.Milliseconds())
	if opts.Password != "" {
		conf += fmt.Sprintf("sentinel auth-pass %s %s\n", name, configQuote(opts.Password))
	}
	path := filepath.Join(dir, "sentinel.conf")
	return path, os.WriteFile(path, []byte(conf), 0o600)
}

// configQuote writes s as a double-quoted redis.conf argument, every byte
// but letters and digits as \xHH, so that no password can break the line.
func configQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := range len(s) {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// waitReplicaOnline polls the master until it lists the replica as online.
func waitReplicaOnline(ctx context.Context, master, replica *Server, password string) error {
	c := redis.NewClient(&redis.Options{Addr: master.Addr, Password: password, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	want := fmt.Sprintf("port=%d,state=online", replica.Port)
	return poll(ctx, readyTimeout, func(ctx context.Context) error {
		info, err := c.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if f := ParseInfo(info); !strings.Contains(f["slave0"], want) {
			return fmt.Errorf("master %s does not list replica %s as online yet (slave0:%s)", master.Addr, replica.Addr, f["slave0"])
		}
		return nil
	})
}

// Heal waits until the deployment is as StartSentinel left it, but for
// which server is the master: after a failover, until the old master has
// resynced as a replica and every sentinel has seen it do so (some 10 s:
// a sentinel reconfigures it when it next asks it for INFO).
func (d *Sentinel) Heal(ctx context.Context) error {
	master, err := d.MasterNow(ctx)
	if err != nil {
		return err
	}
	replica := d.Replica
	if master == d.Replica {
		replica = d.Master
	}
	return d.waitAgreed(ctx, master, replica)
}

// waitAgreed polls every sentinel until it knows master as a healthy
// master, replica as a healthy replica, and the other sentinels.
func (d *Sentinel) waitAgreed(ctx context.Context, master, replica *Server) error {
	for _, s := range d.Sentinels {
		c := d.sentinelClient(s)
		err := poll(ctx, sentinelReadyTimeout, func(ctx context.Context) error { return d.agreed(ctx, c, s, master, replica) })
		_ = c.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// agreed says what sentinel s does not know yet, if anything.
func (d *Sentinel) agreed(ctx context.Context, c *redis.SentinelClient, s, master, replica *Server) error {
	m, err := c.Master(ctx, d.MasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL MASTER %s: %w", s.Addr, d.MasterName, err)
	}
	if m["flags"] != "master" || m["port"] != strconv.Itoa(master.Port) {
		return fmt.Errorf("sentinel %s sees master %s:%s with flags %q", s.Addr, m["ip"], m["port"], m["flags"])
	}
	replicas, err := c.Replicas(ctx, d.MasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL REPLICAS %s: %w", s.Addr, d.MasterName, err)
	}
	if len(replicas) != 1 || replicas[0]["port"] != strconv.Itoa(replica.Port) ||
		replicas[0]["flags"] != "slave" || replicas[0]["master-link-status"] != "ok" {
		return fmt.Errorf("sentinel %s sees replicas %v, want %s, linked", s.Addr, replicas, replica.Addr)
	}
	others, err := c.Sentinels(ctx, d.MasterName).Result()
	if err != nil {
		return fmt.Errorf("sentinel %s: SENTINEL SENTINELS %s: %w", s.Addr, d.MasterName, err)
	}
	var ports []string
	for _, o := range others {
		ports = append(ports, o["port"])
	}
	for _, o := range d.Sentinels {
		if o != s && !slices.Contains(ports, strconv.Itoa(o.Port)) {
			return fmt.Errorf("sentinel %s does not know sentinel %s yet (knows ports %v)", s.Addr, o.Addr, ports)
		}
	}
	return nil
}

// poll calls check until it returns nil, for at most timeout.
func poll(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			// The time it took, not timeout: ctx may have been canceled
			// from outside before then.
			return fmt.Errorf("%w after %v: %w", ctx.Err(), time.Since(began).Round(time.Millisecond), err)
		case <-time.After(pollInterval):
		}
	}
}

// MasterNow is the server the sentinels name as the master now: Master
// until a failover, Replica after one.
func (d *Sentinel) MasterNow(ctx context.Context) (*Server, error) {
	c := d.sentinelClient(d.Sentinels[0])
	defer c.Close()
	hp, err := c.GetMasterAddrByName(ctx, d.MasterName).Result()
	if err != nil {
		return nil, fmt.Errorf("sentinel %s: SENTINEL GET-MASTER-ADDR-BY-NAME %s: %w", d.Sentinels[0].Addr, d.MasterName, err)
	}
	for _, s := range []*Server{d.Master, d.Replica} {
		if strconv.Itoa(s.Port) == hp[1] {
			return s, nil
		}
	}
	return nil, fmt.Errorf("sentinel %s names %s:%s as the master, neither of the deployment's servers", d.Sentinels[0].Addr, hp[0], hp[1])
}

// Failover runs SENTINEL FAILOVER and returns the promoted server once
// every sentinel names it as the master, with no failover in progress.
// The old master then resyncs as its replica in the background, once a
// sentinel has next asked it for INFO (every 10 s).
func (d *Sentinel) Failover(ctx context.Context) (*Server, error) {
	old, err := d.MasterNow(ctx)
	if err != nil {
		return nil, err
	}
	promoted := d.Replica
	if old == d.Replica {
		promoted = d.Master
	}
	c := d.sentinelClient(d.Sentinels[0])
	err = c.Failover(ctx, d.MasterName).Err()
	_ = c.Close()
	if err != nil {
		return nil, fmt.Errorf("SENTINEL FAILOVER %s: %w", d.MasterName, err)
	}
	err = poll(ctx, failoverTimeout, func(ctx context.Context) error {
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
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failover from %s to %s: %w", old.Addr, promoted.Addr, err)
	}
	return promoted, nil
}

// failoverTimeout bounds a failover: a forced one takes about a second.
const failoverTimeout = 30 * time.Second

func (d *Sentinel) sentinelClient(s *Server) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.Addr, Password: d.sentinelPassword, MaxRetries: -1, PoolSize: 1})
}

package redisconn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// Faults rlbench can inject into a deployment it started itself.
const (
	// FaultPause is CLIENT PAUSE ALL on every master for a while: every
	// command waits, as in a long fork or a stalled network.
	FaultPause = "pause"
	// FaultScriptFlush is SCRIPT FLUSH on every master: every script is
	// forgotten, and the next EVALSHA gets NOSCRIPT.
	FaultScriptFlush = "script-flush"
	// FaultRestart kills a master and starts it again on its port; with
	// persistence off it comes back empty, every counter lost.
	FaultRestart = "restart"
	// FaultKillMaster kills a master, as a crash would, and leaves it
	// dead: a single server is gone for the rest of the run.
	FaultKillMaster = "kill-master"
	// FaultFailover promotes a replica in place of its master (Cluster
	// and Sentinel only).
	FaultFailover = "failover"
)

// ErrFault means a fault was asked of a deployment that cannot take it:
// one rlbench did not start (it never flushes, pauses or kills a server it
// was only pointed at), or one without replicas to fail over to.
var ErrFault = errors.New("bad fault")

// faultError is an ErrFault in its own words.
type faultError string

func (e faultError) Error() string        { return string(e) }
func (e faultError) Is(target error) bool { return target == ErrFault }

func faultErrorf(format string, args ...any) error { return faultError(fmt.Sprintf(format, args...)) }

// FaultKinds are the faults t can take, in the order the help lists them;
// nil when rlbench did not start t's servers.
func (t *Target) FaultKinds() []string {
	switch {
	case t.Local != nil:
		return []string{FaultPause, FaultScriptFlush, FaultRestart, FaultKillMaster}
	case t.LocalCluster != nil:
		return []string{FaultPause, FaultScriptFlush, FaultRestart, FaultKillMaster, FaultFailover}
	case t.LocalSentinel != nil:
		return sentinelFaultKinds
	}
	return nil
}

// CheckFault says whether t can take a fault of kind: nil, or one line
// that names what can.
func (t *Target) CheckFault(kind string) error {
	kinds := t.FaultKinds()
	if kinds == nil {
		return faultErrorf("--fault %s needs a deployment rlbench starts itself (--redis local, %s or %s); it never pauses, flushes or kills a %s it is pointed at", kind, LocalCluster, LocalSentinel, t.Kind)
	}
	if !slices.Contains(kinds, kind) {
		return faultErrorf("--fault %s is not possible on the %s rlbench started: want one of %s", kind, t.Kind, strings.Join(kinds, ", "))
	}
	return nil
}

// Inject causes a fault of kind (pause lasts for d) and says what it did,
// such as "restarted 127.0.0.1:4242 (pid 100, now 101)". It returns once
// the fault is in place (a restarted server answers again), so callers
// time it. On a cluster, a fault of one master hits the master that
// serves key.
func (t *Target) Inject(ctx context.Context, kind string, d time.Duration, key string) (string, error) {
	if err := t.CheckFault(kind); err != nil {
		return "", err
	}
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	if kind == FaultPause || kind == FaultScriptFlush {
		servers, err := t.faultServers(ctx)
		if err != nil {
			return "", err
		}
		return onServers(ctx, servers, kind, d)
	}
	if t.LocalCluster != nil {
		return t.injectCluster(ctx, kind, key)
	}
	if t.LocalSentinel != nil {
		return injectSentinel(ctx, t.LocalSentinel, kind)
	}
	s := t.Local
	switch kind {
	case FaultRestart:
		next, err := s.Restart(ctx)
		if err != nil {
			return "", fmt.Errorf("restart %s: %w", s.Addr, err)
		}
		t.Local = next
		return fmt.Sprintf("restarted %s empty (pid %d, now %d)", s.Addr, s.Pid, next.Pid), nil
	case FaultKillMaster:
		s.Kill()
		<-s.Exited()
		return fmt.Sprintf("killed %s (pid %d)", s.Addr, s.Pid), nil
	}
	return "", faultErrorf("--fault %s is not possible on a %s", kind, t.Kind)
}

// faultServers are the servers a pause or a script flush acts on: the one
// server, every live node of a cluster, a Sentinel deployment's master of
// the moment.
func (t *Target) faultServers(ctx context.Context) ([]*redisserver.Server, error) {
	switch {
	case t.LocalCluster != nil:
		var live []*redisserver.Server
		for _, n := range t.LocalCluster.Nodes {
			select {
			case <-n.Exited(): // killed by an earlier fault
			default:
				live = append(live, n.Server)
			}
		}
		return live, nil
	case t.LocalSentinel != nil:
		m, err := t.LocalSentinel.MasterNow(ctx)
		if err != nil {
			return nil, err
		}
		return []*redisserver.Server{m}, nil
	}
	return []*redisserver.Server{t.Local}, nil
}

// onServers pauses every one of servers for d (CLIENT PAUSE ALL) or
// flushes its scripts, each through a client of its own (a paused pool
// connection would hold a worker's place), and says so.
func onServers(ctx context.Context, servers []*redisserver.Server, kind string, d time.Duration) (string, error) {
	ms := max(d.Milliseconds(), 1)
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.Addr
		c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password(), MaxRetries: -1, PoolSize: 1})
		var err error
		if kind == FaultPause {
			err = c.Do(ctx, "CLIENT", "PAUSE", ms, "ALL").Err()
		} else {
			err = c.ScriptFlush(ctx).Err()
		}
		_ = c.Close()
		if err != nil {
			return "", fmt.Errorf("%s on %s: %w", kind, s.Addr, err)
		}
	}
	if kind == FaultPause {
		return fmt.Sprintf("paused %s for %v", strings.Join(addrs, ", "), time.Duration(ms)*time.Millisecond), nil
	}
	return "flushed the scripts of " + strings.Join(addrs, ", "), nil
}

// Heal brings a deployment rlbench started back to health after a run
// with faults, so that the next run starts from the same place: a killed
// server is started again (empty), and a cluster is whole again.
func (t *Target) Heal(ctx context.Context) error {
	t.faultMu.Lock()
	defer t.faultMu.Unlock()
	if t.LocalCluster != nil {
		return t.healCluster(ctx)
	}
	if t.LocalSentinel != nil {
		return t.LocalSentinel.Heal(ctx)
	}
	if t.Local == nil {
		return nil
	}
	select {
	case <-t.Local.Exited():
	default:
		return nil
	}
	next, err := t.Local.Restart(ctx)
	if err != nil {
		return fmt.Errorf("start %s again after the run: %w", t.Local.Addr, err)
	}
	t.Local = next
	return nil
}

package redisconn

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// failoverTimeout bounds the wait for a replica to become master.
const failoverTimeout = 30 * time.Second

// injectCluster causes a fault of kind on the master that serves key.
func (t *Target) injectCluster(ctx context.Context, kind string, key string) (string, error) {
	c := t.LocalCluster
	cc, ok := t.Client.(*redis.ClusterClient)
	if !ok {
		return "", fmt.Errorf("%s: not a cluster client", t.Address)
	}
	master, err := t.masterNode(ctx, cc, key)
	if err != nil {
		return "", err
	}
	switch kind {
	case FaultKillMaster:
		master.Kill()
		<-master.Exited()
		return fmt.Sprintf("killed master %s (pid %d)", master.Addr, master.Pid), nil
	case FaultRestart:
		pid := master.Pid
		if err := c.Restart(ctx, master); err != nil {
			return "", fmt.Errorf("restart master %s: %w", master.Addr, err)
		}
		return fmt.Sprintf("restarted master %s empty (pid %d, now %d)", master.Addr, pid, master.Pid), nil
	case FaultFailover:
		replica, err := t.replicaOf(ctx, cc, master)
		if err != nil {
			return "", err
		}
		if err := t.failover(ctx, replica); err != nil {
			return "", err
		}
		// The client learns the new master on its first MOVED; reloading
		// now spares a round of redirects.
		cc.ReloadState(ctx)
		return fmt.Sprintf("failed master %s over to its replica %s", master.Addr, replica.Addr), nil
	}
	return "", faultErrorf("--fault %s is not possible on a cluster", kind)
}

// nodeClient is a client of its own to one node, for an admin command.
func (t *Target) nodeClient(n *redisserver.Node) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr, Password: n.Password(), MaxRetries: -1, PoolSize: 1})
}

// masterNode is the node that serves key now, as the client's slot map
// says.
func (t *Target) masterNode(ctx context.Context, cc *redis.ClusterClient, key string) (*redisserver.Node, error) {
	m, err := cc.MasterForKey(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("which master serves %q: %w", key, err)
	}
	addr := m.Options().Addr
	for _, n := range t.LocalCluster.Nodes {
		if n.Addr == addr {
			return n, nil
		}
	}
	return nil, fmt.Errorf("master %s of %q is not a node rlbench started", addr, key)
}

// replicaOf is a live replica of master, as the cluster says now (a
// failover swaps roles; shards leaves out failed nodes).
func (t *Target) replicaOf(ctx context.Context, cc *redis.ClusterClient, master *redisserver.Node) (*redisserver.Node, error) {
	now, err := shards(ctx, cc)
	if err != nil {
		return nil, err
	}
	for _, sh := range now {
		if sh.Master != master.Addr {
			continue
		}
		for _, addr := range sh.Replicas {
			for _, n := range t.LocalCluster.Nodes {
				if n.Addr == addr {
					return n, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("master %s has no live replica to fail over to", master.Addr)
}

// failover asks replica to take its master's place (CLUSTER FAILOVER: the
// master stops writes until the replica has caught up, so nothing is
// lost) and waits until it has.
func (t *Target) failover(ctx context.Context, replica *redisserver.Node) error {
	rc := t.nodeClient(replica)
	defer rc.Close()
	if err := rc.Do(ctx, "CLUSTER", "FAILOVER").Err(); err != nil {
		return fmt.Errorf("%s: CLUSTER FAILOVER: %w", replica.Addr, err)
	}
	deadline := time.Now().Add(failoverTimeout)
	for {
		info, err := rc.Info(ctx, "replication").Result()
		if err == nil && redisserver.ParseInfo(info)["role"] == "master" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still not master %v after CLUSTER FAILOVER", replica.Addr, failoverTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// healCluster starts again every node a fault killed and waits until the
// cluster is whole: every slot served, every node agreeing.
func (t *Target) healCluster(ctx context.Context) error {
	c := t.LocalCluster
	for _, n := range c.Nodes {
		select {
		case <-n.Exited():
			if err := c.Restart(ctx, n); err != nil {
				return fmt.Errorf("start %s again after the run: %w", n.Addr, err)
			}
		default:
		}
	}
	if err := c.WaitHealthy(ctx, c.Nodes[0].Password()); err != nil {
		return err
	}
	if cc, ok := t.Client.(*redis.ClusterClient); ok {
		cc.ReloadState(ctx)
	}
	return nil
}

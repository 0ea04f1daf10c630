package redisserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// clusterMasters and clusterReplicas are the shape StartCluster
	// builds: the smallest cluster in which every master has a replica
	// to fail over to.
	clusterMasters  = 3
	clusterReplicas = 1
	// busOffset is how far above its port a cluster node's bus listens;
	// Redis refuses a port whose bus would pass 65535.
	busOffset      = 10000
	maxClusterPort = 65535 - busOffset
	// clusterTimeout bounds `redis-cli --cluster create` and the wait for
	// every node to agree; generous for machines under -race.
	clusterTimeout = 60 * time.Second
)

// ClusterOptions say how to start a cluster. The zero value starts three
// masters and three replicas in a temporary directory.
type ClusterOptions struct {
	// Dir holds one directory per node (its log and nodes.conf); "" means
	// a new temporary directory, removed by Stop.
	Dir string
	// Args are more redis-server arguments for every node.
	Args []string
	// Password, when set, is every node's requirepass and masterauth.
	Password string
}

// Cluster is a running Redis Cluster on loopback: three masters with one
// replica each, every slot assigned. Its fields are read-only; Stop it
// when done.
type Cluster struct {
	// Nodes are the servers, masters first, in the roles they had when
	// the cluster was created: a failover changes them, so ask the
	// cluster (CLUSTER NODES) when that matters.
	Nodes []*Node
	// URL is a redis:// URL of the first master with the others as
	// go-redis addr= parameters, as redis.ParseClusterURL reads it;
	// never a password.
	URL string

	servers []*Server // the processes Stop stops; Restart replaces one
	stop    func()
}

// Node is one server of a Cluster.
type Node struct {
	*Server
	// ID is the node's cluster ID (CLUSTER MYID).
	ID string
	// MasterID is the ID of the master it replicates; "" for a master.
	MasterID string
}

// Masters are the nodes created as masters.
func (c *Cluster) Masters() []*Node {
	return slices.DeleteFunc(slices.Clone(c.Nodes), func(n *Node) bool { return n.MasterID != "" })
}

// Replicas are the nodes created as replicas.
func (c *Cluster) Replicas() []*Node {
	return slices.DeleteFunc(slices.Clone(c.Nodes), func(n *Node) bool { return n.MasterID == "" })
}

// Stop kills every node and waits until all have exited (and removes the
// directory when StartCluster made it). It is safe to call more than once.
func (c *Cluster) Stop() { c.stop() }

// StartCluster starts six cluster-enabled servers on free loopback ports
// (each with its bus port free too), joins them with `redis-cli --cluster
// create --cluster-replicas 1`, and returns once every node reports
// cluster_state:ok, knows every other, all agree on which master serves
// which slots and which node replicates which, and every replica's link to
// its master is up. On failure nothing
// is left running.
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	cli, err := cliBinary()
	if err != nil {
		return nil, err
	}
	dir, owned := opts.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rlbench-cluster-"); err != nil {
			return nil, fmt.Errorf("redis cluster: %w", err)
		}
		owned = true
	}
	servers, err := startNodes(ctx, dir, opts)
	stopAll := func() {
		for _, s := range servers {
			if s != nil {
				s.Stop()
			}
		}
		if owned {
			_ = os.RemoveAll(dir)
		}
	}
	if err != nil {
		stopAll()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, clusterTimeout)
	defer cancel()
	c, err := joinNodes(ctx, cli, servers, opts.Password)
	if err != nil {
		stopAll()
		return nil, err
	}
	c.servers = servers
	c.stop = sync.OnceFunc(stopAll)
	return c, nil
}

// Restart kills n, as a crash would, and starts it again on its port with
// its cluster config file, so that it rejoins the cluster; with
// persistence off it comes back empty. Not safe to call concurrently
// with Stop or another Restart.
func (c *Cluster) Restart(ctx context.Context, n *Node) error {
	i := slices.Index(c.servers, n.Server)
	if i < 0 {
		return fmt.Errorf("%s is not a node of this cluster", n.Addr)
	}
	next, err := n.Server.Restart(ctx)
	if err != nil {
		return err
	}
	c.servers[i], n.Server = next, next
	return nil
}

// WaitHealthy waits until the cluster is whole again, as StartCluster
// does, and updates each node's role (MasterID) to what the cluster now
// says: a failover swaps a master and its replica.
func (c *Cluster) WaitHealthy(ctx context.Context, password string) error {
	ctx, cancel := context.WithTimeout(ctx, clusterTimeout)
	defer cancel()
	clients := make([]*redis.Client, len(c.servers))
	for i, s := range c.servers {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr, Password: password, MaxRetries: -1, PoolSize: 1})
		defer clients[i].Close()
	}
	var last error
	for {
		now, err := settled(ctx, c.servers, clients)
		if err == nil {
			for _, n := range c.Nodes {
				for _, m := range now.Nodes {
					if m.Server == n.Server {
						n.MasterID = m.MasterID
					}
				}
			}
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis cluster not whole again: %w (last check: %w)", ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// cliBinary finds redis-cli beside redis-server, else on PATH.
func cliBinary() (string, error) {
	server, err := Binary()
	if err != nil {
		return "", err
	}
	if p := filepath.Join(filepath.Dir(server), "redis-cli"); isExecutable(p) {
		return p, nil
	}
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		return "", fmt.Errorf("%w (redis-cli, for redis-cli --cluster create): install the Debian package redis-tools", ErrNoBinary)
	}
	return p, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// startNodes starts the six servers at once, each in its own directory.
func startNodes(ctx context.Context, dir string, opts ClusterOptions) ([]*Server, error) {
	n := clusterMasters * (1 + clusterReplicas)
	servers := make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		nodeDir := filepath.Join(dir, fmt.Sprintf("node-%d", i))
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			return servers, fmt.Errorf("redis cluster: %w", err)
		}
		args := append([]string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
			// Replicas sync at once rather than after the default 5 s
			// wait for more replicas to share the transfer.
			"--repl-diskless-sync-delay", "0",
		}, opts.Args...)
		if opts.Password != "" {
			args = append(args, "--masterauth", opts.Password)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			servers[i], errs[i] = Start(ctx, Options{Dir: nodeDir, Args: args, MaxPort: maxClusterPort, Password: opts.Password, clusterBus: true})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return servers, fmt.Errorf("redis cluster node: %w", err)
	}
	return servers, nil
}

// joinNodes runs redis-cli --cluster create and waits for the cluster to
// settle, then reads the roles it gave each node.
func joinNodes(ctx context.Context, cli string, servers []*Server, password string) (*Cluster, error) {
	args := []string{"--cluster", "create"}
	for _, s := range servers {
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(clusterReplicas), "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	// REDISCLI_AUTH rather than -a, which would show the password in ps.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "REDISCLI_AUTH=") })
	if password != "" {
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+password)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %w\n%s", err, strings.TrimSpace(out.String()))
	}

	clients := make([]*redis.Client, len(servers))
	for i, s := range servers {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr, Password: password, MaxRetries: -1, PoolSize: 1})
		defer clients[i].Close()
	}
	var last error
	for {
		c, err := settled(ctx, servers, clients)
		if err == nil {
			return c, nil
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("redis cluster did not settle: %w (last check: %w)", ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// settled checks once that the cluster is whole and every node sees the
// same one; it returns the cluster as the first node sees it.
func settled(ctx context.Context, servers []*Server, clients []*redis.Client) (*Cluster, error) {
	var view string
	for i, c := range clients {
		info, err := c.ClusterInfo(ctx).Result()
		if err != nil {
			return nil, fmt.Errorf("%s: CLUSTER INFO: %w", servers[i].Addr, err)
		}
		f := ParseInfo(info)
		if f["cluster_state"] != "ok" || f["cluster_known_nodes"] != strconv.Itoa(len(servers)) || f["cluster_slots_assigned"] != "16384" {
			return nil, fmt.Errorf("%s: cluster_state %s, %s nodes known, %s slots assigned", servers[i].Addr, f["cluster_state"], f["cluster_known_nodes"], f["cluster_slots_assigned"])
		}
		v, err := nodesView(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", servers[i].Addr, err)
		}
		if i == 0 {
			view = v
		} else if v != view {
			return nil, fmt.Errorf("%s sees nodes %s; %s sees %s", servers[0].Addr, view, servers[i].Addr, v)
		}
	}
	cluster, err := roles(ctx, clients[0], servers)
	if err != nil {
		return nil, err
	}
	for _, r := range cluster.Replicas() {
		info, err := clients[slices.Index(servers, r.Server)].Info(ctx, "replication").Result()
		if err != nil {
			return nil, fmt.Errorf("%s: INFO replication: %w", r.Addr, err)
		}
		if f := ParseInfo(info); f["master_link_status"] != "up" {
			return nil, fmt.Errorf("replica %s: master_link_status %q", r.Addr, f["master_link_status"])
		}
	}
	return cluster, nil
}

// nodesView is the cluster as c sees it: every node's ID, the master it
// replicates and the slots it serves, from CLUSTER NODES. Nodes agree when
// their views are equal.
func nodesView(ctx context.Context, c *redis.Client) (string, error) {
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return "", fmt.Errorf("CLUSTER NODES: %w", err)
	}
	var nodes []string
	for line := range strings.Lines(text) {
		// <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		nodes = append(nodes, f[0]+" "+f[3]+" "+strings.Join(f[8:], " "))
	}
	slices.Sort(nodes)
	return strings.Join(nodes, "; "), nil
}

// roles reads CLUSTER NODES and pairs each server with its ID and master,
// masters first.
func roles(ctx context.Context, c *redis.Client, servers []*Server) (*Cluster, error) {
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER NODES: %w", err)
	}
	byAddr := make(map[string]*Server, len(servers))
	for _, s := range servers {
		byAddr[s.Addr] = s
	}
	cluster := &Cluster{}
	for line := range strings.Lines(text) {
		// <id> <ip:port@cport> <flags> <master> ...
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		s, ok := byAddr[addr]
		if !ok {
			return nil, fmt.Errorf("CLUSTER NODES names %s, which is not one of ours", addr)
		}
		n := &Node{Server: s, ID: f[0]}
		if f[3] != "-" {
			n.MasterID = f[3]
		}
		cluster.Nodes = append(cluster.Nodes, n)
	}
	if len(cluster.Nodes) != len(servers) {
		return nil, fmt.Errorf("CLUSTER NODES lists %d nodes, want %d", len(cluster.Nodes), len(servers))
	}
	slices.SortStableFunc(cluster.Nodes, func(a, b *Node) int {
		return boolCmp(a.MasterID != "", b.MasterID != "")
	})
	masters := cluster.Masters()
	if len(masters) != clusterMasters {
		return nil, fmt.Errorf("%d masters, want %d", len(masters), clusterMasters)
	}
	seeds := make([]string, 0, len(masters)-1)
	for _, m := range masters[1:] {
		seeds = append(seeds, "addr="+m.Addr)
	}
	cluster.URL = "redis://" + masters[0].Addr + "?" + strings.Join(seeds, "&")
	return cluster, nil
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// freePort picks a server's port: for a cluster node, one whose bus port
// is free as well.
func freePort(opts Options) (int, error) {
	if !opts.clusterBus {
		return FreePort(opts.MaxPort)
	}
	for range 100 {
		port, err := FreePort(min(opts.MaxPort, maxClusterPort))
		if err != nil {
			return 0, err
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+busOffset)))
		if err != nil {
			continue
		}
		_ = l.Close()
		return port, nil
	}
	return 0, errors.New("find free port: none with a free cluster bus port after 100 tries")
}

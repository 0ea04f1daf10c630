package redisconn

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// LocalCluster is the --redis value that starts a Redis Cluster of three
// masters and three replicas for the run.
const LocalCluster = "local-cluster"

// KindCluster is the Kind of a Redis Cluster target.
const KindCluster = "cluster"

// Shard is one master of a cluster and what it serves.
type Shard struct {
	// Master is the master's host:port.
	Master string
	// Slots counts the hash slots it serves, of 16384.
	Slots int
	// Replicas are its replicas' host:port.
	Replicas []string
}

// isClusterURL says whether rawURL names more seed nodes (go-redis's
// addr= parameters), which only a cluster has.
func isClusterURL(rawURL string) bool {
	u, err := url.Parse(rawURL)
	return err == nil && u.Query().Has("addr")
}

// clusterEnabled asks the server behind client whether it is a cluster
// node (INFO cluster). A server that will not say is taken for a single
// node; --cluster forces the question.
func clusterEnabled(ctx context.Context, client redis.UniversalClient) bool {
	info, err := client.Info(ctx, "cluster").Result()
	return err == nil && redisserver.ParseInfo(info)["cluster_enabled"] == "1"
}

// openCluster connects to the cluster that rawURL names a node of (more
// seeds as addr= parameters), warms every master's pool and reads the
// topology.
func openCluster(ctx context.Context, rawURL string, opts Options) (*Target, error) {
	shown := Redact(rawURL)
	co, err := parseClusterURL(rawURL)
	if err != nil {
		return nil, err
	}
	// The seed's options stand for every node's in tune and the diagnosis.
	seed := &redis.Options{Addr: co.Addrs[0], Username: co.Username, Password: co.Password, TLSConfig: co.TLSConfig, PoolSize: co.PoolSize, DialTimeout: co.DialTimeout, MaxRetries: co.MaxRetries}
	if err := applyTLS(seed, opts.TLS); err != nil {
		return nil, err
	}
	passwordFrom := urlPassword
	if seed.Password == "" && opts.Password != "" {
		seed.Password, passwordFrom = opts.Password, opts.PasswordFrom
	}
	co.TLSConfig, co.Password = seed.TLSConfig, seed.Password
	tune(seed, opts)
	co.PoolSize, co.DialTimeout, co.MaxRetries = seed.PoolSize, seed.DialTimeout, seed.MaxRetries
	co.DialerRetries, co.ContextTimeoutEnabled = seed.DialerRetries, seed.ContextTimeoutEnabled
	co.Dialer = dialer(seed)
	c := redis.NewClusterClient(co)
	t := &Target{Client: c, Kind: KindCluster, Address: strings.Join(co.Addrs, ","), rueidisOption: rueidisOption(co.Addrs, seed, co.Dialer)}
	if err := c.Ping(ctx).Err(); err != nil {
		err = openError(ctx, seed, shown, passwordFrom, 1, max(opts.PoolSize, 1), err)
		_ = t.Close()
		return nil, err
	}
	// Per master, as a single server's pool is warmed: each node client
	// has a pool of its own.
	err = c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
		if opened, err := warm(ctx, node, opts.PoolSize); err != nil {
			o := *seed
			o.Addr = node.Options().Addr
			return openError(ctx, &o, o.Addr+" (a master of "+shown+")", passwordFrom, opened+1, max(opts.PoolSize, 1), err)
		}
		return nil
	})
	if err == nil {
		t.Shards, err = shards(ctx, c)
	}
	if err != nil {
		_ = t.Close()
		return nil, err
	}
	t.ServerVersion = serverVersion(ctx, c)
	return t, nil
}

// parseClusterURL checks rawURL as Open checks any URL, then reads it as
// go-redis's cluster URL. Errors show it redacted.
func parseClusterURL(rawURL string) (*redis.ClusterOptions, error) {
	shown := Redact(rawURL)
	u, err := url.Parse(rawURL)
	if err == nil {
		// The single-node checks know no addr= parameter.
		q := u.Query()
		q.Del("addr")
		u.RawQuery = q.Encode()
		var ro *redis.Options
		if ro, err = parseURL(u.String()); err != nil {
			return nil, fmt.Errorf("%w (cluster seeds: %s)", err, shown)
		}
		if ro.DB != 0 {
			return nil, fmt.Errorf("%w %q: database %d: a Redis Cluster has only database 0", ErrBadURL, shown, ro.DB)
		}
	} else if _, err := parseURL(rawURL); err != nil {
		return nil, err
	}
	co, err := redis.ParseClusterURL(rawURL)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "redis: ")
		if co != nil && co.Password != "" {
			msg = strings.ReplaceAll(msg, co.Password, "xxxxx")
		}
		return nil, fmt.Errorf("%w %q: %s; more seed nodes go in addr=host:port parameters", ErrBadURL, shown, msg)
	}
	return co, nil
}

// shards reads which master serves how many slots, and its replicas,
// from CLUSTER NODES: CLUSTER SLOTS leaves out a replica that has not
// replicated a byte yet (Redis 7), which in an empty cluster is all of them.
func shards(ctx context.Context, c *redis.ClusterClient) ([]Shard, error) {
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: CLUSTER NODES: %w", ErrUnreachable, err)
	}
	byID := map[string]*Shard{}
	replicaOf := map[string][]string{}
	for line := range strings.Lines(text) {
		// <id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
		f := strings.Fields(line)
		if len(f) < 8 || strings.Contains(f[2], "fail") && !strings.Contains(f[2], "pfail") {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		if f[3] != "-" {
			replicaOf[f[3]] = append(replicaOf[f[3]], addr)
			continue
		}
		sh := &Shard{Master: addr}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated or imported
			}
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			a, errA := strconv.Atoi(lo)
			b, errB := strconv.Atoi(hi)
			if errA != nil || errB != nil {
				return nil, fmt.Errorf("CLUSTER NODES: bad slot range %q", r)
			}
			sh.Slots += b - a + 1
		}
		if sh.Slots > 0 {
			byID[f[0]] = sh
		}
	}
	out := make([]Shard, 0, len(byID))
	for id, sh := range byID {
		sh.Replicas = replicaOf[id]
		slices.Sort(sh.Replicas)
		out = append(out, *sh)
	}
	slices.SortFunc(out, func(a, b Shard) int { return strings.Compare(a.Master, b.Master) })
	return out, nil
}

// openLocalCluster starts a cluster for this target alone.
func openLocalCluster(ctx context.Context, opts Options) (*Target, error) {
	// A node is taken for failed after 3 s rather than the default 15 s,
	// so that --fault kill-master ends in a failover within a short run.
	c, err := redisserver.StartCluster(ctx, redisserver.ClusterOptions{Args: []string{"--cluster-node-timeout", "3000"}})
	if err != nil {
		return nil, fmt.Errorf("--redis %s: %w", LocalCluster, err)
	}
	t, err := openCluster(ctx, c.URL, opts)
	if err != nil {
		c.Stop()
		return nil, err
	}
	t.LocalCluster = c
	return t, nil
}

// MasterOf is the address of the master that serves key, from the
// client's own slot map; "" for a target that is not a cluster.
func (t *Target) MasterOf(ctx context.Context, key string) (string, error) {
	c, ok := t.Client.(*redis.ClusterClient)
	if !ok {
		return "", nil
	}
	node, err := c.MasterForKey(ctx, key)
	if err != nil {
		return "", err
	}
	return node.Options().Addr, nil
}

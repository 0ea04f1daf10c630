package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// KindSentinel is the Kind of a Target found through Redis Sentinel.
const KindSentinel = "sentinel"

// LocalSentinel is the --redis value that starts a Sentinel deployment
// for the run: a master, a replica and three sentinels.
const LocalSentinel = "local-sentinel"

// SentinelScheme is the scheme of a URL that names a Sentinel deployment:
//
//	redis-sentinel://[user:password@]host[:port][,host[:port]...]/NAME[?db=N&...]
//
// The hosts are sentinels (port 26379 when left out), NAME the master they
// monitor. The user and password are those of the master and its
// replicas; sentinel_password (and sentinel_username) those of the
// sentinels, for sentinels with a requirepass of their own. Other query
// parameters are go-redis's, as in a redis:// URL.
const SentinelScheme = "redis-sentinel"

// defaultSentinelPort is Sentinel's own port.
const defaultSentinelPort = "26379"

// sentinelForm is what a Sentinel URL looks like, for error messages.
const sentinelForm = "want redis-sentinel://[user:password@]host:port[,host:port...]/MASTER-NAME[?db=N]"

// SentinelTopology is what the sentinels said of their deployment when
// the target was opened. It holds no password.
type SentinelTopology struct {
	// MasterName is the name the sentinels monitor the master under.
	MasterName string
	// Master is the master's host:port, as the sentinels named it.
	Master string
	// Replicas are the master's replicas, host:port, as the first
	// sentinel that answered lists them.
	Replicas []string
	// Sentinels are the sentinels the URL names, then those they know of.
	Sentinels []string
	// Quorum is how many sentinels must agree that the master is down.
	Quorum int
}

// isSentinelURL reports whether rawURL names a Sentinel deployment.
func isSentinelURL(rawURL string) bool {
	scheme, _, ok := strings.Cut(rawURL, "://")
	return ok && strings.EqualFold(scheme, SentinelScheme)
}

// openSentinel connects through the sentinels that rawURL names to the
// master they monitor, with a go-redis failover client: it follows the
// master through a failover.
func openSentinel(ctx context.Context, rawURL string, opts Options) (*Target, error) {
	fo, err := parseSentinelURL(rawURL)
	if err != nil {
		return nil, err
	}
	passwordFrom := urlPassword
	if fo.Password == "" && opts.Password != "" {
		fo.Password, passwordFrom = opts.Password, opts.PasswordFrom
	}
	tuneFailover(fo, opts)
	shown := Redact(rawURL)
	topo, err := askSentinels(ctx, fo, shown)
	if err != nil {
		return nil, err
	}
	t := &Target{
		Client:   redis.NewFailoverClient(fo),
		Kind:     KindSentinel,
		Address:  topo.Master,
		Sentinel: topo,
	}
	t.rueidisOption = rueidisSentinelOption(fo)
	if opened, err := warm(ctx, t.Client, opts.PoolSize); err != nil {
		ro := &redis.Options{Addr: topo.Master, Password: fo.Password, TLSConfig: fo.TLSConfig, DialTimeout: fo.DialTimeout}
		err = openError(ctx, ro, shown, passwordFrom, opened+1, max(opts.PoolSize, 1), err)
		_ = t.Close()
		return nil, &diagnosis{fmt.Sprintf("%v; the sentinels named %s as master %s", err, topo.Master, topo.MasterName), err}
	}
	t.ServerVersion = serverVersion(ctx, t.Client)
	return t, nil
}

// openLocalSentinel starts a Sentinel deployment for this target alone.
func openLocalSentinel(ctx context.Context, opts Options) (*Target, error) {
	d, err := redisserver.StartSentinel(ctx, redisserver.SentinelOptions{})
	if err != nil {
		return nil, fmt.Errorf("--redis %s: %w", LocalSentinel, err)
	}
	t, err := openSentinel(ctx, d.URL, opts)
	if err != nil {
		d.Stop()
		return nil, err
	}
	t.LocalSentinel = d
	return t, nil
}

// parseSentinelURL reads a redis-sentinel:// URL into go-redis failover
// options. Like parseURL, its errors quote only Redact(rawURL).
func parseSentinelURL(rawURL string) (*redis.FailoverOptions, error) {
	shown := Redact(rawURL)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s; %s", ErrBadURL, shown, fmt.Sprintf(format, args...), sentinelForm)
	}
	_, rest, _ := strings.Cut(rawURL, "://")
	// The host list is no URL host (url.Parse takes "h1:1,h2" for a host
	// with a bad port), so it is cut out and parsed here, and the rest of
	// the URL, with one placeholder host, is left to url.Parse.
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hostList := "", authority
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		userinfo, hostList = authority[:at+1], authority[at+1:]
	}
	u, err := url.Parse(SentinelScheme + "://" + userinfo + "sentinels" + tail)
	if err != nil || strings.Contains(rawURL, "#") || strayAt(u, rawURL) {
		return nil, bad("not a valid URL; percent-encode special characters in the user and password ('#' as %%23, '?' as %%3F, '@' as %%40, '/' as %%2F, '%%' as %%25)")
	}
	addrs, err := sentinelAddrs(hostList)
	if err != nil {
		return nil, bad("%v", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return nil, bad("the path must be the master's name, one segment, such as /mymaster")
	}
	q := u.Query()
	for param, where := range map[string]string{
		"master_name": "in the path",
		"addr":        "in the host list",
		"password":    "in the user info",
		"username":    "in the user info",
	} {
		if q.Has(param) {
			return nil, bad("no %s parameter: give it %s", param, where)
		}
	}
	sentinelUser, sentinelPassword := q.Get("sentinel_username"), q.Get("sentinel_password")
	q.Del("sentinel_username")
	q.Del("sentinel_password")
	// go-redis reads every other parameter, and refuses any it does not
	// know, naming it but never its value.
	fo, err := redis.ParseFailoverURL("redis://" + addrs[0] + "/?" + q.Encode())
	if err != nil {
		return nil, bad("%s", strings.TrimPrefix(err.Error(), "redis: "))
	}
	fo.MasterName = name
	fo.SentinelAddrs = addrs
	fo.SentinelUsername, fo.SentinelPassword = sentinelUser, sentinelPassword
	if u.User != nil {
		fo.Username = u.User.Username()
		fo.Password, _ = u.User.Password()
	}
	return fo, nil
}

// sentinelAddrs reads "host[:port],host[:port]..." into host:port
// addresses, Sentinel's port 26379 where none is given.
func sentinelAddrs(list string) ([]string, error) {
	if list == "" {
		return nil, errors.New("no sentinel address")
	}
	var addrs []string
	for _, hp := range strings.Split(list, ",") {
		host, port := hp, defaultSentinelPort
		if h, p, err := net.SplitHostPort(hp); err == nil {
			host, port = h, p
		} else if strings.HasPrefix(hp, "[") && strings.HasSuffix(hp, "]") {
			host = hp[1 : len(hp)-1] // [::1]
		} else if strings.Contains(hp, ":") && !strings.Contains(hp, "]") {
			return nil, fmt.Errorf("sentinel address %q is not host:port", hp)
		}
		if host == "" || strings.ContainsAny(host, "[]") {
			return nil, fmt.Errorf("sentinel address %q has no host", hp)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("sentinel address %q: port %s is out of range; want a port from 1 to 65535", hp, port)
		}
		addrs = append(addrs, net.JoinHostPort(host, port))
	}
	return addrs, nil
}

// tuneFailover is tune for a failover client.
func tuneFailover(fo *redis.FailoverOptions, opts Options) {
	ro := &redis.Options{PoolSize: fo.PoolSize, DialTimeout: fo.DialTimeout, MaxRetries: fo.MaxRetries}
	tune(ro, opts)
	fo.PoolSize, fo.DialTimeout, fo.MaxRetries = ro.PoolSize, ro.DialTimeout, ro.MaxRetries
	fo.DialerRetries, fo.ContextTimeoutEnabled = ro.DialerRetries, ro.ContextTimeoutEnabled
	// The same first-reply checks as a single server's, on the master,
	// the replicas and the sentinels alike.
	fo.Dialer = dialer(&redis.Options{DialTimeout: fo.DialTimeout, TLSConfig: fo.TLSConfig, Password: fo.Password})
}

// askSentinels asks the sentinels in turn for the master named in fo and
// its topology, and returns what the first that knows it says.
func askSentinels(ctx context.Context, fo *redis.FailoverOptions, shown string) (*SentinelTopology, error) {
	// Sentinels that fail alike are named together, in the URL's order.
	var reasons []string
	failed := map[string][]string{}
	var causes []error
	for _, addr := range fo.SentinelAddrs {
		topo, known, err := askSentinel(ctx, fo, addr)
		if err == nil {
			topo.Sentinels = slices.Compact(slices.Clone(fo.SentinelAddrs))
			slices.Sort(known)
			for _, a := range known {
				if !slices.Contains(topo.Sentinels, a) {
					topo.Sentinels = append(topo.Sentinels, a)
				}
			}
			return topo, nil
		}
		why := strings.TrimPrefix(err.Error(), addr)
		if fo.SentinelPassword != "" {
			why = strings.ReplaceAll(why, fo.SentinelPassword, "xxxxx")
		}
		if _, seen := failed[why]; !seen {
			reasons = append(reasons, why)
		}
		failed[why] = append(failed[why], addr)
		causes = append(causes, err)
	}
	parts := make([]string, len(reasons))
	for i, why := range reasons {
		noun := "sentinel"
		if len(failed[why]) > 1 {
			noun = "sentinels"
		}
		parts[i] = noun + " " + strings.Join(failed[why], ", ") + why
	}
	msg := fmt.Sprintf("%v: no sentinel of %q named master %q: %s", ErrUnreachable, shown, fo.MasterName, strings.Join(parts, "; "))
	return nil, &diagnosis{msg, errors.Join(causes...)}
}

// askSentinel asks the sentinel at addr where the master is and which
// replicas it has, and which other sentinels it knows watch it.
func askSentinel(ctx context.Context, fo *redis.FailoverOptions, addr string) (*SentinelTopology, []string, error) {
	c := redis.NewSentinelClient(&redis.Options{
		Addr: addr, Username: fo.SentinelUsername, Password: fo.SentinelPassword, TLSConfig: fo.TLSConfig,
		Dialer: fo.Dialer, DialTimeout: fo.DialTimeout, DialerRetries: 1, MaxRetries: -1, PoolSize: 1,
		ContextTimeoutEnabled: true,
	})
	defer c.Close()
	m, err := c.Master(ctx, fo.MasterName).Result()
	if err != nil {
		if strings.Contains(err.Error(), "No such master") {
			return nil, nil, fmt.Errorf("%s: no master named %q is monitored there%s", addr, fo.MasterName, monitored(ctx, c))
		}
		return nil, nil, fmt.Errorf("%s: %w%s", addr, err, sentinelHint(err))
	}
	topo := &SentinelTopology{
		MasterName: fo.MasterName,
		Master:     net.JoinHostPort(m["ip"], m["port"]),
	}
	topo.Quorum, _ = strconv.Atoi(m["quorum"])
	replicas, err := c.Replicas(ctx, fo.MasterName).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: SENTINEL REPLICAS: %w", addr, err)
	}
	for _, r := range replicas {
		topo.Replicas = append(topo.Replicas, net.JoinHostPort(r["ip"], r["port"]))
	}
	slices.Sort(topo.Replicas)
	others, err := c.Sentinels(ctx, fo.MasterName).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: SENTINEL SENTINELS: %w", addr, err)
	}
	known := []string{addr}
	for _, s := range others {
		known = append(known, net.JoinHostPort(s["ip"], s["port"]))
	}
	return topo, known, nil
}

// sentinelHint is hint for a sentinel, whose password is not the
// master's.
func sentinelHint(err error) string {
	if redis.IsAuthError(err) {
		return " (check sentinel_password in the URL)"
	}
	return hint(err, urlPassword)
}

// monitored lists the masters a sentinel does monitor, for an error
// message: " (only a, b)".
func monitored(ctx context.Context, c *redis.SentinelClient) string {
	masters, err := c.Masters(ctx).Result()
	if err != nil {
		return ""
	}
	var names []string
	for _, m := range masters {
		// RESP2 gives each master as a flat list of field, value...
		if fields, ok := m.([]any); ok {
			for i := 0; i+1 < len(fields); i += 2 {
				if fields[i] == "name" {
					names = append(names, fmt.Sprint(fields[i+1]))
				}
			}
		}
		// ...and RESP3 as a map.
		if fields, ok := m.(map[any]any); ok {
			names = append(names, fmt.Sprint(fields["name"]))
		}
	}
	if len(names) == 0 {
		return " (none is)"
	}
	slices.Sort(names)
	return " (only " + strings.Join(names, ", ") + ")"
}

// sentinelFaultKinds are the faults a Sentinel deployment rlbench
// started can take. Killing or restarting its master is left out: the
// sentinels would fail over on their own, at a time of their choosing.
var sentinelFaultKinds = []string{FaultPause, FaultScriptFlush, FaultFailover}

// injectSentinel causes a fault of kind in d, on the master of the
// moment, and says what it did.
func injectSentinel(ctx context.Context, d *redisserver.Sentinel, kind string) (string, error) {
	if kind != FaultFailover {
		return "", faultErrorf("--fault %s is not possible on a Sentinel deployment", kind)
	}
	old, err := d.MasterNow(ctx)
	if err != nil {
		return "", err
	}
	promoted, err := d.Failover(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("failed %s over from %s to %s", d.MasterName, old.Addr, promoted.Addr), nil
}

// rueidisSentinelOption is what a rueidis client needs to reach the master
// that the sentinels of fo monitor, as go-redis's failover client does.
func rueidisSentinelOption(fo *redis.FailoverOptions) *rueidis.ClientOption {
	ro := &redis.Options{Username: fo.Username, Password: fo.Password, DB: fo.DB, TLSConfig: fo.TLSConfig, DialTimeout: fo.DialTimeout}
	opt := rueidisOption(fo.SentinelAddrs, ro, dialer(ro))
	opt.Sentinel = rueidis.SentinelOption{
		MasterSet: fo.MasterName,
		Username:  fo.SentinelUsername,
		Password:  fo.SentinelPassword,
		Dialer:    opt.Dialer,
		// Beside the +switch-master events: one missed, and the client
		// would stay with a demoted master until closed.
		TopologyRefreshInterval: time.Second,
	}
	return opt
}

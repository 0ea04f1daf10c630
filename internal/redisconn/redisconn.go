// Package redisconn opens the Redis that limiters run against: a server named
// by URL, or an embedded miniredis when no URL is given.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// Local is the --redis value that starts a redis-server for the run.
const Local = "local"

// Kinds of Target, as the results file names them.
const (
	KindMiniredis = "miniredis"
	KindRedis     = "redis"
)

// Sentinel errors of Open. Their messages name the URL with any password
// replaced by "xxxxx", never the password itself.
var (
	// ErrBadURL means the URL cannot name a Redis server: not redis:// or
	// rediss://, unparsable, or with options go-redis does not know. It is
	// bad input, not a failure of the server.
	ErrBadURL = errors.New("bad redis URL")
	// ErrUnreachable means the URL was well formed but no Redis answered
	// PING through it: nothing listening, a network or TLS failure, or
	// authentication refused. Each error below is also ErrUnreachable when
	// Open returns it.
	ErrUnreachable = errors.New("redis unreachable")
	// ErrMaxClients means Redis refused a connection because it already
	// serves as many clients as its maxclients setting allows. During a
	// run it is also syscall.ECONNREFUSED: nothing was sent on it.
	ErrMaxClients = errors.New("max number of clients reached")
	// ErrNotRedis means the server's first reply was not RESP: an HTTP
	// server, say, on the port given.
	ErrNotRedis = errors.New("not a Redis server")
	// ErrNoPassword means the server wants a password and none was given.
	ErrNoPassword = errors.New("password needed")
	// ErrTLSMismatch means a rediss:// URL reached a server that does not
	// speak TLS, or a redis:// URL one that only speaks TLS.
	ErrTLSMismatch = errors.New("TLS mismatch")
)

// Target is the Redis that limiters run against. Close it when done; its
// fields are read-only and Client is safe for concurrent use.
type Target struct {
	// Client talks to the server; a UniversalClient so that Cluster and
	// Sentinel targets can later share every code path.
	Client redis.UniversalClient
	// Kind is KindMiniredis, KindRedis, KindCluster or KindSentinel.
	Kind string
	// Address is host:port; never a password.
	Address string
	// ServerVersion is redis_version from INFO server for Redis, the
	// miniredis module version for the embedded server, "unknown" when the
	// server would not say.
	ServerVersion string

	// Local is the redis-server Open started for rawURL "local", stopped
	// by Close; nil otherwise. A restart (Inject, Heal) replaces it.
	Local *redisserver.Server
	// LocalCluster is the cluster Open started for rawURL
	// "local-cluster", stopped by Close; nil otherwise.
	LocalCluster *redisserver.Cluster
	// Shards are a cluster's masters, their slots and replicas, when Open
	// connected; nil for a single server.
	Shards []Shard
	// Sentinel is the topology of a KindSentinel target; nil otherwise.
	Sentinel *SentinelTopology
	// LocalSentinel is the deployment Open started for rawURL
	// "local-sentinel", stopped by Close; nil otherwise.
	LocalSentinel *redisserver.Sentinel

	faultMu sync.Mutex // held while a fault changes the deployment
	// rueidisOption is how Driver opens a rueidis client of the same
	// deployment; rueidis is that client once opened.
	rueidisOption *rueidis.ClientOption
	clientsMu     sync.Mutex
	rueidis       *Rueidis
	embedded      *miniredis.Miniredis
	closeOnce     sync.Once
	closeErr      error
}

// Options tune the connection pool for a load test.
type Options struct {
	// PoolSize is how many connections to open up front and keep: at least
	// the concurrency, so that no worker waits for a connection and no
	// measured decision pays for a dial. 0 leaves go-redis's default.
	PoolSize int
	// DialTimeout bounds each connection attempt; 0 means go-redis's 5 s.
	// Connect errors surface after one attempt, not after retries.
	DialTimeout time.Duration
	// TLS is how the connections of a rediss:// URL check the server and
	// show who the client is (tls.go).
	TLS TLS
	// Password is for a URL that holds none; PasswordFrom says where it
	// came from ("REDISCLI_AUTH"), for the message when it is refused.
	Password, PasswordFrom string
	// Cluster opens the URL as a Redis Cluster even when the server does
	// not say it is one (INFO cluster).
	Cluster bool
}

// Open connects to rawURL, a redis:// or rediss:// URL (user and password
// allowed, options as go-redis ParseURL reads them; a Redis Cluster when
// the server says it is one, the URL names more seeds as addr= parameters
// or opts.Cluster is set), or to an embedded
// miniredis started in-process when rawURL is "", or to a redis-server it
// starts on a free loopback port, with persistence off, when rawURL is
// Local ("local"), or to a cluster it starts when rawURL is LocalCluster
// ("local-cluster"), or through Sentinel: a redis-sentinel:// URL, or a
// deployment it starts when rawURL is LocalSentinel ("local-sentinel")
// (sentinel.go). It PINGs before returning,
// so a Target it returns has answered at least once.
//
// Failed commands are not retried (unless the URL sets max_retries): a load
// tester must count an error as an error, and a retried decision could be
// admitted twice. A context deadline bounds each command, which is what makes
// a per-decision timeout work.
func Open(ctx context.Context, rawURL string, opts Options) (*Target, error) {
	switch rawURL {
	case "":
		return openEmbedded(ctx, opts)
	case Local:
		return openLocal(ctx, opts)
	case LocalCluster:
		return openLocalCluster(ctx, opts)
	case LocalSentinel:
		return openLocalSentinel(ctx, opts)
	}
	if isSentinelURL(rawURL) {
		return openSentinel(ctx, rawURL, opts)
	}
	if opts.Cluster || isClusterURL(rawURL) {
		return openCluster(ctx, rawURL, opts)
	}
	ro, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if err := applyTLS(ro, opts.TLS); err != nil {
		return nil, err
	}
	passwordFrom := urlPassword
	if ro.Password == "" && opts.Password != "" {
		ro.Password, passwordFrom = opts.Password, opts.PasswordFrom
	}
	tune(ro, opts)
	ro.Dialer = dialer(ro) // not for miniredis, which is always what it seems
	t := &Target{
		Client:        redis.NewClient(ro),
		Kind:          KindRedis,
		Address:       ro.Addr,
		rueidisOption: rueidisOption([]string{ro.Addr}, ro, ro.Dialer),
	}
	t.rueidisOption.ForceSingleClient = true
	if opened, err := warm(ctx, t.Client, opts.PoolSize); err != nil {
		// Diagnose before Close: the connections that did open still hold
		// their places under the server's maxclients.
		err = openError(ctx, ro, Redact(rawURL), passwordFrom, opened+1, max(opts.PoolSize, 1), err)
		_ = t.Close()
		return nil, err
	}
	if clusterEnabled(ctx, t.Client) {
		_ = t.Close()
		return openCluster(ctx, rawURL, opts)
	}
	t.ServerVersion = serverVersion(ctx, t.Client)
	return t, nil
}

// openEmbedded starts a miniredis whose TTLs follow the wall clock, as a real
// server's do; by default miniredis only ages keys on FastForward, so state
// that relies on expiry would live forever. The price: miniredis then ages
// every key with a TTL on every command, which is slow with many keys.
func openEmbedded(ctx context.Context, opts Options) (*Target, error) {
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true)
	if err := m.Start(); err != nil {
		return nil, fmt.Errorf("%w: cannot start embedded miniredis: %v", ErrUnreachable, err)
	}
	// Read once: a stopped miniredis has no address (Addr panics).
	addr := m.Addr()
	ro := &redis.Options{Addr: addr}
	tune(ro, opts)
	t := &Target{
		Client:        redis.NewClient(ro),
		Kind:          KindMiniredis,
		Address:       addr,
		ServerVersion: miniredisVersion(),
		embedded:      m,
		rueidisOption: rueidisOption([]string{m.Addr()}, ro, nil),
	}
	t.rueidisOption.ForceSingleClient = true
	if _, err := warm(ctx, t.Client, opts.PoolSize); err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("%w: embedded miniredis at %s: %w", ErrUnreachable, addr, err)
	}
	return t, nil
}

// openLocal starts a redis-server for this target alone.
func openLocal(ctx context.Context, opts Options) (*Target, error) {
	s, err := redisserver.Start(ctx, redisserver.Options{})
	if err != nil {
		return nil, fmt.Errorf("--redis local: %w", err)
	}
	t, err := Open(ctx, s.URL, opts)
	if err != nil {
		s.Stop()
		return nil, err
	}
	t.Local = s
	return t, nil
}

// Close closes the client and stops the embedded or local server, if
// any. It is safe to call more than once.
func (t *Target) Close() error {
	t.closeOnce.Do(func() {
		t.closeErr = t.Client.Close()
		t.clientsMu.Lock()
		if t.rueidis != nil {
			_ = t.rueidis.Close()
		}
		t.clientsMu.Unlock()
		if t.embedded != nil {
			t.embedded.Close()
		}
		t.faultMu.Lock()
		defer t.faultMu.Unlock()
		if t.Local != nil {
			t.Local.Stop()
		}
		if t.LocalCluster != nil {
			t.LocalCluster.Stop()
		}
		if t.LocalSentinel != nil {
			t.LocalSentinel.Stop()
		}
	})
	return t.closeErr
}

// parseURL accepts what ParseURL accepts over TCP. Errors never quote
// rawURL itself, only Redact(rawURL): url.Parse errors would show the
// password, and even a fragment of one ("invalid port") when it holds a "/".
func parseURL(rawURL string) (*redis.Options, error) {
	shown := Redact(rawURL)
	if !strings.Contains(rawURL, "://") {
		return nil, fmt.Errorf("%w %q: no scheme; want redis://[user:password@]host:port[/db] or rediss://...", ErrBadURL, shown)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		why := "not a valid URL; percent-encode special characters in the user and password ('#' as %23, '?' as %3F, '@' as %40, '/' as %2F, '%' as %25)"
		var uerr *url.Error
		if errors.As(err, &uerr) && !strings.Contains(rawURL, "@") {
			why = uerr.Err.Error()
		}
		return nil, fmt.Errorf("%w %q: %s; want redis://[user:password@]host:port[/db] or rediss://...", ErrBadURL, shown, why)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("%w %q: scheme must be redis:// or rediss://, as in redis://localhost:6379/0", ErrBadURL, shown)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w %q: no host; want redis://[user:password@]host:port[/db]", ErrBadURL, shown)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w %q: port %s is out of range; want a port from 1 to 65535", ErrBadURL, shown, p)
		}
	}
	// Both would silently point go-redis elsewhere: at localhost, or at a
	// host read from the middle of a password.
	if strings.Contains(rawURL, "#") || strayAt(u, rawURL) {
		return nil, fmt.Errorf("%w %q: a '#', '?', '/' or '@' would end the password early; percent-encode '#' and '?' in the password (%%23, %%3F; '@' as %%40, '/' as %%2F)", ErrBadURL, shown)
	}
	ro, err := redis.ParseURL(rawURL)
	if err != nil {
		// go-redis names the bad part (database number, option name) but
		// never the password; strip its "redis: " prefix to keep one voice.
		return nil, fmt.Errorf("%w %q: %s", ErrBadURL, shown, strings.TrimPrefix(err.Error(), "redis: "))
	}
	return ro, nil
}

// diagnosis is a failed Open explained in its own words: ErrUnreachable,
// and the cause.
type diagnosis struct {
	msg   string
	cause error
}

func (d *diagnosis) Error() string   { return d.msg }
func (d *diagnosis) Unwrap() []error { return []error{ErrUnreachable, d.cause} }

// openError explains why connection nth of pool, to the server of ro at
// the URL shown, with a password from passwordFrom, did not answer PING.
func openError(ctx context.Context, ro *redis.Options, shown, passwordFrom string, nth, pool int, err error) error {
	var notTLS *notTLSError
	var notRedis *notRedisError
	if d := tlsError(shown, err); d != nil {
		return d
	}
	switch {
	case errors.Is(err, ErrMaxClients):
		return &diagnosis{fmt.Sprintf("redis at %q refused connection %d of %d: max number of clients reached (its maxclients limit)", shown, nth, pool), err}
	case errors.As(err, &notTLS):
		return &diagnosis{fmt.Sprintf("TLS handshake with %q failed: %s; the server probably does not speak TLS (for a plain Redis, use redis://)", shown, notTLS.why), err}
	case errors.As(err, &notRedis):
		return &diagnosis{fmt.Sprintf("the server at %q is not a Redis server: it answered %q", shown, notRedis.answer), err}
	case ro.TLSConfig == nil && closedEarly(err) && speaksTLS(ctx, ro.Addr, min(ro.DialTimeout, tlsProbeTimeout)):
		return &diagnosis{fmt.Sprintf("the server at %q expects TLS: use rediss:// instead of redis://", shown), fmt.Errorf("%w: %w", ErrTLSMismatch, err)}
	}
	// go-redis quotes replies it cannot parse, and a server that is not
	// Redis may echo HELLO, password and all.
	cause := err.Error()
	if ro.Password != "" {
		cause = strings.ReplaceAll(cause, ro.Password, "xxxxx")
	}
	if redis.IsAuthError(err) && ro.Password == "" {
		err = fmt.Errorf("%w: %w", ErrNoPassword, err)
	}
	return &diagnosis{fmt.Sprintf("%v at %q: %s%s", ErrUnreachable, shown, cause, hint(err, passwordFrom)), err}
}

// tlsProbeTimeout bounds the TLS handshake that asks whether a server
// which closed a plain connection expects TLS: a TLS server answers within
// a round trip, a plain one may never answer.
const tlsProbeTimeout = time.Second

// hint suggests the likely fix for a failed PING; passwordFrom says
// where the password came from, if one was given.
func hint(err error, passwordFrom string) string {
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrNoPassword):
		return " (the server wants a password, and none was given)"
	case redis.IsAuthError(err) && passwordFrom == urlPassword:
		return " (check the user and password in the URL)"
	case redis.IsAuthError(err):
		return " (check the user in the URL and the password from " + passwordFrom + ")"
	case errors.As(err, &opErr):
		return " (is a Redis server running there?)"
	}
	return ""
}

// urlPassword is where a password came from when the URL held it.
const urlPassword = "the URL"

// defaultDialTimeout is go-redis's own default.
const defaultDialTimeout = 5 * time.Second

// tune applies what a load test needs on top of the URL's own options.
func tune(ro *redis.Options, opts Options) {
	if opts.PoolSize > ro.PoolSize {
		ro.PoolSize = opts.PoolSize
	}
	if ro.DialTimeout == 0 {
		ro.DialTimeout = opts.DialTimeout
	}
	if ro.DialTimeout == 0 {
		// Set here, not left to go-redis, which fills in its default on a
		// copy: dialer reads it, and it bounds the TLS handshake too.
		ro.DialTimeout = defaultDialTimeout
	}
	if ro.MaxRetries == 0 {
		ro.MaxRetries = -1
	}
	ro.DialerRetries = 1
	ro.ContextTimeoutEnabled = true
}

// warm PINGs on n connections held at once, so that they are all dialled and
// back in the pool before the first measured decision. With n < 2 it is a
// single PING. On failure it returns how many connections answered first.
func warm(ctx context.Context, client redis.UniversalClient, n int) (int, error) {
	c, ok := client.(*redis.Client)
	if !ok || n < 2 {
		return 0, client.Ping(ctx).Err()
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return 0, err // fail fast on the first dial, not n times
	}
	conns := make([]*redis.Conn, 0, n)
	defer func() {
		for _, conn := range conns {
			_ = conn.Close()
		}
	}()
	// The first Conn takes the connection that answered the PING above.
	for i := range n {
		conn := c.Conn()
		conns = append(conns, conn)
		if err := conn.Ping(ctx).Err(); err != nil {
			return i, err
		}
	}
	return n, nil
}

// serverVersion reads redis_version from INFO server; servers that disable
// INFO still work as targets, so failure is "unknown", not an error.
func serverVersion(ctx context.Context, client redis.UniversalClient) string {
	info, err := client.Info(ctx, "server").Result()
	if err != nil {
		return "unknown"
	}
	if v := redisserver.ParseInfo(info)["redis_version"]; v != "" {
		return v
	}
	return "unknown"
}

// miniredisVersion is the module version of the embedded server, the only
// version it has.
func miniredisVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == "github.com/alicebob/miniredis/v2" {
			return dep.Version
		}
	}
	return "unknown"
}

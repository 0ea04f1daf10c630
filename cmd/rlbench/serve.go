package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/metrics"
	"github.com/rlbench/rlbench/serve"
)

// ServeOptions is what "rlbench serve" was asked to do, every value checked.
type ServeOptions struct {
	IO     IO
	Global *GlobalOptions

	// Addr is where to listen, host:port.
	Addr string
	// Algorithm is the registry name that limits every request.
	Algorithm string
	// Limit is each key's limit, without JWT.
	Limit algorithms.Limit
	// Key is how requests are keyed: "ip", "header:NAME" or "jwt".
	Key string
	// Secret is the JWT secret read from --jwt-secret-file; nil without JWT.
	Secret []byte
	// Roles are the limits by JWT role: the seed's, with --tier's over them.
	Roles map[string]algorithms.Limit
	// OnRedisError is --on-redis-error.
	OnRedisError serve.OnRedisError
	// RedisTimeout bounds each decision.
	RedisTimeout time.Duration
	// ShutdownTimeout bounds how long requests in flight have to finish
	// after SIGINT or SIGTERM.
	ShutdownTimeout time.Duration
}

// NewCmdServe builds "rlbench serve". runF, when not nil, is called with
// the parsed options instead of runServe.
func NewCmdServe(io IO, global *GlobalOptions, runF func(*ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: io, Global: global}
	var secretFile, onError string
	var roles roleFlag
	cmd := &cobra.Command{
		Use:         "serve",
		Annotations: map[string]string{usesGlobals: "redis"},
		Short:       "Serve the seed's HTTP API, rate-limited by any algorithm",
		Long: `Serve answers GET / with a JSON welcome, as the seed's FastAPI demo did, behind
middleware that limits every request with --algo, keyed by the client's IP
address, by a header, or by the user of a JWT bearer token. The seed's
non-atomic variants (` + strings.Join(algorithms.SeedNames(), ", ") + `) serve too, so their races show over HTTP.

Every decided answer carries RateLimit-Policy and RateLimit
(draft-ietf-httpapi-ratelimit-headers-10) and X-RateLimit-Limit, -Remaining
and -Reset, in seconds; a 429 adds Retry-After and a problem+json body.

With --jwt-secret-file, requests need an Authorization: Bearer token signed
with HS256 by that secret, with the claims user_id and role; a missing,
malformed, expired or wrongly signed token (alg none included) gets 401 with
its reason. Roles have the seed's limits, free 100 and premium 500 per 10m,
which --tier overrides or adds to; unknown roles get free's.

When Redis fails or does not answer within --redis-timeout, --on-redis-error
open passes the request and closed answers 503. SIGINT or SIGTERM stops
listening and lets the requests in flight finish.

GET /metrics, never rate-limited, serves the decisions in the Prometheus
format: rlbench_decisions_total by outcome, rlbench_decision_seconds,
rlbench_errors_total by class and rlbench_requests_in_flight.`,
		Example: `  rlbench serve --algo sliding --limit 100 --window 10m
  rlbench serve --algo seed-sliding --key header:X-API-Key
  rlbench serve --algo token --jwt-secret-file secret.txt --tier premium=1000/10m
  rlbench serve --redis redis://localhost:6379/0 --on-redis-error closed --redis-timeout 20ms`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.check(cmd, secretFile, onError, roles); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runServe(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "`host:port` to listen on; port 0 picks a free one")
	f.StringVar(&opts.Algorithm, "algo", "sliding", "the algorithm that limits every request: `NAME`, one of "+strings.Join(append(algorithms.Names(), algorithms.SeedNames()...), ", "))
	f.Int64Var(&opts.Limit.Requests, "limit", 100, "requests allowed per window to each key, at most 1e15")
	f.DurationVar(&opts.Limit.Window, "window", 10*time.Minute, "window `duration`, such as 600s, 10m or 500ms; at most 8784h")
	f.Int64Var(&opts.Limit.Burst, "burst", 0, "bucket capacity of "+strings.Join(algorithms.BurstNames(), ", ")+" (default the limit), at most 1e15")
	f.StringVar(&opts.Key, "key", "ip", "what requests are counted by: ip, header:NAME or jwt (the default with --jwt-secret-file)")
	f.StringVar(&secretFile, "jwt-secret-file", "", "`file` holding the HS256 secret of bearer tokens: turns JWT mode on")
	f.Var(&roles, "tier", "a JWT role's limit: `ROLE=REQUESTS/WINDOW`, such as premium=1000/10m (repeat)")
	f.StringVar(&onError, "on-redis-error", "open", "when Redis fails or is slow: open passes the request, closed answers 503")
	f.DurationVar(&opts.RedisTimeout, "redis-timeout", 50*time.Millisecond, "bound on each decision, from 1ms to 1m")
	f.DurationVar(&opts.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long requests in flight may take to finish after SIGINT or SIGTERM, at most 8784h")
	return cmd
}

// check validates the flags, reads the secret file and resolves the roles.
func (o *ServeOptions) check(cmd *cobra.Command, secretFile, onError string, roles roleFlag) error {
	changed := cmd.Flags().Changed
	info, err := algorithms.Lookup(o.Algorithm)
	if err != nil {
		return usageErrorf("invalid --algo %q: want one of %s", o.Algorithm,
			strings.Join(append(append(algorithms.Names(), algorithms.SeedNames()...), algorithms.BaselineName), ", "))
	}
	switch onError {
	case "open":
		o.OnRedisError = serve.FailOpen
	case "closed":
		o.OnRedisError = serve.FailClosed
	default:
		return usageErrorf("invalid --on-redis-error %q: want open or closed", onError)
	}
	if secretFile != "" && !changed("key") {
		o.Key = "jwt"
	}
	jwtMode := o.Key == "jwt"
	switch {
	case o.Key != "ip" && !jwtMode && !validHeaderKey(o.Key):
		return usageErrorf("invalid --key %q: want ip, header:NAME (such as header:X-API-Key) or jwt", o.Key)
	case jwtMode && secretFile == "":
		return usageErrorf("--key jwt needs --jwt-secret-file, the secret tokens are signed with")
	case !jwtMode && secretFile != "":
		return usageErrorf("--jwt-secret-file applies only with --key jwt, not --key %s", o.Key)
	case !jwtMode && len(roles) > 0:
		return usageErrorf("--tier applies only with --jwt-secret-file: roles come from the token")
	case jwtMode && (changed("limit") || changed("window") || changed("burst")):
		return usageErrorf("--limit, --window and --burst do not apply with --jwt-secret-file: each role has its limit; set it with --tier ROLE=REQUESTS/WINDOW")
	case o.Limit.Requests < 1 || o.Limit.Requests > maxLimit:
		return usageErrorf("invalid --limit %d: want 1 to 1e15", o.Limit.Requests)
	case o.Limit.Window < time.Millisecond || o.Limit.Window > maxDuration:
		return usageErrorf("invalid --window %v: want 1ms to 8784h, such as 600s, 10m or 500ms", o.Limit.Window)
	case changed("burst") && (o.Limit.Burst < 1 || o.Limit.Burst > maxLimit):
		return usageErrorf("invalid --burst %d: want 1 to 1e15 (leave it out to use the limit)", o.Limit.Burst)
	case changed("burst") && !info.UsesBurst:
		return usageErrorf("--burst applies only to %s, not --algo %s", strings.Join(algorithms.BurstNames(), ", "), o.Algorithm)
	case o.RedisTimeout < time.Millisecond || o.RedisTimeout > time.Minute:
		return usageErrorf("invalid --redis-timeout %v: want 1ms to 1m, such as 50ms", o.RedisTimeout)
	case o.ShutdownTimeout < 0 || o.ShutdownTimeout > maxDuration:
		return usageErrorf("invalid --shutdown-timeout %v: want 0 to 8784h, such as 10s", o.ShutdownTimeout)
	}
	if !jwtMode {
		return nil
	}
	secret, err := os.ReadFile(secretFile)
	if err != nil {
		return usageErrorf("cannot read --jwt-secret-file: %v", err)
	}
	// A trailing newline is what an editor or echo leaves, not the secret.
	o.Secret = bytes.TrimRight(secret, "\r\n")
	if len(o.Secret) == 0 {
		return usageErrorf("invalid --jwt-secret-file %q: the file is empty; want the HS256 secret", secretFile)
	}
	o.Roles = serve.SeedRoles()
	for _, r := range roles {
		o.Roles[r.name] = r.limit
	}
	return nil
}

// validHeaderKey reports whether key is header:NAME with NAME an HTTP
// field name (a token, RFC 9110 §5.1).
func validHeaderKey(key string) bool {
	name, ok := strings.CutPrefix(key, "header:")
	if !ok || name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// roleFlag is serve's --tier, repeated: ROLE=REQUESTS/WINDOW each. Unlike
// run's --tier it has no share: a role's users are who send tokens.
type roleFlag []struct {
	name  string
	limit algorithms.Limit
}

func (f *roleFlag) Set(s string) error {
	const form = "want ROLE=REQUESTS/WINDOW, such as premium=1000/10m"
	name, limit, ok := strings.Cut(s, "=")
	requests, window, ok2 := strings.Cut(limit, "/")
	if !ok || !ok2 || name == "" {
		return errors.New(form)
	}
	n, err := strconv.ParseInt(requests, 10, 64)
	if err != nil || n < 1 || n > maxLimit {
		return fmt.Errorf("requests %q is not a whole number from 1 to 1e15; %s", requests, form)
	}
	w, err := time.ParseDuration(window)
	if err != nil || w < time.Millisecond || w > maxDuration {
		return fmt.Errorf("window %q is not a duration from 1ms to 8784h; %s", window, form)
	}
	*f = append(*f, struct {
		name  string
		limit algorithms.Limit
	}{name, algorithms.Limit{Requests: n, Window: w}})
	return nil
}

func (f *roleFlag) String() string {
	parts := make([]string, len(*f))
	for i, r := range *f {
		parts[i] = fmt.Sprintf("%s=%d/%s", r.name, r.limit.Requests, shortDuration(r.limit.Window))
	}
	return strings.Join(parts, ",")
}

func (f *roleFlag) Type() string { return "role" }

// runServe connects to Redis, listens, and serves until SIGINT or SIGTERM,
// then lets the requests in flight finish.
func runServe(o *ServeOptions) error {
	conn, err := o.Global.Connection.redisOptions(o.Global.RedisURL, o.IO.Getenv)
	if err != nil {
		return err
	}
	conn.Cluster = o.Global.Cluster
	if len(o.Global.Clients) != 1 {
		return usageErrorf("serve decides through one client: give --client %s", strings.Join(redisconn.Clients(), " or "))
	}
	ctx, stop := o.IO.Interrupt(context.Background())
	defer stop()
	context.AfterFunc(ctx, stop) // a second signal kills at once

	// Listening first: a port in use is found before any connection.
	srv, err := serve.Listen(o.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on --addr %s: %w", o.Addr, err)
	}
	defer srv.Shutdown(context.Background()) // closes the listener on an early return
	target, err := redisconn.Open(ctx, o.Global.RedisURL, conn)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return connectError(err, "")
	}
	defer target.Close()
	if err := algorithms.Preload(ctx, target.Client); err != nil {
		return err
	}
	rdb, err := target.Driver(ctx, o.Global.Clients[0])
	if err != nil {
		return connectError(err, "")
	}
	limiter, err := algorithms.New(o.Algorithm, rdb, algorithms.Options{})
	if err != nil {
		return err
	}
	identify, keyedBy := serve.ByIP(o.Limit), "client IP"
	switch {
	case o.Key == "jwt":
		j, err := serve.NewJWT(o.Secret, o.Roles)
		if err != nil {
			return usageError{err}
		}
		identify, keyedBy = j.Identify, "JWT user ("+rolesText(o.Roles)+")"
	case strings.HasPrefix(o.Key, "header:"):
		name := strings.TrimPrefix(o.Key, "header:")
		identify, keyedBy = serve.ByHeader(name, o.Limit), name+" header"
	}
	// Every decision is counted; /metrics itself is not rate-limited.
	m := metrics.New()
	limited := serve.Middleware(serve.Options{
		Limiter:      m.Series(target.Kind, o.Algorithm).Limiter(limiter),
		Identify:     identify,
		OnRedisError: o.OnRedisError,
		Timeout:      o.RedisTimeout,
	})(serve.Handler())
	handler := http.NewServeMux()
	handler.Handle("GET /metrics", m.Handler())
	handler.Handle("/", limited)
	limit := fmt.Sprintf("%d/%s", o.Limit.Requests, shortDuration(o.Limit.Window))
	if o.Key == "jwt" {
		limit = "by role"
	}
	fmt.Fprintf(o.IO.Out, "rlbench serve: http://%s/ %s %s by %s, %s %s; on redis error %s\n",
		srv.Addr(), o.Algorithm, limit, keyedBy, target.Kind, target.Address, policyName(o.OnRedisError))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(handler) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		return fmt.Errorf("requests still in flight after --shutdown-timeout %v were cut off", o.ShutdownTimeout)
	}
	if err := <-served; err != nil {
		return err
	}
	fmt.Fprintln(o.IO.Out, "rlbench serve: shut down, every request in flight answered")
	return nil
}

// rolesText lists the roles' limits, free first, such as
// "free=100/10m, premium=500/10m".
func rolesText(roles map[string]algorithms.Limit) string {
	names := make([]string, 0, len(roles))
	for name := range roles {
		if name != serve.FallbackRole {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	parts := []string{}
	for _, name := range append([]string{serve.FallbackRole}, names...) {
		l := roles[name]
		parts = append(parts, fmt.Sprintf("%s=%d/%s", name, l.Requests, shortDuration(l.Window)))
	}
	return strings.Join(parts, ", ")
}

func policyName(p serve.OnRedisError) string {
	if p == serve.FailClosed {
		return "closed"
	}
	return "open"
}

package main

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/target/httptarget"
)

// HTTPOptions is an HTTP API that "rlbench run --target" load-tests in
// place of rlbench's own limiters.
type HTTPOptions struct {
	URL          string
	Method       string
	Headers      []string
	Body         string
	BodyFile     string
	RejectStatus []int
	KeyHeader    string
	KeyQuery     string
	Insecure     bool
	// SourceIPs sends each simulated user from its own loopback address.
	SourceIPs bool
	// resolved is the target's configuration, headers parsed and files
	// read once, by checkTarget.
	resolved httptarget.Config
	// JWTSecretFile, when set, holds the HS256 secret a bearer token is
	// minted with for each simulated user: claims user_id (the key) and
	// role (its tier).
	JWTSecretFile string
}

// httpFlags are the flags that apply only with --target.
var httpFlags = []string{"method", "header", "body", "body-file", "reject-status", "key-header", "key-query", "insecure", "jwt-secret-file", "source-ips"}

// addTargetFlags registers --target and the flags of its requests.
func addTargetFlags(f *pflag.FlagSet, o *HTTPOptions) {
	f.StringVar(&o.URL, "target", "", "load-test the HTTP API at `URL` instead of rlbench's limiters; --algo then names the promise it is held to")
	f.StringVar(&o.Method, "method", http.MethodGet, "with --target, the request method")
	f.StringArrayVar(&o.Headers, "header", nil, "with --target, a request header `'NAME: VALUE'` (repeat)")
	f.StringVar(&o.Body, "body", "", "with --target, the request body")
	f.StringVar(&o.BodyFile, "body-file", "", "with --target, read the request body from `FILE`")
	f.IntSliceVar(&o.RejectStatus, "reject-status", []int{http.StatusTooManyRequests}, "with --target, the statuses that mean rate limited, such as 429,503 (nginx answers 503)")
	f.StringVar(&o.KeyHeader, "key-header", "", "with --target, send each simulated user's key in this header, such as X-User")
	f.StringVar(&o.KeyQuery, "key-query", "", "with --target, send each simulated user's key in this query parameter, such as user")
	f.BoolVar(&o.Insecure, "insecure", false, "with --target, accept a server certificate that does not verify (self-signed)")
	f.BoolVar(&o.SourceIPs, "source-ips", false, "with --target on loopback, send each simulated user from its own address, 127.0.0.1, 127.0.0.2, ..., for APIs that key on the client's IP")
	f.StringVar(&o.JWTSecretFile, "jwt-secret-file", "", "with --target, send each simulated user an HS256 bearer token signed with the secret in `FILE`: claims user_id (its key) and role (its --tier)")
}

// checkTarget refuses flags that do not apply with (or without) --target.
// With it --algo names the promises the API is held to; without --algo
// there is none (bench.NoPromise).
func (o *RunOptions) checkTarget(cmd *cobra.Command) error {
	changed := cmd.Flags().Changed
	if o.HTTP.URL == "" {
		for _, name := range httpFlags {
			if changed(name) {
				return usageErrorf("--%s applies with --target URL, which this run has not", name)
			}
		}
		return nil
	}
	for _, name := range []string{"client-clock", "clock-skew-allowance", "clock-skew", "clock-groups", "clock-block"} {
		if changed(name) {
			return usageErrorf("--%s does not apply with --target: the API keeps its own clock", name)
		}
	}
	for _, name := range append([]string{"redis", "client"}, connectionFlags...) {
		if cmd.Flags().Lookup(name) != nil && changed(name) {
			return usageErrorf("--%s does not apply with --target: the API keeps its own state", name)
		}
	}
	if o.HTTP.SourceIPs && o.Keys > httptarget.MaxSourceIPs {
		return usageErrorf("invalid --keys %d with --source-ips: at most %d users have loopback addresses of their own", o.Keys, httptarget.MaxSourceIPs)
	}
	if o.HTTP.Body != "" && o.HTTP.BodyFile != "" {
		return usageErrorf("--body and --body-file go one at a time")
	}
	if !changed("algo") && changed("burst") {
		return usageErrorf("--burst with --target needs --algo: the burst is part of the promise the API is held to")
	}
	c, err := o.HTTP.config()
	if err != nil {
		return err
	}
	// Built once here to refuse a bad value before anything runs.
	if _, err := httptarget.New(c); err != nil {
		return err
	}
	o.HTTP.resolved = c
	return nil
}

// config is the HTTP target's configuration from the flags: headers
// parsed, the body and the JWT secret read.
func (h *HTTPOptions) config() (httptarget.Config, error) {
	c := httptarget.Config{
		URL: h.URL, Method: h.Method, Header: http.Header{}, RejectStatus: h.RejectStatus,
		KeyHeader: h.KeyHeader, KeyQuery: h.KeyQuery, Insecure: h.Insecure, SourceIPs: h.SourceIPs,
	}
	for _, line := range h.Headers {
		name, value, err := httptarget.ParseHeader(line)
		if err != nil {
			return c, usageErrorf("invalid --header: %v", err)
		}
		c.Header.Add(name, value)
	}
	if h.Body != "" {
		c.Body = []byte(h.Body)
	}
	if h.BodyFile != "" {
		body, err := os.ReadFile(h.BodyFile)
		if err != nil {
			return c, usageErrorf("cannot read --body-file: %v", err)
		}
		c.Body = body
	}
	if h.JWTSecretFile != "" {
		secret, err := os.ReadFile(h.JWTSecretFile)
		if err != nil {
			return c, usageErrorf("cannot read --jwt-secret-file: %v", err)
		}
		if secret = bytes.TrimSpace(secret); len(secret) == 0 {
			return c, usageErrorf("invalid --jwt-secret-file %s: it is empty, want the HS256 secret", h.JWTSecretFile)
		}
		c.Bearer = mintTokens(secret)
	}
	return c, nil
}

// mintTokens gives each simulated user an HS256 token, as the seed's
// clients carried: claims user_id (the key) and role (its tier, none
// without tiers), valid for a day. A user's token is minted once.
func mintTokens(secret []byte) func(target.Request) string {
	var tokens sync.Map
	return func(req target.Request) string {
		id := req.Key + "\x00" + req.Tier
		if tok, ok := tokens.Load(id); ok {
			return tok.(string)
		}
		claims := jwt.MapClaims{"user_id": req.Key, "exp": time.Now().Add(24 * time.Hour).Unix()}
		if req.Tier != "" {
			claims["role"] = req.Tier
		}
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if err != nil {
			return "" // HS256 signing fails only without a key, which was checked
		}
		tokens.Store(id, tok)
		return tok
	}
}

// openTarget is the session of a run against the HTTP API: the API itself
// is every run's target, held to the promise each run's algorithm names.
func openTarget(opts *RunOptions, workloads []string) (*bench.Session, error) {
	opts.Load.Seed = opts.Global.Seed
	c := opts.HTTP.resolved
	c.MaxConns, _ = opts.Pool(workloads)
	t, err := httptarget.New(c)
	if err != nil {
		return nil, err
	}
	info := report.Target{Kind: "http", Address: shownURL(opts.HTTP.URL)}
	return bench.OpenTarget(t, info, &opts.Load, func() error { t.Close(); return nil }), nil
}

// shownURL is the target's URL as results show it: no user information
// and no query, where secrets travel.
func shownURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/internal/redisconn"
)

// passwordEnv is the variable redis-cli reads its password from.
const passwordEnv = "REDISCLI_AUTH"

// ConnectionOptions are the global flags that say how to reach the Redis
// of --redis: TLS files and where the password comes from.
type ConnectionOptions struct {
	TLS          redisconn.TLS
	PasswordFile string
}

// addConnectionFlags adds the TLS and password flags beside --redis.
func addConnectionFlags(pf *pflag.FlagSet, c *ConnectionOptions) {
	pf.StringVar(&c.TLS.CAFile, "tls-ca", "", "PEM `file` of the CAs that sign the server's certificate, in place of the system's (rediss:// only)")
	pf.StringVar(&c.TLS.CertFile, "tls-cert", "", "client certificate `file` (PEM) for a server that requires one; with --tls-key")
	pf.StringVar(&c.TLS.KeyFile, "tls-key", "", "the client certificate's key `file` (PEM); with --tls-cert")
	pf.BoolVar(&c.TLS.Insecure, "tls-insecure", false, "do not check the server's certificate: encrypted, but anyone may answer")
	pf.StringVar(&c.PasswordFile, "redis-password-file", "", "`file` whose first line is the Redis password, for a URL without one (else $"+passwordEnv+")")
}

// connectionFlags are the flags addConnectionFlags adds.
var connectionFlags = []string{"tls-ca", "tls-cert", "tls-key", "tls-insecure", "redis-password-file"}

// redisOptions resolves the connection flags for rawURL (--redis, or
// $REDIS_URL) into what redisconn.Open takes, refusing, as bad input,
// settings that cannot apply to it or files that cannot be read.
//
// The password is the URL's, else the first line of --redis-password-file,
// else $REDISCLI_AUTH: the URL and the file both holding one is refused,
// since either would silently lose; the environment is the default that
// either replaces, as it is for redis-cli.
func (c *ConnectionOptions) redisOptions(rawURL string, getenv func(string) string) (redisconn.Options, error) {
	scheme, _, _ := strings.Cut(rawURL, "://")
	scheme = strings.ToLower(scheme)
	server := redisServer(rawURL)
	t := c.TLS
	for _, f := range []struct {
		flag  string
		given bool
	}{{"tls-ca", t.CAFile != ""}, {"tls-cert", t.CertFile != ""}, {"tls-key", t.KeyFile != ""}, {"tls-insecure", t.Insecure}} {
		if f.given && scheme != "rediss" {
			return redisconn.Options{}, usageErrorf("--%s needs a rediss:// URL in --redis or $REDIS_URL, not %s", f.flag, server)
		}
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return redisconn.Options{}, usageErrorf("--tls-cert needs --tls-key, the client certificate's key")
	case t.KeyFile != "" && t.CertFile == "":
		return redisconn.Options{}, usageErrorf("--tls-key needs --tls-cert, the certificate it is the key of")
	case t.Insecure && t.CAFile != "":
		return redisconn.Options{}, usageErrorf("--tls-insecure skips the check --tls-ca is for: give one of them")
	}
	for _, f := range []struct{ flag, path string }{{"tls-ca", t.CAFile}, {"tls-cert", t.CertFile}, {"tls-key", t.KeyFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.ReadFile(f.path); err != nil {
			return redisconn.Options{}, usageErrorf("cannot read --%s %q: %v", f.flag, f.path, pathReason(err))
		}
	}
	opts := redisconn.Options{TLS: t}
	if scheme != "redis" && scheme != "rediss" {
		if c.PasswordFile != "" {
			return redisconn.Options{}, usageErrorf("--redis-password-file needs a redis:// or rediss:// URL in --redis or $REDIS_URL, not %s", server)
		}
		return opts, nil // the embedded or local server needs none
	}
	if c.PasswordFile != "" {
		if urlHasPassword(rawURL) {
			return redisconn.Options{}, usageErrorf("--redis-password-file and a password in the URL of %s: give one of them", server)
		}
		password, err := readPasswordFile(c.PasswordFile)
		if err != nil {
			return redisconn.Options{}, err
		}
		opts.Password, opts.PasswordFrom = password, "--redis-password-file "+c.PasswordFile
	} else if env := getenv(passwordEnv); env != "" {
		opts.Password, opts.PasswordFrom = env, "$"+passwordEnv
	}
	return opts, nil
}

// redisServer names the Redis of rawURL for an error message, without a
// password.
func redisServer(rawURL string) string {
	switch rawURL {
	case "":
		return "the embedded miniredis"
	case redisconn.Local:
		return `"local"`
	}
	return fmt.Sprintf("%q", redisconn.Redact(rawURL))
}

// urlHasPassword reports whether rawURL holds a password, "redis://:pw@h"
// or "redis://user:pw@h"; a URL too malformed to tell fails in Open.
func urlHasPassword(rawURL string) bool {
	_, rest, _ := strings.Cut(rawURL, "://")
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return false
	}
	_, password, ok := strings.Cut(rest[:at], ":")
	return ok && password != ""
}

// readPasswordFile reads the first line of path, without its line ending.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("cannot read --redis-password-file %q: %v", path, pathReason(err))
	}
	first, _, _ := strings.Cut(string(b), "\n")
	first = strings.TrimSuffix(first, "\r")
	if first == "" {
		return "", usageErrorf("invalid --redis-password-file %q: its first line is empty; want the password on it", path)
	}
	return first, nil
}

// pathReason is why a file could not be read, without the path that the
// message already quotes.
func pathReason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

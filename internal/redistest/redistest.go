// Package redistest starts real redis-server processes for integration
// tests, through the launcher rlbench itself uses (internal/redisserver).
package redistest

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
)

const (
	// requireEnv, set to "1", turns a missing redis-server into a test failure,
	// so that CI can never pass by skipping the integration tests.
	requireEnv = "RLBENCH_REQUIRE_REDIS"
	// pollInterval paces the helpers that wait for a server's state.
	pollInterval = 20 * time.Millisecond
)

// Server is a running redis-server bound to loopback only. It is stopped by
// the Cleanup of the test that started it; its fields are read-only.
type Server struct {
	Addr    string // 127.0.0.1:port
	URL     string // redis://127.0.0.1:port/0
	Version string // redis_version from INFO server, e.g. "7.0.15"

	proc *redisserver.Server
}

// Start starts redis-server on a free 127.0.0.1 port and stops it with t.Cleanup.
// When the binary is missing it calls t.Skip with a loud message (naming the
// package to install), except when RLBENCH_REQUIRE_REDIS=1, where it calls t.Fatal.
func Start(t testing.TB) *Server {
	t.Helper()
	p := StartProcess(t, redisserver.Options{})
	return &Server{Addr: p.Addr, URL: p.URL, Version: p.Version, proc: p}
}

// StartProcess starts redis-server with opts (its Dir defaults to a
// t.TempDir()), stopped with t.Cleanup, with Start's policy for a missing
// binary. It is for tests that need the process itself: its pid, extra
// arguments, a Kill.
func StartProcess(t testing.TB, opts redisserver.Options) *redisserver.Server {
	t.Helper()
	RequireBinary(t)
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	p, err := redisserver.Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// RequireBinary skips (or, under RLBENCH_REQUIRE_REDIS=1, fails) t when
// there is no redis-server to start.
func RequireBinary(t testing.TB) {
	t.Helper()
	_, err := redisserver.Binary()
	if err == nil {
		return
	}
	if !errors.Is(err, redisserver.ErrNoBinary) {
		t.Fatalf("redistest: %v", err)
	}
	msg := fmt.Sprintf("redistest: %v\n*** real-Redis integration tests need redis-server ***", err)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s\n%s=1, so this is a failure, not a skip", msg, requireEnv)
	}
	t.Skipf("%s\nSKIPPING (set %s=1 to make this a failure)", msg, requireEnv)
}

// Kill stops the server as a crash would (SIGKILL) and waits until it is
// gone: for tests of what a run does when Redis goes away mid-run.
func (s *Server) Kill() {
	s.proc.Kill()
	<-s.proc.Exited()
}

// Client returns a go-redis client for s, closed with t.Cleanup, with FLUSHALL
// done first so that tests sharing a server start from an empty database.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.FlushAll(t.Context()).Err(); err != nil {
		t.Fatalf("redistest: FLUSHALL on %s: %v", s.Addr, err)
	}
	return c
}

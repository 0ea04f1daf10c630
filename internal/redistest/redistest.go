// Package redistest starts real redis-server processes for integration tests.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// requireEnv, set to "1", turns a missing redis-server into a test failure,
	// so that CI can never pass by skipping the integration tests.
	requireEnv = "RLBENCH_REQUIRE_REDIS"
	// binaryEnv names an explicit redis-server binary, bypassing PATH.
	binaryEnv = "RLBENCH_REDIS_SERVER"

	// startAttempts bounds retries after losing the race for a free port
	// between closing our probe listener and redis-server binding it.
	startAttempts = 5
	// readyTimeout is generous because CI machines under -race can be slow.
	readyTimeout = 10 * time.Second
	pollInterval = 20 * time.Millisecond
)

// Server is a running redis-server bound to loopback only. It is stopped by
// the Cleanup of the test that started it; its fields are read-only.
type Server struct {
	Addr    string // 127.0.0.1:port
	URL     string // redis://127.0.0.1:port/0
	Version string // redis_version from INFO server, e.g. "7.0.15"
	// stop kills the process and waits for it; once (see Kill).
	stop func() error
}

// Start starts redis-server on a free 127.0.0.1 port and stops it with t.Cleanup.
// When the binary is missing it calls t.Skip with a loud message (naming the
// package to install), except when RLBENCH_REQUIRE_REDIS=1, where it calls t.Fatal.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		msg := fmt.Sprintf("redistest: %v\n"+
			"*** real-Redis integration tests need redis-server: install the Debian package "+
			"redis-server (apt-get install redis-server) or set %s=/path/to/redis-server ***",
			err, binaryEnv)
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s\n%s=1, so this is a failure, not a skip", msg, requireEnv)
		}
		t.Skipf("%s\nSKIPPING (set %s=1 to make this a failure)", msg, requireEnv)
	}

	dir := t.TempDir()
	var errs []error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		s, stop, err := start(bin, dir)
		if err == nil {
			t.Cleanup(func() { _ = stop() })
			return s
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	t.Fatalf("redistest: %s did not start after %d attempts:\n%v", bin, startAttempts, errors.Join(errs...))
	return nil
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

// findBinary prefers binaryEnv over PATH so a developer can test another Redis version.
func findBinary() (string, error) {
	name := "redis-server"
	if p := os.Getenv(binaryEnv); p != "" {
		name = p
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("redis-server not found: %w", err)
	}
	return bin, nil
}

// freePort asks the kernel for an unused loopback port. Another process may
// take it before redis-server binds it, which is why Start retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("find free port: unexpected address %v", l.Addr())
	}
	return addr.Port, nil
}

// start runs one attempt. On success it returns the server and a stop function
// that kills the process and waits for it; on failure nothing is left running.
func start(bin, dir string) (*Server, func() error, error) {
	port, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	// A file rather than a buffer: exec then needs no copying goroutine, and
	// the output survives for the error message after the process has died.
	logPath := filepath.Join(dir, fmt.Sprintf("redis-%d.log", port))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, fmt.Errorf("create log: %w", err)
	}
	defer logFile.Close()

	cmd := exec.Command(bin,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--dir", dir,
	)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := sync.OnceValue(func() error {
		_ = cmd.Process.Kill()
		<-exited
		return waitErr
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	version, err := waitReady(addr, cmd.Process.Pid, exited)
	if err != nil {
		exit := stop()
		out, _ := os.ReadFile(logPath)
		if len(out) == 0 {
			out = []byte("(none)")
		}
		return nil, nil, fmt.Errorf("%w (process: %v)\nredis-server output:\n%s",
			err, exit, strings.TrimSpace(string(out)))
	}
	return &Server{Addr: addr, URL: "redis://" + addr + "/0", Version: version, stop: stop}, stop, nil
}

// waitReady polls until the redis-server with the given pid answers on addr
// and returns its version. Checking the pid guards against a port race in
// which another Redis already listens on addr and ours is about to exit.
func waitReady(addr string, pid int, exited <-chan struct{}) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1})
	defer c.Close()

	var last error
	for {
		version, err := probe(ctx, c, addr, pid)
		if err == nil {
			return version, nil
		}
		last = err
		select {
		case <-exited:
			return "", fmt.Errorf("redis-server on %s exited before answering (last probe: %w)", addr, last)
		case <-ctx.Done():
			return "", fmt.Errorf("redis-server on %s not ready after %v: %w", addr, readyTimeout, last)
		case <-time.After(pollInterval):
		}
	}
}

// probe dials plain TCP before using c because a refused go-redis dial is
// logged, retried with backoff and then remembered by its pool.
func probe(ctx context.Context, c *redis.Client, addr string, pid int) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	_ = conn.Close()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("INFO server: %w", err)
	}
	f, err := parseInfo(info)
	if err != nil {
		return "", err
	}
	if f["process_id"] != strconv.Itoa(pid) {
		return "", fmt.Errorf("%s is served by process %s, not ours (%d)", addr, f["process_id"], pid)
	}
	return f["redis_version"], nil
}

// parseInfo reads the "field:value" lines of an INFO reply.
func parseInfo(info string) (map[string]string, error) {
	f := make(map[string]string)
	for line := range strings.Lines(info) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			f[k] = v
		}
	}
	if f["redis_version"] == "" {
		return nil, errors.New("INFO server reply has no redis_version")
	}
	return f, nil
}

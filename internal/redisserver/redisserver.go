// Package redisserver starts and stops throwaway redis-server processes on
// free loopback ports: the one launcher behind `--redis local`, the
// `rlbench local-redis` command the scripts use, and the test helpers.
package redisserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// BinaryEnv names an explicit redis-server binary, bypassing PATH.
const BinaryEnv = "RLBENCH_REDIS_SERVER"

// ErrNoBinary means no redis-server was found; its message names the
// Debian package to install.
var ErrNoBinary = errors.New("redis-server not found")

const (
	// startAttempts bounds retries after losing the race for a free port
	// between closing our probe listener and redis-server binding it.
	startAttempts = 5
	// readyTimeout is generous because machines under -race can be slow.
	readyTimeout = 10 * time.Second
	pollInterval = 20 * time.Millisecond
)

// Options say how to start one server. The zero value starts a plain
// server with persistence off in a temporary directory.
type Options struct {
	// Dir holds the server's log and any files it writes; "" means a new
	// temporary directory, removed by Stop.
	Dir string
	// Args are more redis-server arguments, appended to the defaults
	// (loopback only, no RDB, no AOF); a later argument wins.
	Args []string
	// MaxPort is the highest port to accept; 0 means 65535. A Cluster
	// node's bus listens on port + 10000, so it needs 55535.
	MaxPort int
	// Password, when set, is the server's requirepass (and what the
	// readiness probe authenticates with).
	Password string
	// Config, when set, is a configuration file given before every other
	// argument, where redis-server reads it; Sentinel needs one it can
	// rewrite.
	Config string
	// TLS, when set, makes the server speak TLS only: it listens with
	// --tls-port on Port and on no plain port, the readiness probe
	// connects over TLS, and URL is rediss://.
	TLS *TLS

	// clusterBus asks for a port whose cluster bus port is free too.
	clusterBus bool
}

// TLS is the certificate files of a server that speaks TLS.
type TLS struct {
	// CertFile and KeyFile are the server's certificate, which must be
	// valid for 127.0.0.1, and its key (PEM).
	CertFile, KeyFile string
	// CAFile holds the CA that signed the server's certificate and any
	// client's (PEM).
	CAFile string
	// ClientCertFile and ClientKeyFile, when set, make the server require a
	// client certificate signed by CAFile (tls-auth-clients yes); the probe
	// presents this one. Unset, the server asks for none.
	ClientCertFile, ClientKeyFile string
}

// args are the redis-server arguments that serve TLS on port.
func (t *TLS) args(port int) []string {
	authClients := "no"
	if t.ClientCertFile != "" {
		authClients = "yes"
	}
	return []string{
		"--port", "0",
		"--tls-port", strconv.Itoa(port),
		"--tls-cert-file", t.CertFile,
		"--tls-key-file", t.KeyFile,
		"--tls-ca-cert-file", t.CAFile,
		"--tls-auth-clients", authClients,
	}
}

// clientConfig is what the probe connects with: the server verified
// against CAFile, the client certificate presented when one is required.
func (t *TLS) clientConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", t.CAFile)
	}
	cfg := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if t.ClientCertFile != "" {
		pair, err := tls.LoadX509KeyPair(t.ClientCertFile, t.ClientKeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// Server is a running redis-server bound to 127.0.0.1. Its fields are
// read-only; Stop it when done.
type Server struct {
	Addr    string // 127.0.0.1:port
	Port    int
	URL     string // redis://127.0.0.1:port/0, or rediss:// for TLS
	Version string // redis_version from INFO server, e.g. "7.0.15"
	Pid     int
	Dir     string // where its log is

	exited chan struct{}
	kill   func() // kills the process and waits for it
	bin    string
	opts   Options
	// owned says Stop removes Dir: Start made it. A restarted server
	// hands it on to its successor.
	owned bool
}

// Binary finds redis-server: $RLBENCH_REDIS_SERVER, else PATH.
func Binary() (string, error) {
	name := "redis-server"
	if p := os.Getenv(BinaryEnv); p != "" {
		name = p
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w (%s): install the Debian package redis-server (apt-get install redis-server) or set %s=/path/to/redis-server", ErrNoBinary, name, BinaryEnv)
	}
	return bin, nil
}

// Start starts redis-server on a free 127.0.0.1 port and returns once it
// answers INFO from its own process. On failure nothing is left running.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, owned := opts.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "rlbench-redis-"); err != nil {
			return nil, fmt.Errorf("redis-server: %w", err)
		}
		owned = true
	}
	opts.Dir = dir
	var errs []error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		s, err := start(ctx, bin, opts, 0)
		if err == nil {
			s.owned = owned
			return s, nil
		}
		if ctx.Err() != nil {
			errs = append(errs, err)
			break
		}
		errs = append(errs, fmt.Errorf("attempt %d: %w", attempt, err))
	}
	if owned {
		_ = os.RemoveAll(dir)
	}
	return nil, fmt.Errorf("%s did not start: %w", bin, errors.Join(errs...))
}

// Stop kills the server and waits until it has exited (and removes its
// directory when Start made it). It is safe to call more than once.
func (s *Server) Stop() {
	s.kill()
	if s.owned {
		_ = os.RemoveAll(s.Dir)
	}
}

// Restart kills the server, as a crash would, and starts a new one on the
// same port with the same options, as a supervisor would: with persistence
// off, it comes back empty. The old Server is spent; use the new one.
func (s *Server) Restart(ctx context.Context) (*Server, error) {
	s.kill()
	next, err := start(ctx, s.bin, s.opts, s.Port)
	if err != nil {
		return nil, err
	}
	next.owned, s.owned = s.owned, false
	return next, nil
}

// Password is the server's requirepass, "" for none.
func (s *Server) Password() string { return s.opts.Password }

// Kill sends SIGKILL and returns at once, as a crash would.
func (s *Server) Kill() { _ = syscall.Kill(s.Pid, syscall.SIGKILL) }

// Exited is closed once the process has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Log is what the server wrote to its log so far.
func (s *Server) Log() string {
	out, _ := os.ReadFile(s.logPath())
	return string(out)
}

func (s *Server) logPath() string {
	return filepath.Join(s.Dir, fmt.Sprintf("redis-%d.log", s.Port))
}

// FreePort asks the kernel for an unused loopback port no higher than
// maxPort (0: any). Another process may take it before it is bound, which
// is why callers retry.
func FreePort(maxPort int) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if maxPort == 0 || port <= maxPort {
			return port, nil
		}
	}
	return 0, fmt.Errorf("find free port: none at or below %d after 100 tries", maxPort)
}

// start runs one attempt, on port or, when it is 0, a free one.
func start(ctx context.Context, bin string, opts Options, port int) (*Server, error) {
	var err error
	if port == 0 {
		if port, err = freePort(opts); err != nil {
			return nil, err
		}
	}
	dir := opts.Dir
	s := &Server{
		Addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Port:   port,
		Dir:    dir,
		exited: make(chan struct{}),
		bin:    bin,
		opts:   opts,
	}
	s.URL = "redis://" + s.Addr + "/0"
	var tlsConfig *tls.Config
	if opts.TLS != nil {
		s.URL = "rediss://" + s.Addr + "/0"
		if tlsConfig, err = opts.TLS.clientConfig(); err != nil {
			return nil, fmt.Errorf("TLS files: %w", err)
		}
	}
	// A file rather than a buffer: exec then needs no copying goroutine,
	// and the output survives for the error message after the process
	// has died.
	logFile, err := os.OpenFile(s.logPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	defer logFile.Close()

	var args []string
	if opts.Config != "" {
		args = append(args, opts.Config)
	}
	args = append(append(args,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--dir", dir,
	), opts.Args...)
	if opts.TLS != nil {
		args = append(args, opts.TLS.args(port)...)
	}
	if opts.Password != "" {
		args = append(args, "--requirepass", opts.Password)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s.Pid = cmd.Process.Pid
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(s.exited)
	}()
	s.kill = sync.OnceFunc(func() {
		_ = cmd.Process.Kill()
		<-s.exited
	})

	if s.Version, err = s.waitReady(ctx, opts.Password, tlsConfig); err != nil {
		s.kill()
		exit := waitErr
		out := strings.TrimSpace(s.Log())
		if out == "" {
			out = "(none)"
		}
		return nil, fmt.Errorf("%w (process: %v)\nredis-server output:\n%s", err, exit, out)
	}
	return s, nil
}

// waitReady polls until the server answers on its address from its own
// pid and returns its version. Checking the pid guards against a port
// race in which another Redis already listens there and ours is about to
// exit.
func (s *Server) waitReady(ctx context.Context, password string, tlsConfig *tls.Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: password, TLSConfig: tlsConfig, MaxRetries: -1, PoolSize: 1})
	defer c.Close()

	var last error
	for {
		version, err := s.probe(ctx, c)
		if err == nil {
			return version, nil
		}
		last = err
		select {
		case <-s.exited:
			return "", fmt.Errorf("redis-server on %s exited before answering (last probe: %w)", s.Addr, last)
		case <-ctx.Done():
			return "", fmt.Errorf("redis-server on %s not ready: %w (last probe: %w)", s.Addr, ctx.Err(), last)
		case <-time.After(pollInterval):
		}
	}
}

// probe dials plain TCP before using c because a refused go-redis dial is
// logged, retried with backoff and then remembered by its pool.
func (s *Server) probe(ctx context.Context, c *redis.Client) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return "", err
	}
	_ = conn.Close()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", fmt.Errorf("INFO server: %w", err)
	}
	f := ParseInfo(info)
	if f["redis_version"] == "" {
		return "", errors.New("INFO server reply has no redis_version")
	}
	if f["process_id"] != strconv.Itoa(s.Pid) {
		return "", fmt.Errorf("%s is served by process %s, not ours (%d)", s.Addr, f["process_id"], s.Pid)
	}
	return f["redis_version"], nil
}

// ParseInfo reads the "field:value" lines of an INFO reply.
func ParseInfo(info string) map[string]string {
	f := make(map[string]string)
	for line := range strings.Lines(info) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			f[k] = v
		}
	}
	return f
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
)

// startLocalRedis runs this binary as "rlbench local-redis --url-file F"
// and returns it once it printed the URL, with the URL, the file and the
// server's pid read from INFO.
func startLocalRedis(t *testing.T) (cmd *exec.Cmd, url, urlFile string, pid int, stderr *bytes.Buffer) {
	t.Helper()
	redistest.RequireBinary(t)
	urlFile = filepath.Join(t.TempDir(), "redis.url")
	cmd = exec.Command(os.Args[0], "local-redis", "--url-file", urlFile)
	cmd.Env = append(os.Environ(), "RLBENCH_TEST_AS_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr = &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL: %v (stderr %q)", err, stderr)
	}
	url = strings.TrimSuffix(line, "\n")
	if !regexp.MustCompile(`^redis://127\.0\.0\.1:\d+/0$`).MatchString(url) {
		t.Fatalf("stdout's first line %q, want redis://127.0.0.1:PORT/0", line)
	}
	if b, err := os.ReadFile(urlFile); err != nil || string(b) != url+"\n" {
		t.Fatalf("--url-file holds %q (%v), want %q", b, err, url+"\n")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	if pong, err := c.Ping(t.Context()).Result(); err != nil || pong != "PONG" {
		t.Fatalf("PING %s = %q, %v", url, pong, err)
	}
	info, err := c.Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if pid, err = strconv.Atoi(redisserver.ParseInfo(info)["process_id"]); err != nil {
		t.Fatalf("INFO server process_id: %v", err)
	}
	return cmd, url, urlFile, pid, stderr
}

// TestLocalRedis: the URL on stdout and in the file answers PING; SIGTERM
// stops the server (its pid is gone), removes the file and exits 0.
func TestLocalRedis(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, _, urlFile, pid, stderr := startLocalRedis(t)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v, want 0; stderr %q", err, stderr)
			}
			want := regexp.MustCompile(`^rlbench local-redis: redis-server \d+\.\d+\.\d+ \(pid ` + strconv.Itoa(pid) + `\) on 127\.0\.0\.1:\d+; stop with Ctrl-C or SIGTERM\n$`)
			if !want.MatchString(stderr.String()) {
				t.Errorf("stderr %q, want it to match %s", stderr, want)
			}
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("kill -0 %d after exit: %v, want ESRCH: the server outlived local-redis", pid, err)
			}
			if _, err := os.Stat(urlFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("--url-file still there after exit (%v)", err)
			}
		})
	}
}

// TestLocalRedisServerDies: a server killed behind local-redis's back is
// an error, exit 1, not a silent wait.
func TestLocalRedisServerDies(t *testing.T) {
	cmd, _, _, pid, stderr := startLocalRedis(t)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("exit %v, want status 1", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("local-redis still running 10s after its server was killed")
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "rlbench: redis-server (pid "+strconv.Itoa(pid)+") on 127.0.0.1:") || !strings.Contains(last, "exited on its own") {
		t.Errorf("last line of stderr %q, want one saying the server exited on its own", last)
	}
}

// TestLocalRedisKilled: local-redis killed with SIGKILL, which it cannot
// catch, takes its server with it (Linux's parent-death signal): a
// throwaway server never outlives the process that started it.
func TestLocalRedisKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	cmd, _, _, pid, _ := startLocalRedis(t)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, "redis-server to die with local-redis", func() bool { return !processAlive(pid) })
}

// processAlive says whether pid runs: a zombie, dead but not yet reaped by
// whoever adopted it, is not.
func processAlive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses: "123 (redis-server) S ...".
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

package main

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestServeSIGTERM sends a real SIGTERM to a separate rlbench serve
// process while a request is in flight, held there by a paused Redis: the
// process stops accepting connections at once, answers the request once
// Redis is back, says it shut down and exits 0.
func TestServeSIGTERM(t *testing.T) {
	s := redistest.Start(t)
	admin := s.Client(t)
	bin := filepath.Join(t.TempDir(), "rlbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--redis", s.URL, "serve", "--addr", "127.0.0.1:0", "--algo", "gcra",
		"--limit", "5", "--window", "1m", "--key", "header:X-User", "--redis-timeout", "1m")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the process has exited, with its error in
	// waitErr; lines are its stdout's.
	exited := make(chan struct{})
	var waitErr error
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	var addr string
	select {
	case line := <-lines:
		m := servingLine.FindStringSubmatch(line + "\n")
		if m == nil {
			t.Fatalf("first line %q, want rlbench serve: http://ADDR/ ...", line)
		}
		addr = m[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("rlbench serve did not say where it serves in 30s; stderr %q", stderr.String())
	}

	// Redis holds every script call: the request is in flight until
	// CLIENT UNPAUSE.
	if err := admin.Do(t.Context(), "CLIENT", "PAUSE", "60000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		resp *http.Response
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Header.Set("X-User", "held")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		answered <- answer{resp, err}
	}()
	waitFor(t, "the request to reach Redis", func() bool {
		info, err := admin.Info(t.Context(), "clients").Result()
		return err == nil && strings.Contains(info, "blocked_clients:1\r\n")
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new connections to be refused", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			return false
		}
		return errors.Is(err, syscall.ECONNREFUSED)
	})
	select {
	case a := <-answered:
		t.Fatalf("the request held by Redis was answered (%v) before Redis was unpaused", a.err)
	case <-exited:
		t.Fatalf("rlbench serve exited (%v) with a request in flight", waitErr)
	default:
	}

	if err := admin.Do(t.Context(), "CLIENT", "UNPAUSE").Err(); err != nil {
		t.Fatal(err)
	}
	a := <-answered
	if a.err != nil || a.resp.StatusCode != http.StatusOK || a.resp.Header.Get("RateLimit") != `"default";r=4;t=12` {
		t.Errorf("request in flight: %v, RateLimit %q; want 200 with r=4", a.err, header(a.resp, "RateLimit"))
	}
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	<-exited
	if waitErr != nil || stderr.String() != "" {
		t.Errorf("exit %v, stderr %q; want 0 and nothing", waitErr, stderr.String())
	}
	if want := "rlbench serve: shut down, every request in flight answered"; len(rest) != 1 || rest[0] != want {
		t.Errorf("after the serving line %q, want %q", rest, want)
	}
}

// waitFor polls until ok, failing after 30s: it waits for readiness only,
// and asserts nothing about how long that takes.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func header(resp *http.Response, name string) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get(name)
}

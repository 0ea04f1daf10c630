package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rlbench/rlbench/internal/redistest"
)

// syncBuffer is a bytes.Buffer that a running server writes while the
// test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var servingLine = regexp.MustCompile(`^rlbench serve: http://(127\.0\.0\.1:\d+)/ `)

// startServe runs Main with args until the test cancels its interrupt;
// it returns the address served, the exit code's channel and the output.
func startServe(t *testing.T, env map[string]string, args ...string) (string, context.CancelFunc, <-chan int, *syncBuffer, *syncBuffer) {
	t.Helper()
	var out, errOut syncBuffer
	interrupt, cancel := context.WithCancel(context.Background())
	io := IO{
		Args: args, Out: &out, Err: &errOut,
		Getenv: func(k string) string { return env[k] },
		Interrupt: func(parent context.Context) (context.Context, context.CancelFunc) {
			ctx, stop := context.WithCancel(parent)
			context.AfterFunc(interrupt, stop)
			return ctx, stop
		},
	}
	code := make(chan int, 1)
	go func() { code <- Main(io) }()
	for {
		if m := servingLine.FindStringSubmatch(out.String()); m != nil {
			return m[1], cancel, code, &out, &errOut
		}
		select {
		case c := <-code:
			t.Fatalf("rlbench serve exited %d before serving; stderr %q", c, errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// TestServeCommand: rlbench serve on a real redis-server passes --limit
// requests, answers the next with 429, and exits 0 on the interrupt.
func TestServeCommand(t *testing.T) {
	s := redistest.Start(t)
	addr, cancel, code, out, errOut := startServe(t, map[string]string{"REDIS_URL": s.URL},
		"serve", "--addr", "127.0.0.1:0", "--algo", "gcra", "--limit", "3", "--window", "1h", "--key", "header:X-API-Key")
	if want := " gcra 3/1h by X-API-Key header, redis " + s.Addr + "; on redis error open\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("stdout %q, want it to end %q", out.String(), want)
	}
	for i, want := range []int{200, 200, 200, 429} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Header.Set("X-API-Key", "k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("RateLimit-Policy") != `"default";q=3;w=3600` {
			t.Errorf("request %d: %d, RateLimit-Policy %q; want %d", i+1, resp.StatusCode, resp.Header.Get("RateLimit-Policy"), want)
		}
	}
	cancel()
	if c := <-code; c != 0 || errOut.String() != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", c, errOut.String())
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("%s still listening after the interrupt", addr)
	}
}

// TestServeCommandJWT: with a secret file, tokens are needed and roles
// have the seed's limits unless --tier says otherwise.
func TestServeCommandJWT(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, cancel, code, out, _ := startServe(t, nil, "serve", "--addr", "127.0.0.1:0", "--jwt-secret-file", file, "--tier", "gold=7/1m")
	defer func() { cancel(); <-code }()
	if !strings.Contains(out.String(), " sliding by role by JWT user (free=100/10m, gold=7/1m, premium=500/10m), miniredis ") {
		t.Errorf("stdout %q", out.String())
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(body), "missing bearer token") {
		t.Errorf("no token: %d %s", resp.StatusCode, body)
	}
	// The secret without its newline signs valid tokens; gold is --tier's.
	for _, tt := range []struct{ role, policy string }{
		{"gold", `"default";q=7;w=60`}, {"premium", `"default";q=500;w=600`}, {"nobody", `"default";q=100;w=600`},
	} {
		signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"user_id": tt.role + "-user", "role": tt.role}).SignedString([]byte("s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Header.Set("Authorization", "Bearer "+signed)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("RateLimit-Policy") != tt.policy {
			t.Errorf("role %s: %d, RateLimit-Policy %q; want 200 and %q", tt.role, resp.StatusCode, resp.Header.Get("RateLimit-Policy"), tt.policy)
		}
	}
}

// TestServeBadFlags: each bad value is one line naming it, exit 2,
// before anything listens or connects.
func TestServeBadFlags(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--algo", "nope"}, `invalid --algo "nope": want one of fixed, sliding, sliding-counter, token, leaky, gcra, seed-fixed, seed-sliding, seed-leaky, baseline`},
		{[]string{"--algo", "fixed,token"}, `invalid --algo "fixed,token": want one of`},
		{[]string{"--on-redis-error", "retry"}, `invalid --on-redis-error "retry": want open or closed`},
		{[]string{"--key", "cookie"}, `invalid --key "cookie": want ip, header:NAME (such as header:X-API-Key) or jwt`},
		{[]string{"--key", "header:"}, `invalid --key "header:": want ip, header:NAME`},
		{[]string{"--key", "header:X API"}, `invalid --key "header:X API": want ip, header:NAME`},
		{[]string{"--key", "jwt"}, "--key jwt needs --jwt-secret-file, the secret tokens are signed with"},
		{[]string{"--key", "ip", "--jwt-secret-file", secret}, "--jwt-secret-file applies only with --key jwt, not --key ip"},
		{[]string{"--tier", "gold=5/1m"}, "--tier applies only with --jwt-secret-file: roles come from the token"},
		{[]string{"--jwt-secret-file", secret, "--limit", "5"}, "--limit, --window and --burst do not apply with --jwt-secret-file"},
		{[]string{"--jwt-secret-file", secret, "--tier", "gold"}, `invalid --tier "gold": want ROLE=REQUESTS/WINDOW, such as premium=1000/10m`},
		{[]string{"--jwt-secret-file", secret, "--tier", "gold=0/1m"}, `invalid --tier "gold=0/1m": requests "0" is not a whole number from 1 to 1e15`},
		{[]string{"--jwt-secret-file", secret, "--tier", "gold=5/1x"}, `invalid --tier "gold=5/1x": window "1x" is not a duration from 1ms to 8784h`},
		{[]string{"--jwt-secret-file", filepath.Join(dir, "missing")}, "cannot read --jwt-secret-file: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{[]string{"--jwt-secret-file", empty}, `invalid --jwt-secret-file "` + empty + `": the file is empty; want the HS256 secret`},
		{[]string{"--limit", "0"}, "invalid --limit 0: want 1 to 1e15"},
		{[]string{"--window", "0s"}, "invalid --window 0s: want 1ms to 8784h"},
		{[]string{"--algo", "sliding", "--burst", "5"}, "--burst applies only to token, leaky, gcra, seed-leaky, not --algo sliding"},
		{[]string{"--algo", "token", "--burst", "0"}, "invalid --burst 0: want 1 to 1e15"},
		{[]string{"--redis-timeout", "0s"}, "invalid --redis-timeout 0s: want 1ms to 1m, such as 50ms"},
		{[]string{"--redis-timeout", "fast"}, `invalid --redis-timeout "fast": want a duration with a unit`},
		{[]string{"--shutdown-timeout", "-1s"}, "invalid --shutdown-timeout -1s: want 0 to 8784h"},
		{[]string{"extra"}, `unexpected argument "extra": rlbench serve takes flags only`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			io, out, errOut := newTestIO(nil, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if code := Main(io); code != exitUsage {
				t.Errorf("exit %d, want 2; stderr %q", code, errOut)
			}
			msg := errOut.String()
			if !strings.HasPrefix(msg, "rlbench: "+tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", msg, "rlbench: "+tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestServePortInUse: a port taken is exit 1 with one line.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	io, _, errOut := newTestIO(nil, "serve", "--addr", ln.Addr().String())
	if code := Main(io); code != exitFailure {
		t.Errorf("exit %d, want 1", code)
	}
	want := "rlbench: cannot listen on --addr " + ln.Addr().String() + ": listen tcp " + ln.Addr().String() + ": bind: address already in use\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

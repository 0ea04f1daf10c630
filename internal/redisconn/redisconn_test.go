package redisconn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

const password = "s3cret-pw"

// An embedded server that did not answer in time is an error that names
// it, not a panic on the address of a server already stopped.
func TestOpenEmbeddedCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	tgt, err := Open(ctx, "", Options{PoolSize: 4})
	if err == nil {
		_ = tgt.Close()
		t.Fatal("Open with a cancelled context succeeded")
	}
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "embedded miniredis at 127.0.0.1:") {
		t.Errorf("Open = %v, want ErrUnreachable naming the embedded miniredis", err)
	}
}

func TestOpenEmbedded(t *testing.T) {
	tgt, err := Open(t.Context(), "", Options{PoolSize: 4, DialTimeout: time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if tgt.Kind != KindMiniredis {
		t.Errorf("Kind = %q, want %q", tgt.Kind, KindMiniredis)
	}
	if !strings.HasPrefix(tgt.Address, "127.0.0.1:") {
		t.Errorf("Address = %q, want 127.0.0.1:port", tgt.Address)
	}
	if tgt.ServerVersion == "" {
		t.Error("ServerVersion is empty")
	}
	if err := tgt.Client.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if got := tgt.Client.(*redis.Client).PoolStats().TotalConns; got < 4 {
		t.Errorf("pool holds %d connections after Open, want the 4 asked for", got)
	}
	if err := tgt.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := tgt.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := tgt.Client.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("PING after Close = %v, want %v", err, redis.ErrClosed)
	}
}

// TestOpenEmbeddedExpires checks that keys age with the wall clock, as on a
// real server, so algorithms that rely on a TTL behave the same on both.
func TestOpenEmbeddedExpires(t *testing.T) {
	tgt, err := Open(t.Context(), "", Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer tgt.Close()
	ctx := t.Context()
	if err := tgt.Client.Set(ctx, "short", "v", 20*time.Millisecond).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	time.Sleep(60 * time.Millisecond)
	if n, err := tgt.Client.Exists(ctx, "short").Result(); err != nil || n != 0 {
		t.Errorf("EXISTS after the TTL = %d, %v; want 0, nil", n, err)
	}
}

func TestOpenURLWithPassword(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth(password)

	tgt, err := Open(t.Context(), "redis://:"+password+"@"+m.Addr()+"/0", Options{PoolSize: 2})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer tgt.Close()
	if tgt.Kind != KindRedis || tgt.Address != m.Addr() {
		t.Errorf("Kind, Address = %q, %q; want %q, %q", tgt.Kind, tgt.Address, KindRedis, m.Addr())
	}
	if strings.Contains(fmt.Sprintf("%s %s %s", tgt.Kind, tgt.Address, tgt.ServerVersion), password) {
		t.Errorf("Target shows the password: %s", tgt.Address)
	}
}

func TestOpenWrongPassword(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireAuth("the-right-one")

	_, err := Open(t.Context(), "redis://:"+password+"@"+m.Addr(), Options{})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open = %v, want ErrUnreachable", err)
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	start := time.Now()
	_, err = Open(t.Context(), "redis://admin:"+password+"@"+addr+"/0", Options{PoolSize: 8, DialTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Open = %v, want ErrUnreachable", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Open took %v to fail; dials should not be retried", took)
	}
	msg := err.Error()
	if strings.Contains(msg, password) {
		t.Errorf("error shows the password: %s", msg)
	}
	if want := "redis://admin:xxxxx@" + addr; !strings.Contains(msg, want) {
		t.Errorf("error %q does not name the redacted URL %q", msg, want)
	}
}

func TestOpenBadURL(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"no scheme", "localhost:6379", "no scheme; want redis://"},
		{"ip without scheme", "127.0.0.1:6379", "no scheme; want redis://"},
		{"http", "http://localhost:6379", "scheme must be redis:// or rediss://"},
		{"unix", "unix:///tmp/redis.sock", "scheme must be redis:// or rediss://"},
		{"no host", "redis://", "no host"},
		{"bad db", "redis://:" + password + "@localhost:6379/zero", "invalid database number"},
		{"bad port", "redis://localhost:port", "invalid port"},
		{"port too big", "redis://localhost:99999", "want a port from 1 to 65535"},
		{"port zero", "redis://:" + password + "@localhost:0", "want a port from 1 to 65535"},
		{"slash in password", "redis://:" + password + "/x@localhost:6379", "percent-encode"},
		{"unknown option", "redis://:" + password + "@localhost/?colour=red", "unexpected option: colour"},
		{"password option", "redis://localhost/?password=" + password, "unexpected option: password"},
		{"space in password", "redis://u:" + password + " x@localhost", "redis://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(t.Context(), tt.url, Options{})
			if !errors.Is(err, ErrBadURL) {
				t.Fatalf("Open(%q) = %v, want ErrBadURL", tt.url, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, password) {
				t.Errorf("error shows the password: %s", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is more than one line: %q", msg)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://localhost:6379/0", "redis://localhost:6379/0"},
		{"redis://app:" + password + "@cache:6379/0", "redis://app:xxxxx@cache:6379/0"},
		{"rediss://:" + password + "@cache:6380", "rediss://:xxxxx@cache:6380"},
		{"redis://cache/?password=" + password + "&db=1", "redis://cache/?db=1&password=xxxxx"},
		{"redis://u:" + password + " x@cache:6379", "redis://u:xxxxx@cache:6379"},
		{"redis://cache:x%zz/?token=" + password, "redis://cache:x%zz/?xxxxx"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	tgt, err := Open(t.Context(), srv.URL, Options{PoolSize: 4})
	if err != nil {
		t.Fatalf("Open(%s): %v", srv.URL, err)
	}
	defer tgt.Close()
	if tgt.Kind != KindRedis || tgt.Address != srv.Addr {
		t.Errorf("Kind, Address = %q, %q; want %q, %q", tgt.Kind, tgt.Address, KindRedis, srv.Addr)
	}
	if tgt.ServerVersion != srv.Version {
		t.Errorf("ServerVersion = %q, want %q", tgt.ServerVersion, srv.Version)
	}
}

func ExampleRedact() {
	fmt.Println(Redact("redis://app:s3cret@cache.internal:6379/0"))
	// Output: redis://app:xxxxx@cache.internal:6379/0
}

// TestOpenRefusesURLsThatWouldMisroute covers passwords holding '#', '/'
// or '@' unencoded: url.Parse splits them elsewhere, so the URL would reach
// another host (localhost for a fragment) and print part of the password.
func TestOpenRefusesURLsThatWouldMisroute(t *testing.T) {
	for _, raw := range []string{
		"redis://:#Xk9secret@db.example:6379/0",
		"redis://user:p@ss/word@127.0.0.1:1/0",
		"redis://user:pa@ss@127.0.0.1:1/0",
		"redis://:secret@:6379/0",
	} {
		_, err := Open(context.Background(), raw, Options{DialTimeout: 50 * time.Millisecond})
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("Open(%q) = %v, want ErrBadURL", raw, err)
			continue
		}
		for _, secret := range []string{"Xk9secret", "ss/word", "pa@ss", "secret"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Open(%q) error %q shows the password", raw, err)
			}
		}
	}
}

package redistest_test

import (
	"net"
	"runtime"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
)

func TestStart(t *testing.T) {
	s := redistest.Start(t)
	if s.Version == "" {
		t.Error("Version is empty")
	}
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.URL != "redis://"+s.Addr+"/0" {
		t.Errorf("Addr %q, URL %q: want loopback address and matching URL", s.Addr, s.URL)
	}

	c := s.Client(t)
	ctx := t.Context()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	got, err := c.Get(ctx, "k").Result()
	if err != nil || got != "v" {
		t.Fatalf("GET = %q, %v; want \"v\", nil", got, err)
	}

	// A second client starts from an empty database.
	if n, err := s.Client(t).DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE after Client = %d, %v; want 0, nil", n, err)
	}
}

// TestStartParallel checks that concurrent tests each get a working server.
func TestStartParallel(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := redistest.Start(t).Client(t)
			if err := c.Ping(t.Context()).Err(); err != nil {
				t.Fatalf("PING: %v", err)
			}
		})
	}
}

// outcomeTB records Skip and Fatal instead of acting on them, so the
// missing-binary policy can be tested without skipping or failing this test.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcomeTB) Helper() {}

func (o *outcomeTB) Skipf(format string, args ...any) {
	o.skipped, o.msg = true, format
	runtime.Goexit()
}

func (o *outcomeTB) Fatalf(format string, args ...any) {
	o.failed, o.msg = true, format
	runtime.Goexit()
}

func TestStartMissingBinary(t *testing.T) {
	tests := []struct {
		name        string
		require     string
		wantSkipped bool
		wantFailed  bool
	}{
		{name: "skips by default", require: "", wantSkipped: true},
		{name: "fails when required", require: "1", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RLBENCH_REDIS_SERVER", "/nonexistent/redis-server")
			t.Setenv("RLBENCH_REQUIRE_REDIS", tt.require)
			o := &outcomeTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				redistest.Start(o)
			}()
			<-done
			if o.skipped != tt.wantSkipped || o.failed != tt.wantFailed {
				t.Errorf("skipped=%v failed=%v; want skipped=%v failed=%v",
					o.skipped, o.failed, tt.wantSkipped, tt.wantFailed)
			}
		})
	}
}

// TestKill: a killed server is gone: its port refuses connections and a
// client's command fails.
func TestKill(t *testing.T) {
	s := redistest.Start(t)
	c := s.Client(t)
	s.Kill()
	if conn, err := net.Dial("tcp", s.Addr); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Kill", s.Addr)
	}
	if err := c.Ping(t.Context()).Err(); err == nil {
		t.Error("PING answered after Kill")
	}
}

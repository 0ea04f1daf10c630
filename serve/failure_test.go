package serve_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/serve"
)

// redisDown is a Redis that answered the first request and then failed:
// how it is made to fail, and the detail a closed policy answers with.
type redisDown struct {
	name   string
	start  func(t *testing.T) (rdb redis.Cmdable, fail func())
	detail string
}

// timeout bounds each decision: enough for miniredis's Lua under the race
// detector on a loaded machine.
const timeout = 250 * time.Millisecond

// open connects as rlbench serve does: one dial attempt, no retries, the
// context's deadline on every command, the scripts loaded.
func open(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	target, err := redisconn.Open(t.Context(), url, redisconn.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = target.Close() })
	if err := algorithms.Preload(t.Context(), target.Client); err != nil {
		t.Fatal(err)
	}
	return target.Client
}

func TestMain(m *testing.M) {
	// go-redis logs each failed dial; the tests check what the clients see.
	redis.SetLogger(discard{})
	os.Exit(m.Run())
}

type discard struct{}

func (discard) Printf(context.Context, string, ...any) {}

var redisFailures = []redisDown{
	{"miniredis stopped", func(t *testing.T) (redis.Cmdable, func()) {
		m := miniredis.RunT(t)
		return open(t, "redis://"+m.Addr()), m.Close
	}, "the rate limiter cannot decide: its redis failed"},
	{"redis-server shut down", func(t *testing.T) (redis.Cmdable, func()) {
		c := open(t, redistest.Start(t).URL)
		return c, func() {
			// SHUTDOWN's reply is the connection closing.
			_ = c.ShutdownNoSave(context.Background()).Err()
		}
	}, "the rate limiter cannot decide: its redis failed"},
	{"redis-server paused", func(t *testing.T) (redis.Cmdable, func()) {
		c := open(t, redistest.Start(t).URL)
		return c, func() {
			// Every command waits until the pause ends, 1000 times the timeout.
			if err := c.Do(context.Background(), "CLIENT", "PAUSE", (1000 * timeout).Milliseconds(), "ALL").Err(); err != nil {
				t.Fatal(err)
			}
		}
	}, "the rate limiter cannot decide: its redis did not answer within 250ms"},
	{"a server that never answers", func(t *testing.T) (redis.Cmdable, func()) {
		// It accepts connections and reads nothing: every decision must
		// give up at the timeout, not wait for an answer.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			var conns []net.Conn // held open, unanswered
			for {
				c, err := ln.Accept()
				if err != nil {
					for _, c := range conns {
						c.Close()
					}
					return
				}
				conns = append(conns, c)
			}
		}()
		// Not open: its PING would never be answered.
		c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true,
			ReadTimeout: -1}) // no bound but the context: a missing Timeout hangs the request
		t.Cleanup(func() { c.Close() })
		return c, nil
	}, "the rate limiter cannot decide: its redis did not answer within 250ms"},
}

// TestMiddlewareRedisFailure: when Redis stops, pauses or never answers,
// FailOpen passes each request with the policy fields but no decision's,
// and FailClosed answers 503 with a problem+json body: never a 500, and
// never later than the timeout allows (the client's 10 s would fail a
// hang). A seed variant, several round trips a decision, too.
func TestMiddlewareRedisFailure(t *testing.T) {
	limit := algorithms.Limit{Requests: 5, Window: time.Hour}
	for _, down := range redisFailures {
		for _, algo := range []string{"sliding", "seed-sliding"} {
			for _, policy := range []serve.OnRedisError{serve.FailOpen, serve.FailClosed} {
				name := down.name + "/" + algo + "/" + map[serve.OnRedisError]string{serve.FailOpen: "open", serve.FailClosed: "closed"}[policy]
				t.Run(name, func(t *testing.T) {
					rdb, fail := down.start(t)

					l, err := algorithms.New(algo, rdb, algorithms.Options{})
					if err != nil {
						t.Fatal(err)
					}
					url := newAPI(t, serve.Options{Limiter: l, Identify: serve.ByIP(limit), OnRedisError: policy, Timeout: timeout})
					if fail != nil {
						if a := get(t, url); a.status != http.StatusOK || a.header.Get("X-RateLimit-Remaining") != "4" {
							t.Fatalf("before the failure: %d, remaining %q; want 200 and 4", a.status, a.header.Get("X-RateLimit-Remaining"))
						}
						fail()
					}
					for i := range 3 {
						a := get(t, url)
						if got := a.header.Get("RateLimit-Policy"); got != `"default";q=5;w=3600` {
							t.Errorf("request %d: RateLimit-Policy %q", i, got)
						}
						for _, name := range []string{"RateLimit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
							if v := a.header.Get(name); v != "" {
								t.Errorf("request %d: %s %q on an undecided answer", i, name, v)
							}
						}
						if policy == serve.FailOpen {
							if a.status != http.StatusOK || a.body != serve.Welcome {
								t.Errorf("request %d: %d %q, want 200 and the welcome", i, a.status, a.body)
							}
							continue
						}
						if a.status != http.StatusServiceUnavailable {
							t.Fatalf("request %d: %d %q, want 503", i, a.status, a.body)
						}
						if p := problemBody(t, a); p["detail"] != down.detail || p["status"] != 503.0 {
							t.Errorf("request %d: body %v, want status 503 and detail %q", i, p, down.detail)
						}
					}
				})
			}
		}
	}
}

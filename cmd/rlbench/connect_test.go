package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/target"
)

// TestMainConnectErrors: a server that cannot serve the run is named for
// what it is, in one line, with no password, before any run starts.
func TestMainConnectErrors(t *testing.T) {
	// Three places, one held: two more open. One server per test, as a
	// closed connection's place is freed some time after.
	limited, limitedOpen := redistest.Start(t), redistest.Start(t)
	limited.LimitClients(t, 3, secret)
	limitedOpen.LimitClients(t, 3, secret)
	plain := redistest.Start(t)
	web := httptest.NewServer(http.NotFoundHandler())
	defer web.Close()
	tlsOnly := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsOnly.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes that fail are the test
	tlsOnly.StartTLS()
	defer tlsOnly.Close()
	webAddr, tlsAddr := web.Listener.Addr().String(), tlsOnly.Listener.Addr().String()

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"maxclients, closed workload", []string{"run", "--redis", "redis://:" + secret + "@" + limited.Addr + "/0", "--concurrency", "5"}, 1,
			`redis at "redis://:xxxxx@` + limited.Addr + `/0" refused connection 3 of 5: max number of clients reached (its maxclients limit); lower --concurrency or raise maxclients on the server`},
		{"maxclients, open workload", []string{"run", "--redis", "redis://:" + secret + "@" + limitedOpen.Addr + "/0", "--workload", "steady", "--max-inflight", "4"}, 1,
			`redis at "redis://:xxxxx@` + limitedOpen.Addr + `/0" refused connection 3 of 4: max number of clients reached (its maxclients limit); lower --max-inflight or raise maxclients on the server`},
		{"rediss to a plain redis", []string{"run", "--redis", "rediss://admin:" + secret + "@" + plain.Addr + "/0?dial_timeout=500ms"}, 1,
			`TLS handshake with "rediss://admin:xxxxx@` + plain.Addr + `/0?dial_timeout=500ms" failed: no answer within 500ms; the server probably does not speak TLS (for a plain Redis, use redis://)`},
		{"redis to a TLS server", []string{"run", "--redis", "redis://admin:" + secret + "@" + tlsAddr + "/0"}, 1,
			`the server at "redis://admin:xxxxx@` + tlsAddr + `/0" expects TLS: use rediss:// instead of redis://`},
		{"an HTTP server", []string{"run", "--redis", "redis://admin:" + secret + "@" + webAddr + "/0"}, 1,
			`the server at "redis://admin:xxxxx@` + webAddr + `/0" is not a Redis server: it answered "HTTP/1.1 400 Bad Request"`},
		{"port out of range", []string{"run", "--redis", "redis://admin:" + secret + "@127.0.0.1:99999/0"}, 2,
			`bad redis URL "redis://admin:xxxxx@127.0.0.1:99999/0": port 99999 is out of range; want a port from 1 to 65535`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(nil, tt.args...)
			if code := Main(io); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if got, want := errOut.String(), "rlbench: "+tt.want+"\n"; got != want {
				t.Errorf("stderr\n got %q\nwant %q", got, want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing: no run started", out)
			}
		})
	}
}

// TestRunCountsMaxClients: connections redialled during a run and refused
// for maxclients are errors of class connection, not unknown outcomes
// (nothing was sent on them), and the run's error line says why.
func TestRunCountsMaxClients(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.LimitClients(t, 2, secret) // one place for the run
	var opts *RunOptions
	io, _, _ := newTestIO(nil, "run", "--redis", "redis://:"+secret+"@"+srv.Addr+"/0", "--requests", "5", "--concurrency", "1", "-q")
	if err := newCmdRoot(io, func(o *RunOptions) error { opts = o; return nil }).Execute(); err != nil {
		t.Fatal(err)
	}
	s, err := connect(t.Context(), opts, []string{opts.Workload})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer s.Close()
	// The server drops the run's connection and another client takes its place.
	if n, err := admin.ClientKillByFilter(t.Context(), "TYPE", "normal", "SKIPME", "yes").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL = %d, %v; want 1 killed", n, err)
	}
	other := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: secret})
	defer other.Close()
	if err := other.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("other client: %v", err)
	}

	plan := []bench.Run{{Algorithm: "sliding", Workload: opts.Workload, Limit: opts.Limit}}
	results, err := s.Execute(t.Context(), plan, bench.NewFile(&opts.Load, opts.Algorithms, []string{opts.Workload}, s.Info, s.Seed(), "test"), nil)
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	r := results[0]
	if r.Sent != 5 || r.Errors != 5 || r.Unknown != 0 || r.ErrorsByClass[target.ClassConnection] != 5 {
		t.Errorf("sent %d, errors %d %v, unknown %d; want 5 sent, 5 connection errors, 0 unknown",
			r.Sent, r.Errors, r.ErrorsByClass, r.Unknown)
	}
	want := "requests failed: sliding 5 of 5 (connection 5); first error: sliding: redis at " + srv.Addr +
		" refused a connection: max number of clients reached (its maxclients limit)"
	if err := finish(t.Context(), results, len(plan)); err == nil || err.Error() != want {
		t.Errorf("finish = %v\nwant %q", err, want)
	}
}

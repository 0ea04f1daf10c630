package serve_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/rlbench/rlbench/serve"
)

// TestServerShutdownFinishesInFlight: Shutdown waits for a request that is
// being answered, which gets its whole answer; then the server is closed
// to new connections and Serve returns nil.
func TestServerShutdownFinishesInFlight(t *testing.T) {
	s, err := serve.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- s.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "finished")
		}))
	}()
	type result struct {
		body string
		err  error
	}
	answered := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/")
		if err != nil {
			answered <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- result{string(b), err}
	}()
	<-entered
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(context.Background()) }()

	// Shutdown cannot return while the request is in its handler. It
	// stops listening first: wait until a new connection is refused.
	for {
		c, err := net.Dial("tcp", s.Addr())
		if errors.Is(err, syscall.ECONNREFUSED) {
			break
		}
		if err == nil {
			c.Close()
		} else if !errors.Is(err, syscall.ECONNRESET) { // queued as the listener closed
			t.Fatalf("dial after Shutdown: %v, want connection refused", err)
		}
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	if r := <-answered; r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request: %q, %v; want its whole answer", r.body, r.err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v, want nil after Shutdown", err)
	}
}

// TestServerShutdownCutsOffAtDeadline: a request still running when the
// grace period ends is cut off and Shutdown says so.
func TestServerShutdownCutsOffAtDeadline(t *testing.T) {
	s, err := serve.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	go func() {
		_ = s.Serve(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { close(entered); <-release }))
	}()
	go func() {
		if resp, err := http.Get("http://" + s.Addr() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown: %v, want context.Canceled", err)
	}
}

func TestListenPortInUse(t *testing.T) {
	s, err := serve.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	if _, err := serve.Listen(s.Addr()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Listen on %s again: %v, want address in use", s.Addr(), err)
	}
}

func TestHandler(t *testing.T) {
	s, err := serve.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(serve.Handler()) }()
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	base := "http://" + s.Addr()
	tests := []struct {
		method, path string
		status       int
		contentType  string
		body         string
	}{
		{"GET", "/", 200, "application/json", serve.Welcome},
		{"HEAD", "/", 200, "application/json", ""},
		{"POST", "/", 405, "application/problem+json", `{"type":"about:blank","title":"Method Not Allowed","status":405,"detail":"POST is not allowed on /: want GET"}` + "\n"},
		{"GET", "/admin", 404, "application/problem+json", `{"type":"about:blank","title":"Not Found","status":404,"detail":"no such path /admin: the API serves GET /"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.contentType || string(b) != tt.body {
				t.Errorf("%d %q %q, want %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), b, tt.status, tt.contentType, tt.body)
			}
		})
	}
}

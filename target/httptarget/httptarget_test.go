package httptarget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlbench/rlbench/target"
)

// newTarget is New(c) on a server's URL, closed with the test.
func newTarget(t testing.TB, c Config) *Target {
	t.Helper()
	tg, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	t.Cleanup(tg.Close)
	return tg
}

// decide asks tg once for key under a generous deadline.
func decide(t testing.TB, tg *Target, key string) target.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	return tg.Decide(ctx, target.Request{Key: key, Cost: 1})
}

// statusServer answers /NNN with status NNN.
func statusServer(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if code/100 == 3 {
			w.Header().Set("Location", "/200")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "body\n")
	}))
	t.Cleanup(s.Close)
	return s
}

func TestDecideStatus(t *testing.T) {
	s := statusServer(t)
	tests := []struct {
		name   string
		status int
		reject []int
		kind   target.Kind
		class  string
	}{
		{"200", 200, nil, target.Accepted, ""},
		{"204", 204, nil, target.Accepted, ""},
		{"429 by default", 429, nil, target.Rejected, ""},
		{"nginx 503", 503, []int{503}, target.Rejected, ""},
		{"503 not configured", 503, nil, target.Failed, ClassHTTP5xx},
		{"429 not configured", 429, []int{503}, target.Failed, ClassHTTP4xx},
		{"redirect not followed", 302, nil, target.Failed, ClassHTTP3xx},
		{"304", 304, nil, target.Failed, ClassHTTP3xx},
		{"404", 404, nil, target.Failed, ClassHTTP4xx},
		{"500", 500, nil, target.Failed, ClassHTTP5xx},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t, Config{URL: s.URL + "/" + strconv.Itoa(tt.status), RejectStatus: tt.reject})
			o := decide(t, tg, "k")
			if o.Kind != tt.kind || o.Class != tt.class {
				t.Fatalf("status %d: %v %q (%v), want %v %q", tt.status, o.Kind, o.Class, o.Err, tt.kind, tt.class)
			}
			var se *StatusError
			switch {
			case tt.class == "" && o.Err != nil:
				t.Errorf("status %d: Err = %v, want nil", tt.status, o.Err)
			case tt.class != "" && (!errors.As(o.Err, &se) || se.Code != tt.status):
				t.Errorf("status %d: Err = %v, want a StatusError of %d", tt.status, o.Err, tt.status)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	if got, want := (&StatusError{Code: 503}).Error(), "HTTP 503 Service Unavailable"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for code, want := range map[int]string{301: ClassHTTP3xx, 418: ClassHTTP4xx, 599: ClassHTTP5xx, 103: target.ClassOther, 600: target.ClassOther} {
		if got := StatusClass(code); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", code, got, want)
		}
	}
}

// seen is what a server received.
type seen struct {
	method, path, query, host, body string
	header                          http.Header
	proto                           int
}

// recordingServer answers 200 and keeps the last request it received.
func recordingServer(t *testing.T, start func(*httptest.Server)) (*httptest.Server, func() seen) {
	var mu sync.Mutex
	var last seen
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Host, string(b), r.Header.Clone(), r.ProtoMajor}
		mu.Unlock()
	}))
	start(s)
	t.Cleanup(s.Close)
	return s, func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestDecideSends(t *testing.T) {
	s, last := recordingServer(t, (*httptest.Server).Start)
	tg := newTarget(t, Config{
		URL:       s.URL + "/v1/items?page=2&user=stale",
		Method:    "POST",
		Header:    http.Header{"Content-Type": {"application/json"}, "X-Trace": {"a", "b"}, "Host": {"api.example"}},
		Body:      []byte(`{"n":1}`),
		KeyHeader: "x-user",
		KeyQuery:  "user",
		Bearer:    func(req target.Request) string { return "tok-" + req.Key },
	})
	for _, key := range []string{"alice", "bob & co"} {
		if o := decide(t, tg, key); o.Kind != target.Accepted {
			t.Fatalf("%s: %v %q %v", key, o.Kind, o.Class, o.Err)
		}
		got := last()
		want := seen{method: "POST", path: "/v1/items", host: "api.example", body: `{"n":1}`, proto: 1,
			query: "page=2&user=" + strings.ReplaceAll(key, " & ", "+%26+")}
		if got.method != want.method || got.path != want.path || got.query != want.query ||
			got.host != want.host || got.body != want.body || got.proto != want.proto {
			t.Errorf("%s: server saw %+v, want %+v", key, got, want)
		}
		for name, want := range map[string]string{
			"X-User": key, "Authorization": "Bearer tok-" + key, "Content-Type": "application/json",
			"X-Trace": "a,b", "Content-Length": "7", "Accept-Encoding": "",
		} {
			if v := strings.Join(got.header.Values(name), ","); v != want {
				t.Errorf("%s: header %s = %q, want %q", key, name, v, want)
			}
		}
	}
}

// TestDecideNoKey: without KeyHeader, KeyQuery or Bearer, the request is
// the configured one, a GET.
func TestDecideNoKey(t *testing.T) {
	s, last := recordingServer(t, (*httptest.Server).Start)
	tg := newTarget(t, Config{URL: s.URL + "/x?a=1", Bearer: func(target.Request) string { return "" }})
	if o := decide(t, tg, "alice"); o.Kind != target.Accepted {
		t.Fatalf("%v %q %v", o.Kind, o.Class, o.Err)
	}
	got := last()
	if got.method != "GET" || got.query != "a=1" || got.body != "" || got.header.Get("Authorization") != "" {
		t.Errorf("server saw %+v, want a GET of /x?a=1 without body or Authorization", got)
	}
}

func TestDecideTLS(t *testing.T) {
	s, last := recordingServer(t, (*httptest.Server).StartTLS)
	if o := decide(t, newTarget(t, Config{URL: s.URL, Insecure: true}), "k"); o.Kind != target.Accepted {
		t.Fatalf("insecure: %v %q %v", o.Kind, o.Class, o.Err)
	}
	if p := last().proto; p != 1 {
		t.Errorf("HTTP/%d, want 1: this server does not offer HTTP/2", p)
	}
	o := decide(t, newTarget(t, Config{URL: s.URL}), "k")
	if o.Kind != target.Failed || o.Class != target.ClassConnection {
		t.Errorf("self-signed, verified: %v %q %v, want failed connection", o.Kind, o.Class, o.Err)
	}
}

func TestDecideHTTP2(t *testing.T) {
	s, last := recordingServer(t, func(s *httptest.Server) {
		s.EnableHTTP2 = true
		s.StartTLS()
	})
	tg := newTarget(t, Config{URL: s.URL, Insecure: true, KeyHeader: "X-User"})
	if o := decide(t, tg, "k"); o.Kind != target.Accepted {
		t.Fatalf("%v %q %v", o.Kind, o.Class, o.Err)
	}
	if got := last(); got.proto != 2 || got.header.Get("X-User") != "k" {
		t.Errorf("server saw HTTP/%d with X-User %q, want HTTP/2 and k", got.proto, got.header.Get("X-User"))
	}
}

// TestDecideSaid: what the server says comes back in Said, for every kind
// of answer.
func TestDecideSaid(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("RateLimit-Policy", `"default";q=100;w=60`)
		w.Header().Set("RateLimit", `"default";r=0;t=30`)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer s.Close()
	o := decide(t, newTarget(t, Config{URL: s.URL}), "k")
	want := target.Outcome{Kind: target.Rejected, Said: target.Said{
		Remaining: 0, RetryAfter: 30 * time.Second, ResetAfter: 30 * time.Second,
		Quota: 100, QuotaWindow: time.Minute, Has: hasAll | target.HasQuota}}
	if o != want {
		t.Errorf("Decide = %+v, want %+v", o, want)
	}
}

// TestDecideTimeout: an answer that comes after the deadline is unknown:
// the server had the request, and may have admitted it.
func TestDecideTimeout(t *testing.T) {
	release := make(chan struct{})
	received := make(chan struct{}, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		<-release
	}))
	defer s.Close()
	defer close(release)
	tg := newTarget(t, Config{URL: s.URL})
	// The deadline passes once the server holds the request, whatever the
	// machine's speed: the transport reports the context's cause.
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	go func() {
		<-received
		cancel(context.DeadlineExceeded)
	}()
	o := tg.Decide(ctx, target.Request{Key: "k", Cost: 1})
	if o.Kind != target.Unknown || o.Class != target.ClassTimeout {
		t.Errorf("Decide = %v %q (%v), want unknown timeout", o.Kind, o.Class, o.Err)
	}
}

// TestDecideTimeoutInQueue: a request whose deadline passes while it waits
// for one of MaxConns connections was never sent: failed, not unknown.
func TestDecideTimeoutInQueue(t *testing.T) {
	release := make(chan struct{})
	received := make(chan struct{}, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received <- struct{}{}
		<-release
	}))
	defer s.Close()
	defer close(release)
	tg := newTarget(t, Config{URL: s.URL, MaxConns: 1})
	go tg.Decide(t.Context(), target.Request{Key: "first", Cost: 1})
	<-received
	// The deadline passes once the second request asks for a connection.
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(string) { cancel(context.DeadlineExceeded) },
	})
	o := tg.Decide(ctx, target.Request{Key: "second", Cost: 1})
	if o.Kind != target.Failed || o.Class != target.ClassTimeout {
		t.Errorf("Decide = %v %q (%v), want failed timeout", o.Kind, o.Class, o.Err)
	}
}

// TestDecideConnectionLost: a server that reads the request and closes the
// connection without answering may have decided it: unknown.
func TestDecideConnectionLost(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_ = conn.Close()
	}))
	defer s.Close()
	o := decide(t, newTarget(t, Config{URL: s.URL}), "k")
	if o.Kind != target.Unknown || o.Class != target.ClassConnection {
		t.Errorf("Decide = %v %q (%v), want unknown connection", o.Kind, o.Class, o.Err)
	}
}

// TestDecideRefused: nothing listens, so nothing was sent: failed.
func TestDecideRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	o := decide(t, newTarget(t, Config{URL: "http://" + addr + "/"}), "k")
	if o.Kind != target.Failed || o.Class != target.ClassConnection {
		t.Errorf("Decide = %v %q (%v), want failed connection", o.Kind, o.Class, o.Err)
	}
}

// TestDecideNotSent: a request that cannot be built or whose context ended
// before it left surely decided nothing, and is no connection error.
func TestDecideNotSent(t *testing.T) {
	s := statusServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	o := newTarget(t, Config{URL: s.URL + "/200"}).Decide(ctx, target.Request{Key: "k", Cost: 1})
	if o.Kind != target.Failed || o.Class != target.ClassOther || !errors.Is(o.Err, context.Canceled) {
		t.Errorf("cancelled: %v %q (%v), want failed other", o.Kind, o.Class, o.Err)
	}
	for name, c := range map[string]Config{
		"key":    {URL: s.URL + "/200", KeyHeader: "X-User"},
		"bearer": {URL: s.URL + "/200", Bearer: func(req target.Request) string { return req.Key }},
	} {
		o := decide(t, newTarget(t, c), "a\r\nX-Injected: 1")
		if o.Kind != target.Failed || o.Class != target.ClassOther || o.Err == nil {
			t.Errorf("%s with a line break: %v %q (%v), want failed other", name, o.Kind, o.Class, o.Err)
		}
	}
}

// connCounter is a server that answers 200 with a body of size bytes and
// counts the connections it accepted.
func connCounter(t *testing.T, size int) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	body := strings.Repeat("x", size)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s, &conns
}

// TestDecideReusesConnections: bodies are read so connections are kept,
// and at most MaxConns are opened by many workers.
func TestDecideReusesConnections(t *testing.T) {
	s, conns := connCounter(t, 32<<10)
	tg := newTarget(t, Config{URL: s.URL, MaxConns: 3})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for range 12 {
		wg.Go(func() {
			for i := range 20 {
				if o := decide(t, tg, fmt.Sprint(i)); o.Kind != target.Accepted {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d of 240 not accepted", bad.Load())
	}
	if n := conns.Load(); n < 1 || n > 3 {
		t.Errorf("%d connections for 240 requests, want 1 to 3 (MaxConns)", n)
	}
}

// TestDecideLongBody: a body above maxDrain is cut, not read to the end;
// its connection is closed, and the answer stands.
func TestDecideLongBody(t *testing.T) {
	s, conns := connCounter(t, 4<<20)
	tg := newTarget(t, Config{URL: s.URL, MaxConns: 1})
	for range 3 {
		if o := decide(t, tg, "k"); o.Kind != target.Accepted {
			t.Fatalf("%v %q %v", o.Kind, o.Class, o.Err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 requests with 4 MiB bodies, want 3", n)
	}
}

// BenchmarkDecide: one decision against a local server, keep-alive.
func BenchmarkDecide(b *testing.B) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "9")
		w.Header().Set("X-RateLimit-Reset", "30")
		w.WriteHeader(http.StatusOK)
	}))
	defer s.Close()
	tg := newTarget(b, Config{URL: s.URL, KeyHeader: "X-User"})
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if o := tg.Decide(ctx, target.Request{Key: "user-1", Cost: 1}); o.Kind != target.Accepted {
			b.Fatalf("%v %q %v", o.Kind, o.Class, o.Err)
		}
	}
}

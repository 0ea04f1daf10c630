package redisconn

import (
	"bufio"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// wantOpenError checks that err is the one line want, matches every one of
// is, and shows no password.
func wantOpenError(t *testing.T, err error, want string, is ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("Open succeeded, want %q", want)
	}
	if got := err.Error(); got != want {
		t.Errorf("error\n got %q\nwant %q", got, want)
	}
	for _, target := range is {
		if !errors.Is(err, target) {
			t.Errorf("error %q is not %v", err, target)
		}
	}
	if strings.Contains(err.Error(), password) {
		t.Errorf("error shows the password: %s", err)
	}
}

// TestOpenMaxClients: Redis at its maxclients limit writes an error and
// closes; go-redis's HELLO used to swallow the error and report "EOF".
func TestOpenMaxClients(t *testing.T) {
	tests := []struct {
		name             string
		maxClients, pool int
		want             string
	}{
		// One place, held by another client: the first connection is refused.
		{"first", 1, 1, "refused connection 1 of 1"},
		// Three places, one held: connections 1 and 2 open, 3 is refused.
		{"third of five", 3, 5, "refused connection 3 of 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t)
			srv.LimitClients(t, tt.maxClients, password)
			_, err := Open(t.Context(), "redis://:"+password+"@"+srv.Addr+"/0", Options{PoolSize: tt.pool})
			wantOpenError(t, err, `redis at "redis://:xxxxx@`+srv.Addr+`/0" `+tt.want+": max number of clients reached (its maxclients limit)",
				ErrUnreachable, ErrMaxClients)
		})
	}
}

// TestMaxClientsDuringRun: a connection redialled during a run (after the
// server dropped one) and refused for maxclients says so, and is a refused
// connection, on which no decision was made.
func TestMaxClientsDuringRun(t *testing.T) {
	srv := redistest.Start(t)
	admin := srv.LimitClients(t, 2, password)
	tgt, err := Open(t.Context(), "redis://:"+password+"@"+srv.Addr+"/0", Options{PoolSize: 1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer tgt.Close()
	// Drop the target's connection and give its place to another client.
	if n, err := admin.ClientKillByFilter(t.Context(), "TYPE", "normal", "SKIPME", "yes").Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL = %d, %v; want 1 killed", n, err)
	}
	other := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: password})
	defer other.Close()
	if err := other.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("other client: %v", err)
	}

	err = tgt.Client.Ping(t.Context()).Err()
	want := "redis at " + srv.Addr + " refused a connection: max number of clients reached (its maxclients limit)"
	if err == nil || err.Error() != want {
		t.Fatalf("PING = %v, want %q", err, want)
	}
	for _, target := range []error{ErrMaxClients, syscall.ECONNREFUSED} {
		if !errors.Is(err, target) {
			t.Errorf("error %q is not %v", err, target)
		}
	}
}

// TestOpenTLSToPlainRedis: a plain Redis never answers a TLS ClientHello,
// whose second byte of length is always 0 (Redis reads an inline command up
// to a NUL), so the handshake waits out the dial timeout.
func TestOpenTLSToPlainRedis(t *testing.T) {
	srv := redistest.Start(t)
	_, err := Open(t.Context(), "rediss://app:"+password+"@"+srv.Addr+"/0", Options{DialTimeout: 500 * time.Millisecond})
	wantOpenError(t, err, `TLS handshake with "rediss://app:xxxxx@`+srv.Addr+`/0" failed: no answer within 500ms; the server probably does not speak TLS (for a plain Redis, use redis://)`,
		ErrUnreachable, ErrTLSMismatch)
}

// TestOpenPlainToTLS: a TLS server closes a connection whose first bytes
// are not a TLS handshake; a second try, with TLS, shows that it speaks it.
func TestOpenPlainToTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes that fail are the test
	srv.StartTLS()
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, err := Open(t.Context(), "redis://app:"+password+"@"+addr+"/0", Options{DialTimeout: time.Second})
	wantOpenError(t, err, `the server at "redis://app:xxxxx@`+addr+`/0" expects TLS: use rediss:// instead of redis://`,
		ErrUnreachable, ErrTLSMismatch)
}

// TestOpenPlainClosedNotTLS: a server that closes the connection without a
// word, and does not speak TLS either, is only unreachable.
func TestOpenPlainClosedNotTLS(t *testing.T) {
	addr := serve(t, func(conn net.Conn) {
		// Read HELLO first: closing with it unread would reset the
		// connection rather than end it.
		_, _ = conn.Read(make([]byte, 512))
		conn.Close()
	})
	_, err := Open(t.Context(), "redis://app:"+password+"@"+addr+"/0", Options{DialTimeout: time.Second})
	wantOpenError(t, err, `redis unreachable at "redis://app:xxxxx@`+addr+`/0": EOF`, ErrUnreachable)
	if errors.Is(err, ErrTLSMismatch) {
		t.Errorf("error %q is ErrTLSMismatch", err)
	}
}

func TestOpenNotRedis(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	_, err := Open(t.Context(), "redis://app:"+password+"@"+addr+"/0", Options{DialTimeout: time.Second})
	wantOpenError(t, err, `the server at "redis://app:xxxxx@`+addr+`/0" is not a Redis server: it answered "HTTP/1.1 400 Bad Request"`,
		ErrUnreachable, ErrNotRedis)
}

// TestOpenEchoedPassword: HELLO carries the password, and a server that is
// not Redis may quote it back, in a first line cut short, or in a reply
// that go-redis quotes.
func TestOpenEchoedPassword(t *testing.T) {
	dots := strings.Repeat(".", 35)
	tests := []struct{ answer, want string }{
		{"no " + password, `the server at "URL" is not a Redis server: it answered "no xxxxx"`},
		{dots + password, `the server at "URL" is not a Redis server: it answered "` + dots + `xxxxx"`},
		{"+no " + password, `redis unreachable at "URL": redis: can't parse map reply: "+no xxxxx"`},
	}
	for _, tt := range tests {
		addr := serve(t, func(conn net.Conn) {
			defer conn.Close()
			buf := make([]byte, 512)
			n, _ := conn.Read(buf)
			if strings.Contains(string(buf[:n]), password) {
				_, _ = conn.Write([]byte(tt.answer + "\r\n"))
			}
		})
		_, err := Open(t.Context(), "redis://app:"+password+"@"+addr+"/0", Options{DialTimeout: time.Second})
		want := strings.Replace(tt.want, "URL", "redis://app:xxxxx@"+addr+"/0", 1)
		if err == nil || err.Error() != want {
			t.Errorf("answer %q: Open = %v\nwant %s", tt.answer, err, want)
		}
	}
}

// serve accepts connections on a free loopback port and hands each to
// handle, until the test ends.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go handle(conn)
		}
	}()
	return l.Addr().String()
}

// TestGreetingReadsPassThrough: a Redis reply read in small pieces reaches
// go-redis whole, and only the first read is checked.
func TestGreetingReadsPassThrough(t *testing.T) {
	addr := serve(t, func(conn net.Conn) {
		defer conn.Close()
		r := bufio.NewReader(conn)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			_, _ = conn.Write([]byte("+OK\r\n"))
		}
	})
	conn, err := dialer(&redis.Options{DialTimeout: time.Second})(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, ok := conn.(syscall.Conn); !ok {
		t.Error("a TCP connection lost its syscall.Conn, which go-redis's health check needs")
	}
	var got []byte
	for range 2 {
		if _, err := conn.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		one := make([]byte, 1)
		for line := 0; line == 0 || got[len(got)-1] != '\n'; line++ {
			if _, err := conn.Read(one); err != nil {
				t.Fatalf("read after %q: %v", got, err)
			}
			got = append(got, one[0])
		}
	}
	if string(got) != "+OK\r\n+OK\r\n" {
		t.Errorf("read %q, want two +OK lines", got)
	}
}

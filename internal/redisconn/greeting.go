package redisconn

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// The first bytes a server sends on a new connection tell a Redis at its
// client limit, or a server that is not Redis at all, from a network
// failure. go-redis loses both: its HELLO falls back to RESP2 on any error
// reply, so Redis's "-ERR max number of clients reached" is swallowed and
// the next command reads EOF; any other greeting is an "invalid reply" that
// quotes the server, which may echo the password.
var maxClientsReply = []byte("-ERR max number of clients") // "... reached", "... + cluster connections reached"

// respTypes are the bytes a RESP2 or RESP3 reply can start with.
const respTypes = "+-:$*_,#!=(%~>|"

// maxClientsError is Redis refusing a connection because it already serves
// its maxclients limit of clients: it writes the error and closes, before
// reading anything.
type maxClientsError struct{ addr string }

func (e *maxClientsError) Error() string {
	return "redis at " + e.addr + " refused a connection: max number of clients reached (its maxclients limit)"
}

// Is makes it ErrMaxClients, and a refused connection: only HELLO was sent
// on it, never a command, so nothing was decided (workload counts it as an
// error, not as an unknown outcome).
func (e *maxClientsError) Is(target error) bool {
	return target == ErrMaxClients || target == syscall.ECONNREFUSED
}

// notRedisError is a server whose first reply is not RESP.
type notRedisError struct{ addr, answer string }

func (e *notRedisError) Error() string {
	return fmt.Sprintf("the server at %s is not a Redis server: it answered %q", e.addr, e.answer)
}

func (e *notRedisError) Is(target error) bool { return target == ErrNotRedis }

// notTLSError is a TLS handshake that failed as it does with a server that
// does not speak TLS: no answer (a plain Redis waits for the end of a line
// that a ClientHello never gives it), an answer that is not TLS, or a
// closed connection.
type notTLSError struct {
	addr, why string
	err       error
}

func (e *notTLSError) Error() string {
	return "TLS handshake with " + e.addr + " failed: " + e.why
}

func (e *notTLSError) Unwrap() error { return e.err }

func (e *notTLSError) Is(target error) bool { return target == ErrTLSMismatch }

// dialer is go-redis's own dialer (TCP, then TLS for rediss://) with every
// connection's first reply checked, and a TLS handshake with a server that
// does not speak TLS named as such. It reads ro when it dials: ro's
// DialTimeout, which tune sets, bounds the TLS handshake too.
func dialer(ro *redis.Options) func(context.Context, string, string) (net.Conn, error) {
	base := redis.NewDialer(ro)
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := base(ctx, network, addr)
		if err != nil {
			if ro.TLSConfig != nil {
				return nil, handshakeError(addr, ro.DialTimeout, err)
			}
			return nil, err
		}
		g := &greetingConn{Conn: conn, addr: addr, password: ro.Password}
		if _, ok := conn.(syscall.Conn); ok {
			return greetingSyscallConn{g}, nil
		}
		return g, nil
	}
}

// handshakeError names a failed TLS dial that looks like a server without
// TLS; any other error (a refused TCP connection, a certificate that does
// not verify) is returned as it is.
func handshakeError(addr string, timeout time.Duration, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return err // no TCP connection: TLS never started
	}
	var netErr net.Error
	var record tls.RecordHeaderError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &notTLSError{addr, "no answer within " + timeout.String(), err}
	case errors.As(err, &record):
		return &notTLSError{addr, "its answer is not TLS", err}
	case closedEarly(err):
		return &notTLSError{addr, "it closed the connection", err}
	}
	return err
}

// closedEarly reports a connection the server closed before answering.
func closedEarly(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// greetingConn checks the first bytes read from a new connection; after
// them it only passes reads through. go-redis reads a connection from one
// goroutine at a time, handing it over through its pool.
type greetingConn struct {
	net.Conn
	addr     string
	password string      // hidden from a quoted answer: a server may echo HELLO
	greeted  atomic.Bool // the first bytes were those of a Redis reply
	// refusal is what the first bytes meant when they were not, returned
	// by every read: go-redis peeks for push notifications before reading
	// a reply, and its peek drops the first error.
	refusal error
}

func (c *greetingConn) Read(p []byte) (int, error) {
	if c.greeted.Load() {
		return c.Conn.Read(p)
	}
	if c.refusal != nil {
		return 0, c.refusal
	}
	n, err := c.Conn.Read(p)
	switch {
	case n == 0:
		return n, err
	case bytes.HasPrefix(p[:n], maxClientsReply):
		c.refusal = &maxClientsError{c.addr}
	case !strings.ContainsRune(respTypes, rune(p[0])):
		c.refusal = &notRedisError{c.addr, c.firstLine(p[:n])}
	default:
		c.greeted.Store(true)
		return n, err
	}
	return 0, c.refusal
}

// firstLine is the start of an answer, short and without the password.
func (c *greetingConn) firstLine(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	line := string(b)
	if c.password != "" {
		line = strings.ReplaceAll(line, c.password, "xxxxx") // before cutting, which could leave half of it
	}
	return line[:min(len(line), 40)]
}

// NetConn is the connection underneath, as crypto/tls.Conn names it.
func (c *greetingConn) NetConn() net.Conn { return c.Conn }

// greetingSyscallConn keeps a TCP connection's syscall.Conn visible:
// go-redis checks that a pooled connection is still open through it.
type greetingSyscallConn struct{ *greetingConn }

func (c greetingSyscallConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

// speaksTLS reports whether the server at addr completes a TLS handshake,
// or answers one with a TLS alert. It only asks: nothing is sent over the
// connection, so the certificate is not checked.
func speaksTLS(ctx context.Context, addr string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err == nil {
		_ = conn.Close()
		return true
	}
	var alert tls.AlertError
	return errors.As(err, &alert)
}

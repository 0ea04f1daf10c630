package workload

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// Error classes: why a decision was not made. A rejection is a decision;
// none of these is.
const (
	// ClassTimeout is a decision that outlived its deadline.
	ClassTimeout = "timeout"
	// ClassConnection is a broken, refused or unavailable connection.
	ClassConnection = "connection"
	// ClassScript is Redis refusing the script or its keys (ERR, NOSCRIPT,
	// WRONGTYPE), or a reply the algorithm could not read: a bug to fix,
	// not load to tolerate.
	ClassScript = "script"
	// ClassOther is everything else, such as LOADING, READONLY or OOM.
	ClassOther = "other"
)

// ErrorClasses lists every class in the order reports show them.
func ErrorClasses() []string {
	return []string{ClassTimeout, ClassConnection, ClassScript, ClassOther}
}

// Classify names the class of err, which must not be nil. Timeouts are
// checked first, so a dial that timed out is a timeout, not a connection
// error.
func Classify(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return ClassTimeout
	case isConnection(err):
		return ClassConnection
	case isScript(err):
		return ClassScript
	}
	return ClassOther
}

// IsUnknown reports whether a failed decision may still have been made:
// the request may have reached Redis and run its script, but no reply came
// back. Such an outcome is unknown, not an error; it may have been an
// admission.
//
// Unknown: every timeout (context.DeadlineExceeded or a net.Error whose
// Timeout() is true), and a connection lost after the send (EOF, an
// unexpected EOF, a reset, a broken pipe, an aborted connection, a closed
// socket, or a read/write *net.OpError). go-redis gives the same context
// deadline whether it expired while waiting for a pooled connection (nothing
// sent) or while reading the reply (the script may have run): the two are
// indistinguishable, so every timeout counts as unknown, which can only widen
// the accuracy interval, never hide an over-admission.
//
// Errors, sure to have decided nothing: a dial that failed (a *net.OpError
// whose Op is "dial", ECONNREFUSED), redis.ErrClosed, redis.ErrPoolExhausted,
// redis.ErrPoolTimeout (no connection was had, so nothing was sent), Redis
// refusing the script (ERR, NOSCRIPT, WRONGTYPE and any other Redis error
// reply: Redis answered, and did not decide), and a bad reply.
func IsUnknown(err error) bool {
	if err == nil || sureNotSent(err) {
		return false
	}
	var redisErr redis.Error
	if errors.As(err, &redisErr) || errors.Is(err, algorithms.ErrBadReply) {
		return false
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	return isConnection(err)
}

// sureNotSent reports errors that happen before a request leaves the client.
func sureNotSent(err error) bool {
	for _, target := range []error{redis.ErrClosed, redis.ErrPoolExhausted, redis.ErrPoolTimeout, syscall.ECONNREFUSED} {
		if errors.Is(err, target) {
			return true
		}
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

func isConnection(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return true
	}
	for _, target := range []error{
		io.EOF, io.ErrUnexpectedEOF, net.ErrClosed,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
		redis.ErrClosed, redis.ErrPoolExhausted, redis.ErrPoolTimeout,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func isScript(err error) bool {
	if errors.Is(err, algorithms.ErrBadReply) {
		return true
	}
	var redisErr redis.Error
	if !errors.As(err, &redisErr) {
		return false
	}
	msg := redisErr.Error()
	for _, prefix := range []string{"ERR", "NOSCRIPT", "WRONGTYPE"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

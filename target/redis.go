package target

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

// Limiter is the target of a Redis-backed limiter: every decision it
// makes is one Outcome, its errors classified by ClassifyRedis. It is a
// BatchTarget when l is an algorithms.Batcher.
func Limiter(l algorithms.Limiter) Target {
	if b, ok := l.(algorithms.Batcher); ok {
		return batchLimiterTarget{limiterTarget{l}, b}
	}
	return limiterTarget{l}
}

type limiterTarget struct{ l algorithms.Limiter }

func (t limiterTarget) Decide(ctx context.Context, req Request) Outcome {
	d, err := t.l.AllowN(ctx, req.Key, req.Limit, req.Cost)
	if err != nil {
		return ClassifyRedis(err)
	}
	return Decided(d)
}

// Decided is the outcome of decision d: what the limiter said, on its
// own clock.
func Decided(d algorithms.Decision) Outcome {
	o := Outcome{Kind: Rejected, Said: Said{
		At: d.At, Remaining: d.Remaining, RetryAfter: d.RetryAfter, ResetAfter: d.ResetAfter,
		Has: HasRemaining | HasRetryAfter | HasResetAfter,
	}}
	if d.Allowed {
		o.Kind = Accepted
	}
	return o
}

// ClassifyRedis is the outcome of a failed call to Redis: Unknown when
// the call may still have been decided (IsUnknown), else Failed, with the
// class Classify gives.
func ClassifyRedis(err error) Outcome {
	o := Outcome{Kind: Failed, Class: Classify(err), Err: err}
	if IsUnknown(err) {
		o.Kind = Unknown
	}
	return o
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
	case isTopology(err):
		return ClassTopology
	}
	return ClassOther
}

// isTopology reports the error replies of a server in the wrong place in
// its deployment for the command (ClassTopology).
func isTopology(err error) bool {
	var redisErr redis.Error
	if !errors.As(err, &redisErr) {
		return false
	}
	msg := redisErr.Error()
	for _, prefix := range []string{"CLUSTERDOWN", "TRYAGAIN", "MOVED", "ASK", "READONLY", "MASTERDOWN"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
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

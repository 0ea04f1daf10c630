// Package serve is an HTTP API rate-limited by any rlbench algorithm: the
// middleware, the welcome handler the seed served, and a server that shuts
// down gracefully.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// OnRedisError is what the middleware does with a request whose decision
// failed: Redis down, erroring or slower than Options.Timeout.
type OnRedisError int

const (
	// FailOpen passes the request on undecided, as most production
	// limiters do: the API stays up while its limiter is down.
	FailOpen OnRedisError = iota
	// FailClosed answers 503 Service Unavailable.
	FailClosed
)

// Options configure Middleware. Limiter and Identify are required.
type Options struct {
	// Limiter decides each request, for one unit of its identity's limit.
	Limiter algorithms.Limiter
	// Identify finds the key and the limit of each request.
	Identify Identify
	// OnRedisError is what to do when the Limiter fails; FailOpen by default.
	OnRedisError OnRedisError
	// Timeout bounds each decision, so that a Redis that does not answer
	// delays a request by at most this long; 0 means no bound but the
	// request's own context.
	Timeout time.Duration
}

// Middleware limits every request to the handler it wraps: each is
// identified, then decided by the Limiter. An identity refused is answered
// with the refusal's status; a rejected request with 429, Retry-After and a
// problem+json body; a request whose decision failed as OnRedisError says,
// never with a 500. Every decided answer, passed or not, carries the
// RateLimit-Policy, RateLimit and X-RateLimit-* fields; an undecided one
// only RateLimit-Policy and X-RateLimit-Limit.
func Middleware(o Options) func(http.Handler) http.Handler {
	if o.Limiter == nil || o.Identify == nil {
		panic("serve.Middleware: Options.Limiter and Options.Identify are required")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := o.Identify(r)
			if err != nil {
				refuse(w, err)
				return
			}
			h := w.Header()
			setPolicy(h, id.Limit)
			d, err := o.decide(r.Context(), id)
			if err != nil {
				if o.OnRedisError == FailClosed {
					writeProblem(w, http.StatusServiceUnavailable, "the rate limiter cannot decide: "+err.Error(), 0)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			setDecision(h, id.Limit, d)
			if !d.Allowed {
				writeProblem(w, http.StatusTooManyRequests,
					fmt.Sprintf("rate limit of %d requests per %v exceeded", id.Limit.Requests, id.Limit.Window),
					retryAfter(id.Limit, d))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// decide asks the limiter for one unit of id's limit within Timeout. Its
// error says why without what the limiter's error says, which names the
// Redis server's address: clients need not know it.
func (o Options) decide(ctx context.Context, id Identity) (algorithms.Decision, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	d, err := o.Limiter.AllowN(ctx, id.Key, id.Limit, 1)
	switch {
	case err == nil:
		return d, nil
	case o.Timeout > 0 && (ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded)):
		// go-redis sets the context's deadline on the connection, whose
		// i/o timeout may come before the context says it is done.
		return d, fmt.Errorf("its redis did not answer within %v", o.Timeout)
	}
	return d, errors.New("its redis failed")
}

// refuse answers a request that Identify refused.
func refuse(w http.ResponseWriter, err error) {
	var refusal *Refusal
	if !errors.As(err, &refusal) {
		refusal = &Refusal{Status: http.StatusBadRequest, Reason: err.Error()}
	}
	if refusal.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	writeProblem(w, refusal.Status, refusal.Reason, 0)
}

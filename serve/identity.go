package serve

import (
	"fmt"
	"net"
	"net/http"

	"github.com/rlbench/rlbench/algorithms"
)

// Identity is who a request is counted against, and the limit it has.
//
// A request from 203.0.113.7 keyed by IP is Identity{Key: "ip:203.0.113.7",
// Limit: <the server's limit>}; a bearer token with user_id 42 and role
// premium is Identity{Key: "user:42", Limit: <premium's limit>, Role: "premium"}.
type Identity struct {
	// Key is the limiter's user key: one allowance per distinct Key.
	Key string
	// Limit is what Key is allowed.
	Limit algorithms.Limit
	// Role is the role the limit comes from in JWT mode; "" otherwise.
	Role string
}

// Identify finds who a request is counted against. A *Refusal error is
// answered with its status and reason, and the limiter is not asked.
type Identify func(r *http.Request) (Identity, error)

// Refusal is a request answered without a decision: no identity could be
// found for it (401 for a bad token, 400 for a missing key header).
type Refusal struct {
	// Status is the HTTP status code of the answer.
	Status int
	// Reason says what was wrong, in the body's detail.
	Reason string
}

func (r *Refusal) Error() string { return r.Reason }

// ByIP counts each client IP address (RemoteAddr without its port)
// against limit. Behind a proxy every request has the proxy's address;
// use ByHeader with the header the proxy sets.
func ByIP(limit algorithms.Limit) Identify {
	return func(r *http.Request) (Identity, error) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr // no port: a test or a custom listener
		}
		return Identity{Key: "ip:" + host, Limit: limit}, nil
	}
}

// ByHeader counts each value of the header name, such as X-API-Key,
// against limit. A request without the header is refused with 400.
func ByHeader(name string, limit algorithms.Limit) Identify {
	canonical := http.CanonicalHeaderKey(name)
	return func(r *http.Request) (Identity, error) {
		v := r.Header.Get(canonical)
		if v == "" {
			return Identity{}, &Refusal{Status: http.StatusBadRequest, Reason: fmt.Sprintf("missing %s header: requests are counted by it", canonical)}
		}
		return Identity{Key: "header:" + v, Limit: limit}, nil
	}
}

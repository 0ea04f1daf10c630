// Package httptarget load-tests a rate-limited HTTP API: a target.Target
// whose decisions are the API's answers.
//
// A 2xx is an admission and a reject status (429 unless configured) a
// rejection; any other status is an error of its class (http-3xx, http-4xx,
// http-5xx). A request that failed before a connection was had (DNS, dial,
// refused, TLS handshake) surely decided nothing and is Failed; one that
// failed after (a timeout, a connection lost) may have been admitted and is
// Unknown. What the server said about its limit, in any of the common
// header dialects, comes back in Outcome.Said (see ParseHeaders).
package httptarget

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/rlbench/rlbench/target"
)

// Error classes of HTTP answers that are neither an admission nor a
// rejection; the others are target's.
const (
	ClassHTTP3xx = "http-3xx"
	ClassHTTP4xx = "http-4xx"
	ClassHTTP5xx = "http-5xx"
)

// maxDrain is how much of a response body is read so that its connection
// can be reused; a longer body is cut and its connection closed.
const maxDrain = 64 << 10

// Target sends each request to an HTTP API over one shared pool of
// keep-alive connections (HTTP/2 when a TLS server offers it). It sets no
// timeout of its own: the context of each decision bounds it. It is safe
// for concurrent use; Close releases its idle connections.
type Target struct {
	c         checked
	client    *http.Client
	transport *http.Transport
	// sources holds a client per source address under SourceIPs: a pooled
	// connection keeps the address it was dialled from, so keys must not
	// share a pool.
	sources sync.Map
	rawURL  string // c.url without KeyQuery's value
}

// New checks c and returns its target. Every error is a *FieldError
// wrapping ErrInvalidConfig.
func New(c Config) (*Target, error) {
	k, err := c.check()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        k.maxConns,
		MaxIdleConnsPerHost: k.maxConns,
		MaxConnsPerHost:     k.maxConns,
		IdleConnTimeout:     90 * time.Second,
		// The body is thrown away: do not ask for gzip to inflate it.
		DisableCompression: true,
	}
	if k.insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	t := &Target{
		c:         k,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			// A redirect is an answer: http-3xx, not a second request.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		rawURL: k.url.String(),
	}
	return t, nil
}

// Close closes the idle connections; requests in flight finish.
func (t *Target) Close() {
	t.transport.CloseIdleConnections()
	t.sources.Range(func(_, c any) bool {
		c.(*http.Client).CloseIdleConnections()
		return true
	})
}

// clientFor is the client that sends req: the shared one, or under
// SourceIPs the one of its key's address, made on first use.
func (t *Target) clientFor(req target.Request) *http.Client {
	if !t.c.sourceIPs {
		return t.client
	}
	ip := SourceIP(req.KeyIndex)
	if c, ok := t.sources.Load(ip.String()); ok {
		return c.(*http.Client)
	}
	tr := t.transport.Clone()
	tr.DialContext = (&net.Dialer{KeepAlive: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}).DialContext
	c, _ := t.sources.LoadOrStore(ip.String(), &http.Client{Transport: tr, CheckRedirect: t.client.CheckRedirect})
	return c.(*http.Client)
}

// Decide sends one request for req.Key; req.Limit and req.Cost are the
// API's business, not sent.
func (t *Target) Decide(ctx context.Context, req target.Request) target.Outcome {
	var conn atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		// From here on the request may be on the wire, in part or whole:
		// a server that read its headers may have decided it.
		GotConn: func(httptrace.GotConnInfo) { conn.Store(true) },
	})
	r, err := t.request(ctx, req)
	if err != nil {
		return target.Outcome{Kind: target.Failed, Class: target.ClassOther, Err: err}
	}
	resp, err := t.clientFor(req).Do(r)
	if err != nil {
		return failure(err, conn.Load())
	}
	now := time.Now()
	// The answer came with the status line: a body cut short changes
	// nothing of it, so errors reading the rest are ignored.
	_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
	_ = resp.Body.Close()
	o := target.Outcome{Kind: target.Failed, Said: ParseHeaders(resp.Header, now).Said}
	switch s := resp.StatusCode; {
	case s >= 200 && s <= 299:
		o.Kind = target.Accepted
	case slices.Contains(t.c.reject, s):
		o.Kind = target.Rejected
	default:
		o.Class = StatusClass(s)
		o.Err = &StatusError{Code: s}
	}
	return o
}

func (t *Target) request(ctx context.Context, req target.Request) (*http.Request, error) {
	key := req.Key
	u := t.rawURL
	if t.c.keyQuery != "" {
		q := url.QueryEscape(t.c.keyQuery) + "=" + url.QueryEscape(key)
		if t.c.queryRest != "" {
			q = t.c.queryRest + "&" + q
		}
		v := *t.c.url
		v.RawQuery = q
		u = v.String()
	}
	var body io.Reader
	if t.c.body != nil {
		body = bytes.NewReader(t.c.body)
	}
	r, err := http.NewRequestWithContext(ctx, t.c.method, u, body)
	if err != nil {
		return nil, err
	}
	r.Header = t.c.header.Clone()
	if t.c.host != "" {
		r.Host = t.c.host
	}
	// Checked here, or the transport would refuse them before dialing,
	// which would read as a connection error.
	if t.c.keyHeader != "" {
		if !httpguts.ValidHeaderFieldValue(key) {
			return nil, fmt.Errorf("key %q: not a valid value of header %s", key, t.c.keyHeader)
		}
		r.Header.Set(t.c.keyHeader, key)
	}
	if t.c.bearer != nil {
		if tok := t.c.bearer(req); tok != "" {
			if !httpguts.ValidHeaderFieldValue(tok) {
				return nil, fmt.Errorf("bearer token of key %q: not a valid header value", key)
			}
			r.Header.Set("Authorization", "Bearer "+tok)
		}
	}
	return r, nil
}

// StatusError is an HTTP answer that was neither an admission nor a
// rejection.
type StatusError struct{ Code int }

func (e *StatusError) Error() string {
	return "HTTP " + strconv.Itoa(e.Code) + " " + http.StatusText(e.Code)
}

// StatusClass is the error class of a status that is neither an admission
// nor a rejection: http-3xx, http-4xx, http-5xx, or other (1xx, 6xx...).
func StatusClass(code int) string {
	switch {
	case code >= 300 && code <= 399:
		return ClassHTTP3xx
	case code >= 400 && code <= 499:
		return ClassHTTP4xx
	case code >= 500 && code <= 599:
		return ClassHTTP5xx
	}
	return target.ClassOther
}

// failure is the outcome of a request that got no answer; sent says a
// connection was had, so that the request may have reached the server.
func failure(err error, sent bool) target.Outcome {
	o := target.Outcome{Kind: target.Failed, Class: classify(err, sent), Err: err}
	if sent {
		o.Kind = target.Unknown
	}
	return o
}

// classify names the class of a request's error. Before a connection was
// had, everything but a timeout or a cancellation is a connection error
// (DNS, dial, refused, TLS handshake, proxy); after, a timeout is a timeout,
// a broken connection (EOF, reset) a connection error, and anything else
// (a malformed answer, an HTTP/2 protocol error) other.
func classify(err error, sent bool) string {
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return target.ClassTimeout
	case errors.Is(err, context.Canceled):
		return target.ClassOther
	case !sent:
		return target.ClassConnection
	}
	return target.Classify(err)
}

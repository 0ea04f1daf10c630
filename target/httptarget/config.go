package httptarget

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/rlbench/rlbench/target"
)

// DefaultMaxConns is the pool size of a Config whose MaxConns is 0.
const DefaultMaxConns = 100

// Config is an HTTP API to load-test. The zero value of every field but URL
// is a usable default: GET, no headers, no body, 429 as the rejection.
type Config struct {
	// URL is the endpoint every request goes to: http:// or https://.
	URL string
	// Method is the request method; "" means GET.
	Method string
	// Header is sent with every request. A "Host" entry sets the request's
	// Host (to reach a virtual host by address).
	Header http.Header
	// Body is sent with every request; nil means none.
	Body []byte
	// RejectStatus are the statuses that mean "rate limited"; nil means
	// 429. nginx's limit_req answers 503 by default.
	RejectStatus []int
	// KeyHeader, when set, carries each request's Key in that header
	// ("X-User: user-17"); KeyQuery in that query parameter
	// ("?user=user-17"). Both may be set; with neither, every request is the
	// same and the API decides whose allowance it draws on.
	KeyHeader string
	KeyQuery  string
	// Insecure skips verifying the server's certificate (self-signed).
	Insecure bool
	// SourceIPs sends each key's requests from its own loopback address,
	// 127.0.0.1 for key 0 and on through 127.0.0.0/8 (SourceIP), for APIs
	// that key on the client's IP; the target must be on loopback.
	SourceIPs bool
	// MaxConns caps the connections to the host, idle ones included: size
	// it to the run's concurrency or maximum in flight, so that every
	// request in flight has a connection and none is closed for lack of an
	// idle slot. 0 means DefaultMaxConns.
	MaxConns int
	// Bearer, when set, gives the token of a request's key (and tier): a
	// non-empty token is sent as "Authorization: Bearer <token>". It is
	// called once per request, from many goroutines at once.
	Bearer func(req target.Request) string
}

// ErrInvalidConfig is wrapped by every error New returns.
var ErrInvalidConfig = errors.New("invalid HTTP target")

// FieldError is a Config field New cannot use: the field, named as
// rlbench's flags name it ("url", "method", "header", "reject-status",
// "key-header", "key-query", "max-conns"), the value as given and what is
// accepted. It reads `invalid url "ftp://x": want http:// or https://`.
type FieldError struct {
	Field string
	// Value is the value as given, quoted when it is text.
	Value string
	Want  string
}

func (e *FieldError) Error() string {
	return "invalid " + e.Field + " " + e.Value + ": " + e.Want
}

// Unwrap makes every FieldError an ErrInvalidConfig.
func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

// invalid is a FieldError; text values are quoted.
func invalid(field string, value any, want string) *FieldError {
	v := fmt.Sprint(value)
	if s, ok := value.(string); ok {
		v = fmt.Sprintf("%q", s)
	}
	return &FieldError{Field: field, Value: v, Want: want}
}

// ParseHeader reads one "Name: value" header as curl's -H takes it: the
// name is a token, the value is trimmed of surrounding blanks and may be
// empty. Its errors show the name, never the value (it may be a secret).
//
//	ParseHeader("X-Api-Key: abc")  // "X-Api-Key", "abc", nil
func ParseHeader(s string) (key, value string, err error) {
	name, val, ok := strings.Cut(s, ":")
	if !ok {
		first, _, _ := strings.Cut(strings.TrimSpace(s), " ")
		return "", "", invalid("header", first, `want "Name: value"`)
	}
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !httpguts.ValidHeaderFieldName(name) {
		return "", "", invalid("header", name, `want "Name: value" with a name of letters, digits and !#$%&'*+-.^_|~`)
	}
	if !httpguts.ValidHeaderFieldValue(val) {
		return "", "", invalid("header", name, "want a value without control characters")
	}
	return http.CanonicalHeaderKey(name), val, nil
}

// checked is a Config that New can use, with its defaults filled in.
type checked struct {
	url       *url.URL
	method    string
	header    http.Header
	host      string
	body      []byte
	reject    []int
	keyHeader string
	keyQuery  string
	queryRest string // the URL's query without KeyQuery, to which the key is appended
	insecure  bool
	sourceIPs bool
	maxConns  int
	bearer    func(target.Request) string
}

// check validates c field by field, in the order of Config, and returns
// the first field it cannot use.
func (c Config) check() (checked, error) {
	var k checked
	u, err := url.Parse(c.URL)
	switch {
	case err != nil:
		return k, invalid("url", redactUserinfo(c.URL), "want an absolute http:// or https:// URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return k, invalid("url", c.URL, "want http:// or https://")
	case u.Host == "":
		return k, invalid("url", c.URL, "want a host, as in http://localhost:8080/path")
	case u.User != nil:
		return k, invalid("url", u.Redacted(), "want no user:password in the URL: pass --header 'Authorization: ...'")
	case c.SourceIPs && !onLoopback(u.Hostname()):
		return k, invalid("url", c.URL, "want a loopback host (127.x.x.x or localhost) with source-ips: only there can each user have its own address")
	}
	u.Fragment, u.RawFragment = "", ""
	k.url = u

	k.method = c.Method
	if k.method == "" {
		k.method = http.MethodGet
	}
	if strings.IndexFunc(k.method, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0 {
		return k, invalid("method", c.Method, "want a token such as GET or POST")
	}

	k.header = make(http.Header, len(c.Header))
	for name, values := range c.Header {
		if !httpguts.ValidHeaderFieldName(name) {
			return k, invalid("header", name, "want a name of letters, digits and !#$%&'*+-.^_|~")
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return k, invalid("header", name, "want a value without control characters")
			}
		}
		if http.CanonicalHeaderKey(name) == "Host" {
			if len(values) > 0 {
				k.host = values[0]
			}
			continue
		}
		k.header[http.CanonicalHeaderKey(name)] = append(k.header[http.CanonicalHeaderKey(name)], values...)
	}
	k.body = c.Body

	k.reject = c.RejectStatus
	if len(k.reject) == 0 {
		k.reject = []int{http.StatusTooManyRequests}
	}
	for _, s := range k.reject {
		if s < 300 || s > 599 {
			return k, invalid("reject-status", s, "want a status from 300 to 599")
		}
	}

	if c.KeyHeader != "" && !httpguts.ValidHeaderFieldName(c.KeyHeader) {
		return k, invalid("key-header", c.KeyHeader, "want a header name of letters, digits and !#$%&'*+-.^_|~")
	}
	k.keyHeader = http.CanonicalHeaderKey(c.KeyHeader)
	k.keyQuery = c.KeyQuery
	if c.KeyQuery != "" {
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return k, invalid("url", c.URL, "want a query that parses, to add "+c.KeyQuery+" to it")
		}
		q.Del(c.KeyQuery)
		k.queryRest = q.Encode()
	}

	k.insecure = c.Insecure
	k.sourceIPs = c.SourceIPs
	switch {
	case c.MaxConns < 0:
		return k, invalid("max-conns", c.MaxConns, "want 0 (the default, 100) or more")
	case c.MaxConns == 0:
		k.maxConns = DefaultMaxConns
	default:
		k.maxConns = c.MaxConns
	}
	k.bearer = c.Bearer
	return k, nil
}

// redactUserinfo hides the password of a URL that does not parse, as
// url.URL.Redacted does for one that does: "http://u:secret@[::1" reads
// "http://u:xxxxx@[::1".
func redactUserinfo(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority, path, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return raw
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return raw
	}
	out := scheme + "://" + user + ":xxxxx" + authority[at:]
	if len(rest) > len(authority) {
		out += "/" + path
	}
	return out
}

// onLoopback reports whether host is an IPv4 loopback address or localhost.
func onLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}

// MaxSourceIPs is how many keys SourceIPs can give addresses of their own.
const MaxSourceIPs = 254 << 16

// SourceIP is key k's loopback address under SourceIPs: 127.0.0.1 for key
// 0, 127.0.0.254 for key 253, 127.0.1.1 for key 254, and so on, never an
// address ending in .0 or .255. Keys past MaxSourceIPs share addresses.
func SourceIP(k int) net.IP {
	k %= MaxSourceIPs
	hi, lo := k/254, k%254+1
	return net.IPv4(127, byte(hi>>8), byte(hi), byte(lo))
}

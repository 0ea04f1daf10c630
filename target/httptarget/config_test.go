package httptarget

import (
	"errors"
	"net/http"
	"testing"

	"golang.org/x/net/http/httpguts"
)

func TestNewInvalid(t *testing.T) {
	tests := []struct {
		name  string
		c     Config
		field string
		want  string
	}{
		{"scheme", Config{URL: "ftp://x"}, "url", `invalid url "ftp://x": want http:// or https://`},
		{"empty url", Config{}, "url", `invalid url "": want http:// or https://`},
		{"no scheme", Config{URL: "localhost:8080"}, "url", `invalid url "localhost:8080": want http:// or https://`},
		{"no host", Config{URL: "http:///path"}, "url", `invalid url "http:///path": want a host, as in http://localhost:8080/path`},
		{"unparsable", Config{URL: "http://[::1"}, "url", `invalid url "http://[::1": want an absolute http:// or https:// URL`},
		{"password", Config{URL: "https://u:secret@api.example/"}, "url",
			`invalid url "https://u:xxxxx@api.example/": want no user:password in the URL: pass --header 'Authorization: ...'`},
		{"unparsable with a password", Config{URL: "http://u:secret@[::1/p"}, "url", `invalid url "http://u:xxxxx@[::1/p": want an absolute http:// or https:// URL`},
		{"query", Config{URL: "http://x/?a=%zz", KeyQuery: "user"}, "url", `invalid url "http://x/?a=%zz": want a query that parses, to add user to it`},
		{"method", Config{URL: "http://x", Method: "GE T"}, "method", `invalid method "GE T": want a token such as GET or POST`},
		{"header name", Config{URL: "http://x", Header: http.Header{"X Y": {"1"}}}, "header",
			`invalid header "X Y": want a name of letters, digits and !#$%&'*+-.^_|~`},
		{"header value", Config{URL: "http://x", Header: http.Header{"X-Y": {"a\nb"}}}, "header",
			`invalid header "X-Y": want a value without control characters`},
		{"2xx rejection", Config{URL: "http://x", RejectStatus: []int{429, 200}}, "reject-status", "invalid reject-status 200: want a status from 300 to 599"},
		{"600", Config{URL: "http://x", RejectStatus: []int{600}}, "reject-status", "invalid reject-status 600: want a status from 300 to 599"},
		{"key header", Config{URL: "http://x", KeyHeader: "X:User"}, "key-header",
			`invalid key-header "X:User": want a header name of letters, digits and !#$%&'*+-.^_|~`},
		{"max conns", Config{URL: "http://x", MaxConns: -1}, "max-conns", "invalid max-conns -1: want 0 (the default, 100) or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := New(tt.c)
			var field *FieldError
			switch {
			case err == nil:
				t.Fatalf("New(%+v) = %v, want an error", tt.c, tg)
			case !errors.Is(err, ErrInvalidConfig) || !errors.As(err, &field):
				t.Fatalf("New: %v is not a FieldError wrapping ErrInvalidConfig", err)
			case field.Field != tt.field || err.Error() != tt.want:
				t.Errorf("New: field %q, %q\nwant field %q, %q", field.Field, err, tt.field, tt.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	tg, err := New(Config{URL: "https://api.example/v1#frag", Header: http.Header{"host": {"other.example"}, "x-a": {"1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Close()
	c := tg.c
	if c.method != "GET" || len(c.reject) != 1 || c.reject[0] != 429 || c.maxConns != DefaultMaxConns ||
		tg.rawURL != "https://api.example/v1" || c.host != "other.example" || len(c.header) != 1 || c.header.Get("X-A") != "1" {
		t.Errorf("New's defaults: %+v, URL %q", c, tg.rawURL)
	}
	if tr := tg.transport; tr.MaxConnsPerHost != 100 || tr.MaxIdleConnsPerHost != 100 || !tr.ForceAttemptHTTP2 || tr.TLSClientConfig != nil {
		t.Errorf("transport: %d conns, %d idle, HTTP/2 %v, TLS config %v", tr.MaxConnsPerHost, tr.MaxIdleConnsPerHost, tr.ForceAttemptHTTP2, tr.TLSClientConfig)
	}
	if tg.client.Timeout != 0 {
		t.Errorf("client timeout %v, want none: the decision's context bounds it", tg.client.Timeout)
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in, key, value, err string
	}{
		{in: "X-Api-Key: abc", key: "X-Api-Key", value: "abc"},
		{in: "x-api-key:abc", key: "X-Api-Key", value: "abc"},
		{in: "  Accept :  application/json  ", key: "Accept", value: "application/json"},
		{in: "Authorization: Bearer a:b:c", key: "Authorization", value: "Bearer a:b:c"},
		{in: "X-Empty:", key: "X-Empty", value: ""},
		{in: "X-Api-Key abc", err: `invalid header "X-Api-Key": want "Name: value"`},
		{in: ": abc", err: `invalid header "": want "Name: value" with a name of letters, digits and !#$%&'*+-.^_|~`},
		{in: "X Y: abc", err: `invalid header "X Y": want "Name: value" with a name of letters, digits and !#$%&'*+-.^_|~`},
		{in: "X-A: a\x00b", err: `invalid header "X-A": want a value without control characters`},
	}
	for _, tt := range tests {
		key, value, err := ParseHeader(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err || !errors.Is(err, ErrInvalidConfig)):
			t.Errorf("ParseHeader(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || key != tt.key || value != tt.value):
			t.Errorf("ParseHeader(%q) = %q, %q, %v, want %q, %q", tt.in, key, value, err, tt.key, tt.value)
		}
	}
}

// FuzzParseHeader: what ParseHeader accepts reads back the same, and is a
// header net/http sends.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"X-Api-Key: abc", "a:", ":", "X Y: z", "K: a\x00b", " k :  v v "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, value, err := ParseHeader(s)
		if err != nil {
			return
		}
		if !httpguts.ValidHeaderFieldName(key) || !httpguts.ValidHeaderFieldValue(value) {
			t.Fatalf("ParseHeader(%q) = %q, %q: not a valid header", s, key, value)
		}
		k2, v2, err := ParseHeader(key + ": " + value)
		if err != nil || k2 != key || v2 != value {
			t.Fatalf("ParseHeader(%q) = %q, %q, %v; want %q, %q again", key+": "+value, k2, v2, err, key, value)
		}
	})
}

func TestSourceIP(t *testing.T) {
	for k, want := range map[int]string{
		0: "127.0.0.1", 1: "127.0.0.2", 253: "127.0.0.254", 254: "127.0.1.1",
		254 * 256: "127.1.0.1", MaxSourceIPs - 1: "127.255.255.254", MaxSourceIPs: "127.0.0.1",
	} {
		if got := SourceIP(k).String(); got != want {
			t.Errorf("SourceIP(%d) = %s, want %s", k, got, want)
		}
	}
}

package httptarget

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/rlbench/rlbench/target"
)

// now is 2026-12-02T10:00:00Z, Unix time 1796205600.
var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// header builds a response header from name, value pairs, as a client
// receives it (names canonical, repeats kept).
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

const (
	hasAll   = target.HasRemaining | target.HasRetryAfter | target.HasResetAfter
	hasCount = target.HasRemaining | target.HasResetAfter
)

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want Headers
	}{
		{"none", header(), Headers{}},
		{
			// nginx limit_req: 503 and nothing about the limit.
			"nginx 503",
			header("Server", "nginx/1.24.0", "Date", "Wed, 02 Dec 2026 10:00:00 GMT", "Content-Type", "text/html", "Content-Length", "197"),
			Headers{},
		},
		{
			// docs.github.com, "Rate limits for the REST API": the reset is
			// a Unix time, 1247 s after the response's Date.
			"GitHub",
			header("Date", "Mon, 01 Jul 2013 17:27:06 GMT",
				"X-Ratelimit-Limit", "60", "X-Ratelimit-Remaining", "56", "X-Ratelimit-Used", "4",
				"X-Ratelimit-Reset", "1372700873", "X-Ratelimit-Resource", "core"),
			Headers{
				Present: DialectX,
				X: Counters{Limit: 60, Remaining: 56, Reset: 1247 * time.Second, ResetAt: time.Unix(1372700873, 0),
					HasLimit: true, HasRemaining: true, HasReset: true},
				Said: target.Said{Remaining: 56, ResetAfter: 1247 * time.Second, Quota: 60, Has: hasCount | target.HasQuota},
			},
		},
		{
			"GitHub without Date: from now",
			header("X-Ratelimit-Limit", "5000", "X-Ratelimit-Remaining", "0", "X-Ratelimit-Reset", "1796205690"),
			Headers{
				Present: DialectX,
				X: Counters{Limit: 5000, Remaining: 0, Reset: 90 * time.Second, ResetAt: time.Unix(1796205690, 0),
					HasLimit: true, HasRemaining: true, HasReset: true},
				Said: target.Said{Remaining: 0, ResetAfter: 90 * time.Second, Quota: 5000, Has: hasCount | target.HasQuota},
			},
		},
		{
			"reset in the past",
			header("X-Ratelimit-Reset", "1796205000"),
			Headers{
				Present: DialectX,
				X:       Counters{Reset: 0, ResetAt: time.Unix(1796205000, 0), HasReset: true},
				Said:    target.Said{Has: target.HasResetAfter},
			},
		},
		{
			"reset as Unix milliseconds",
			header("X-Ratelimit-Reset", "1796205612500"),
			Headers{
				Present: DialectX,
				X:       Counters{Reset: 12500 * time.Millisecond, ResetAt: time.UnixMilli(1796205612500), HasReset: true},
				Said:    target.Said{ResetAfter: 12500 * time.Millisecond, Has: target.HasResetAfter},
			},
		},
		{
			"reset in fractional seconds",
			header("X-Ratelimit-Remaining", "4", "X-Ratelimit-Reset", "1.25"),
			Headers{
				Present: DialectX,
				X:       Counters{Remaining: 4, Reset: 1250 * time.Millisecond, HasRemaining: true, HasReset: true},
				Said:    target.Said{Remaining: 4, ResetAfter: 1250 * time.Millisecond, Has: hasCount},
			},
		},
		{
			// Envoy's ratelimit filter, enable_x_ratelimit_headers: DRAFT_VERSION_03.
			"Envoy",
			header("X-Ratelimit-Limit", `10, 10;w=60;name="per-user"`, "X-Ratelimit-Remaining", "9", "X-Ratelimit-Reset", "37"),
			Headers{
				Present: DialectX,
				X:       Counters{Limit: 10, Remaining: 9, Reset: 37 * time.Second, HasLimit: true, HasRemaining: true, HasReset: true},
				Said:    target.Said{Remaining: 9, ResetAfter: 37 * time.Second, Quota: 10, Has: hasCount | target.HasQuota},
			},
		},
		{
			"draft 10",
			header("RateLimit-Policy", `"default";q=100;w=60`, "RateLimit", `"default";r=50;t=30`),
			Headers{
				Present:  DialectIETF,
				Policies: []Policy{{Name: "default", Quota: 100, Window: time.Minute}},
				Limits:   []ServiceLimit{{Policy: "default", Remaining: 50, Reset: 30 * time.Second, HasReset: true}},
				Said:     target.Said{Remaining: 50, ResetAfter: 30 * time.Second, Quota: 100, QuotaWindow: time.Minute, Has: hasCount | target.HasQuota},
			},
		},
		{
			"draft 10, two policies: the one with fewest remaining binds",
			header("RateLimit-Policy", `"burst";q=100;w=60, "daily";q=1000;w=86400;qu="requests"`,
				"RateLimit", `"burst";r=50;t=30`, "RateLimit", `"daily";r=10;t=3600`),
			Headers{
				Present: DialectIETF,
				Policies: []Policy{
					{Name: "burst", Quota: 100, Window: time.Minute},
					{Name: "daily", Quota: 1000, Window: 24 * time.Hour, QuotaUnit: "requests"},
				},
				Limits: []ServiceLimit{
					{Policy: "burst", Remaining: 50, Reset: 30 * time.Second, HasReset: true},
					{Policy: "daily", Remaining: 10, Reset: time.Hour, HasReset: true},
				},
				Said: target.Said{Remaining: 10, ResetAfter: time.Hour, Quota: 1000, QuotaWindow: 24 * time.Hour, Has: hasCount | target.HasQuota},
			},
		},
		{
			"draft 10, a tie binds on the longer reset",
			header("RateLimit", `"a";r=0;t=5, "b";r=0;t=40, "c";r=0`),
			Headers{
				Present: DialectIETF,
				Limits: []ServiceLimit{
					{Policy: "a", Remaining: 0, Reset: 5 * time.Second, HasReset: true},
					{Policy: "b", Remaining: 0, Reset: 40 * time.Second, HasReset: true},
					{Policy: "c", Remaining: 0},
				},
				Said: target.Said{Remaining: 0, ResetAfter: 40 * time.Second, Has: hasCount},
			},
		},
		{
			"draft 10, partition key and no reset",
			header("RateLimit-Policy", `"peruser";q=100;w=60;pk=:dXNlcjE=:`, "RateLimit", `"peruser";r=99;pk=:dXNlcjE=:`),
			Headers{
				Present:  DialectIETF,
				Policies: []Policy{{Name: "peruser", Quota: 100, Window: time.Minute, PartitionKey: []byte("user1")}},
				Limits:   []ServiceLimit{{Policy: "peruser", Remaining: 99, PartitionKey: []byte("user1")}},
				Said:     target.Said{Remaining: 99, Quota: 100, QuotaWindow: time.Minute, Has: target.HasRemaining | target.HasQuota},
			},
		},
		{
			"earlier draft with Retry-After on a 429",
			header("RateLimit-Limit", "10, 10;w=1, 50;w=60", "RateLimit-Remaining", "0", "RateLimit-Reset", "7", "Retry-After", "7"),
			Headers{
				Present:       DialectIETFEarly | DialectRetryAfter,
				RetryAfter:    7 * time.Second,
				HasRetryAfter: true,
				Early:         Counters{Limit: 10, Remaining: 0, Reset: 7 * time.Second, HasLimit: true, HasRemaining: true, HasReset: true},
				Said:          target.Said{Remaining: 0, RetryAfter: 7 * time.Second, ResetAfter: 7 * time.Second, Quota: 10, Has: hasAll | target.HasQuota},
			},
		},
		{
			"Retry-After in seconds",
			header("Retry-After", "120"),
			Headers{Present: DialectRetryAfter, RetryAfter: 2 * time.Minute, HasRetryAfter: true,
				Said: target.Said{RetryAfter: 2 * time.Minute, Has: target.HasRetryAfter}},
		},
		{
			"Retry-After as an HTTP-date, from the response's Date",
			header("Date", "Wed, 02 Dec 2026 09:59:30 GMT", "Retry-After", "Wed, 02 Dec 2026 10:01:00 GMT"),
			Headers{Present: DialectRetryAfter, RetryAfter: 90 * time.Second, HasRetryAfter: true,
				Said: target.Said{RetryAfter: 90 * time.Second, Has: target.HasRetryAfter}},
		},
		{
			"Retry-After as an HTTP-date, from now without Date",
			header("Retry-After", "Wed, 02 Dec 2026 10:00:45 GMT"),
			Headers{Present: DialectRetryAfter, RetryAfter: 45 * time.Second, HasRetryAfter: true,
				Said: target.Said{RetryAfter: 45 * time.Second, Has: target.HasRetryAfter}},
		},
		{
			"Retry-After as an HTTP-date already past",
			header("Retry-After", "Wed, 02 Dec 2026 09:00:00 GMT"),
			Headers{Present: DialectRetryAfter, HasRetryAfter: true, Said: target.Said{Has: target.HasRetryAfter}},
		},
		{
			"every dialect: draft 10 first, then the earlier drafts, then X",
			header("RateLimit", `"default";r=3`, "RateLimit-Remaining", "4", "RateLimit-Reset", "20",
				"X-RateLimit-Remaining", "5", "X-RateLimit-Reset", "30"),
			Headers{
				Present: DialectIETF | DialectIETFEarly | DialectX,
				Limits:  []ServiceLimit{{Policy: "default", Remaining: 3}},
				Early:   Counters{Remaining: 4, Reset: 20 * time.Second, HasRemaining: true, HasReset: true},
				X:       Counters{Remaining: 5, Reset: 30 * time.Second, HasRemaining: true, HasReset: true},
				Said:    target.Said{Remaining: 3, ResetAfter: 20 * time.Second, Has: hasCount},
			},
		},
		{
			"malformed fields are named and ignored",
			header("Retry-After", "soon", "RateLimit-Policy", `"default";w=60`, "RateLimit", `"default";r=`,
				"RateLimit-Limit", "ten", "RateLimit-Remaining", "+4", "RateLimit-Reset", "2.5",
				"X-RateLimit-Limit", "", "X-RateLimit-Remaining", "-1", "X-RateLimit-Reset", "1e3"),
			Headers{
				Present: DialectRetryAfter | DialectIETF | DialectIETFEarly | DialectX,
				Malformed: []string{"Retry-After", "Ratelimit-Policy", "Ratelimit",
					"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset",
					"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"},
			},
		},
		{
			"malformed structured fields",
			header("RateLimit-Policy", `("default");q=1`, "RateLimit", `"default";r=-1`),
			Headers{Present: DialectIETF, Malformed: []string{"Ratelimit-Policy", "Ratelimit"}},
		},
		{
			"out of range",
			header("Retry-After", "99999999999", "RateLimit", `"default";r=1;t=1000000001`, "X-RateLimit-Remaining", "99999999999999999999"),
			Headers{Present: DialectRetryAfter | DialectIETF | DialectX,
				Malformed: []string{"Retry-After", "Ratelimit", "X-Ratelimit-Remaining"}},
		},
		{
			"a token as the policy name",
			header("RateLimit", `default;r=0;t=1`),
			Headers{Present: DialectIETF,
				Limits: []ServiceLimit{{Policy: "default", Remaining: 0, Reset: time.Second, HasReset: true}},
				Said:   target.Said{Remaining: 0, ResetAfter: time.Second, Has: hasCount}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseHeaders(tt.h, now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseHeaders(%v)\n got %+v\nwant %+v", tt.h, got, tt.want)
			}
		})
	}
}

// FuzzParseHeaders: any field values, alone or together, never panic,
// and what is read is never negative.
func FuzzParseHeaders(f *testing.F) {
	for _, seed := range [][2]string{
		{`"default";q=100;w=60`, `"default";r=50;t=30`},
		{`"a";q=1;pk=:AAEC:, b;q=2;qu="x"`, `"a";r=0, b;r=1;t=2`},
		{"120", "Wed, 02 Dec 2026 10:01:00 GMT"},
		{"1372700873", "10, 10;w=60"},
		{"1.25", "-1"},
		{`("x");q=1`, "\x00"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, name := range []string{"Retry-After", "RateLimit-Policy", "RateLimit", "RateLimit-Limit",
			"RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
			for _, h := range []http.Header{header(name, a), header(name, a, name, b), header(name, a, "Date", b)} {
				s := ParseHeaders(h, now).Said
				if s.Remaining < 0 || s.RetryAfter < 0 || s.ResetAfter < 0 || !s.At.IsZero() {
					t.Fatalf("ParseHeaders(%v).Said = %+v", h, s)
				}
			}
		}
	})
}

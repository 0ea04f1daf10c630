package httptarget

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dunglas/httpsfv"

	"github.com/rlbench/rlbench/target"
)

// Dialects is a set of the header families a response can speak.
type Dialects uint8

// The rate-limit header dialects ParseHeaders reads.
const (
	// DialectRetryAfter is Retry-After (RFC 9110): delta-seconds or an
	// HTTP-date.
	DialectRetryAfter Dialects = 1 << iota
	// DialectIETF is draft-ietf-httpapi-ratelimit-headers-10: the structured
	// fields RateLimit-Policy (`"default";q=100;w=60`) and RateLimit
	// (`"default";r=50;t=30`).
	DialectIETF
	// DialectIETFEarly is the earlier drafts' (00 to 06) RateLimit-Limit,
	// RateLimit-Remaining and RateLimit-Reset (delta-seconds).
	DialectIETFEarly
	// DialectX is the common X-RateLimit-Limit, -Remaining and -Reset
	// (GitHub, Envoy, Kong, ...), the reset in delta-seconds or as a Unix
	// time.
	DialectX
)

// Headers is everything a response said about its rate limit, dialect by
// dialect, and Said, their merge. A field that was present but unreadable
// is named in Malformed and contributes nothing.
type Headers struct {
	// Present are the dialects of which at least one field was present,
	// readable or not.
	Present Dialects
	// Malformed names the fields that were present but unreadable, in
	// their canonical form ("X-Ratelimit-Reset"), in the order of the
	// fields below.
	Malformed []string

	// RetryAfter is Retry-After's delay (0 for a date already past);
	// HasRetryAfter says it was read.
	RetryAfter    time.Duration
	HasRetryAfter bool

	// Policies is RateLimit-Policy, Limits is RateLimit (draft 10), in
	// field order.
	Policies []Policy
	Limits   []ServiceLimit

	// Early is RateLimit-Limit/-Remaining/-Reset, X is
	// X-RateLimit-Limit/-Remaining/-Reset.
	Early, X Counters

	// Said merges the dialects; At is never set. RetryAfter comes from
	// Retry-After only. Remaining and ResetAfter each come from the first
	// dialect that says them, in the order RateLimit (draft 10), the
	// earlier drafts, X-RateLimit; of several RateLimit items, the one with
	// the fewest remaining (the longer reset on a tie) is the one that
	// binds.
	Said target.Said
}

// Policy is one quota policy of RateLimit-Policy:
// `"burst";q=100;w=60` is {Name: "burst", Quota: 100, Window: time.Minute}.
type Policy struct {
	Name string
	// Quota is q: the units the policy allows per window.
	Quota int64
	// Window is w; 0 when not said.
	Window time.Duration
	// QuotaUnit is qu ("requests", "content-bytes",
	// "concurrent-requests"); "" when not said, which means requests.
	QuotaUnit string
	// PartitionKey is pk; nil when not said.
	PartitionKey []byte
}

// ServiceLimit is one item of RateLimit: `"default";r=50;t=30` is
// {Policy: "default", Remaining: 50, Reset: 30 * time.Second, HasReset: true}.
type ServiceLimit struct {
	// Policy names the RateLimit-Policy item it reports on.
	Policy string
	// Remaining is r: the units left in the current window.
	Remaining int64
	// Reset is t: the time until the quota is whole again.
	Reset    time.Duration
	HasReset bool
	// PartitionKey is pk; nil when not said.
	PartitionKey []byte
}

// Counters are the three fields of the earlier drafts or of X-RateLimit;
// each Has bit says its field was read.
type Counters struct {
	// Limit is the first quota of the Limit field: 10 for "10, 10;w=60".
	Limit int64
	// Remaining is the units left in the current window.
	Remaining int64
	// Reset is the time until the quota is whole again, from the response's
	// Date (or now without one) when the server gave a Unix time.
	Reset time.Duration
	// ResetAt is the Unix time the server gave, zero for a delay.
	ResetAt                          time.Time
	HasLimit, HasRemaining, HasReset bool
}

// Bounds of the numbers read: a delay of more than maxDelaySeconds (31
// years) is no delay; in X-RateLimit-Reset it is a Unix time in seconds,
// and above epochMillis one in milliseconds (1e12 s is the year 33658, 1e12
// ms is 2001).
const (
	maxDelaySeconds = 1e9
	epochMillis     = 1e12
)

// ParseHeaders reads every rate-limit dialect of h. Times the server gave
// as instants (an HTTP-date, a Unix time) become delays from the
// response's Date, which is on the same clock as them, or from now when
// there is no readable Date. It never fails: what it cannot read is named
// in Malformed.
func ParseHeaders(h http.Header, now time.Time) Headers {
	var out Headers
	p := parser{h: h, out: &out, ref: now}
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		p.ref = d
	}
	p.retryAfter()
	p.ietf()
	p.counters(DialectIETFEarly, &out.Early, "Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset", false)
	p.counters(DialectX, &out.X, "X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset", true)
	out.Said = out.merge()
	return out
}

type parser struct {
	h   http.Header
	out *Headers
	ref time.Time // what instants are relative to
}

// field returns the first value of the canonical header name and marks
// its dialect present.
func (p parser) field(d Dialects, name string) (string, bool) {
	v, ok := p.h[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	p.out.Present |= d
	return strings.TrimSpace(v[0]), true
}

func (p parser) malformed(name string) { p.out.Malformed = append(p.out.Malformed, name) }

func (p parser) retryAfter() {
	v, ok := p.field(DialectRetryAfter, "Retry-After")
	if !ok {
		return
	}
	if d, ok := delaySeconds(v); ok {
		p.out.RetryAfter, p.out.HasRetryAfter = d, true
		return
	}
	t, err := http.ParseTime(v)
	if err != nil {
		p.malformed("Retry-After")
		return
	}
	p.out.RetryAfter, p.out.HasRetryAfter = max(t.Sub(p.ref), 0), true
}

func (p parser) ietf() {
	if _, ok := p.field(DialectIETF, "Ratelimit-Policy"); ok {
		if policies, ok := parsePolicies(p.h["Ratelimit-Policy"]); ok {
			p.out.Policies = policies
		} else {
			p.malformed("Ratelimit-Policy")
		}
	}
	if _, ok := p.field(DialectIETF, "Ratelimit"); ok {
		if limits, ok := parseLimits(p.h["Ratelimit"]); ok {
			p.out.Limits = limits
		} else {
			p.malformed("Ratelimit")
		}
	}
}

// counters reads a Limit, Remaining, Reset triple; epoch says the reset
// may be a Unix time.
func (p parser) counters(d Dialects, c *Counters, limit, remaining, reset string, epoch bool) {
	if v, ok := p.field(d, limit); ok {
		// "10, 10;w=60": the first quota, then its policies.
		first, _, _ := strings.Cut(v, ",")
		first, _, _ = strings.Cut(first, ";")
		if n, ok := count(strings.TrimSpace(first)); ok {
			c.Limit, c.HasLimit = n, true
		} else {
			p.malformed(limit)
		}
	}
	if v, ok := p.field(d, remaining); ok {
		if n, ok := count(v); ok {
			c.Remaining, c.HasRemaining = n, true
		} else {
			p.malformed(remaining)
		}
	}
	v, ok := p.field(d, reset)
	if !ok {
		return
	}
	if !epoch {
		if r, ok := delaySeconds(v); ok {
			c.Reset, c.HasReset = r, true
		} else {
			p.malformed(reset)
		}
		return
	}
	s, ok := seconds(v)
	switch {
	case !ok:
		p.malformed(reset)
		return
	case s > epochMillis:
		c.ResetAt = time.UnixMilli(int64(s))
	case s > maxDelaySeconds:
		sec, frac := math.Modf(s)
		c.ResetAt = time.Unix(int64(sec), int64(frac*1e9))
	default:
		c.Reset, c.HasReset = time.Duration(s*float64(time.Second)), true
		return
	}
	c.Reset, c.HasReset = max(c.ResetAt.Sub(p.ref), 0), true
}

// count reads a non-negative decimal integer.
func count(s string) (int64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// delaySeconds reads delta-seconds: a non-negative integer of seconds.
func delaySeconds(s string) (time.Duration, bool) {
	n, ok := count(s)
	if !ok || n > maxDelaySeconds {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// seconds reads a non-negative decimal number ("60", "1470173023.123"),
// as some X-RateLimit-Reset headers give fractions.
func seconds(s string) (float64, bool) {
	dot := false
	for i := range len(s) {
		switch c := s[i]; {
		case c == '.' && !dot && i > 0 && i < len(s)-1:
			dot = true
		case c < '0' || c > '9':
			return 0, false
		}
	}
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > 1e15 {
		return 0, false
	}
	return f, true
}

// namedItems reads a List field whose members are Items named by a String
// (a Token is taken too), calling each with its name and parameters. One
// bad member makes the whole field unreadable, as RFC 9651 does for
// syntax.
func namedItems(values []string, each func(name string, params *httpsfv.Params) bool) bool {
	list, err := httpsfv.UnmarshalList(values)
	if err != nil || len(list) == 0 {
		return false
	}
	for _, m := range list {
		item, ok := m.(httpsfv.Item)
		if !ok {
			return false
		}
		name, ok := itemName(item)
		if !ok || !each(name, item.Params) {
			return false
		}
	}
	return true
}

// parsePolicies reads RateLimit-Policy: q required, w, qu and pk optional.
func parsePolicies(values []string) ([]Policy, bool) {
	var out []Policy
	ok := namedItems(values, func(name string, params *httpsfv.Params) bool {
		pol := Policy{Name: name}
		var ok bool
		if pol.Quota, ok = intParam(params, "q"); !ok {
			return false
		}
		if _, said := param(params, "w"); said {
			w, ok := intParam(params, "w")
			if !ok || w > maxDelaySeconds {
				return false
			}
			pol.Window = time.Duration(w) * time.Second
		}
		if v, said := param(params, "qu"); said {
			if pol.QuotaUnit, ok = text(v); !ok {
				return false
			}
		}
		if pol.PartitionKey, ok = partitionKey(params); !ok {
			return false
		}
		out = append(out, pol)
		return true
	})
	if !ok {
		return nil, false
	}
	return out, true
}

// parseLimits reads RateLimit: a policy's r required, t and pk optional.
func parseLimits(values []string) ([]ServiceLimit, bool) {
	var out []ServiceLimit
	ok := namedItems(values, func(name string, params *httpsfv.Params) bool {
		l := ServiceLimit{Policy: name}
		var ok bool
		if l.Remaining, ok = intParam(params, "r"); !ok {
			return false
		}
		if _, said := param(params, "t"); said {
			t, ok := intParam(params, "t")
			if !ok || t > maxDelaySeconds {
				return false
			}
			l.Reset, l.HasReset = time.Duration(t)*time.Second, true
		}
		if l.PartitionKey, ok = partitionKey(params); !ok {
			return false
		}
		out = append(out, l)
		return true
	})
	if !ok {
		return nil, false
	}
	return out, true
}

func itemName(item httpsfv.Item) (string, bool) { return text(item.Value) }

// text is a String or a Token.
func text(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case httpsfv.Token:
		return string(s), true
	}
	return "", false
}

func param(p *httpsfv.Params, name string) (any, bool) {
	if p == nil {
		return nil, false
	}
	return p.Get(name)
}

// intParam is a non-negative Integer parameter that must be there.
func intParam(p *httpsfv.Params, name string) (int64, bool) {
	v, ok := param(p, name)
	if !ok {
		return 0, false
	}
	n, ok := v.(int64)
	return n, ok && n >= 0
}

// partitionKey is pk, a Byte Sequence, or nil when not said.
func partitionKey(p *httpsfv.Params) ([]byte, bool) {
	v, said := param(p, "pk")
	if !said {
		return nil, true
	}
	b, ok := v.([]byte)
	return b, ok
}

// bindingPolicy names the policy of the RateLimit item with the fewest
// remaining (the longer reset on a tie), "" without items.
func (h *Headers) bindingPolicy() string {
	if len(h.Limits) == 0 {
		return ""
	}
	bind := h.Limits[0]
	for _, l := range h.Limits[1:] {
		if l.Remaining < bind.Remaining || l.Remaining == bind.Remaining && l.Reset > bind.Reset {
			bind = l
		}
	}
	return bind.Policy
}

func (h *Headers) merge() target.Said {
	var s target.Said
	if h.HasRetryAfter {
		s.RetryAfter, s.Has = h.RetryAfter, s.Has|target.HasRetryAfter
	}
	if len(h.Limits) > 0 {
		bind := h.Limits[0]
		for _, l := range h.Limits[1:] {
			if l.Remaining < bind.Remaining || l.Remaining == bind.Remaining && l.Reset > bind.Reset {
				bind = l
			}
		}
		s.Remaining, s.Has = bind.Remaining, s.Has|target.HasRemaining
		if bind.HasReset {
			s.ResetAfter, s.Has = bind.Reset, s.Has|target.HasResetAfter
		}
	}
	// The quota binds as remaining does: the policy of the binding item,
	// else the first policy, else the earlier drafts', else X-RateLimit's.
	for _, p := range h.Policies {
		if s.Has&target.HasQuota == 0 || len(h.Limits) > 0 && p.Name == h.bindingPolicy() {
			s.Quota, s.QuotaWindow, s.Has = p.Quota, p.Window, s.Has|target.HasQuota
		}
	}
	for _, c := range []Counters{h.Early, h.X} {
		if c.HasLimit && s.Has&target.HasQuota == 0 {
			s.Quota, s.Has = c.Limit, s.Has|target.HasQuota
		}
		if c.HasRemaining && s.Has&target.HasRemaining == 0 {
			s.Remaining, s.Has = c.Remaining, s.Has|target.HasRemaining
		}
		if c.HasReset && s.Has&target.HasResetAfter == 0 {
			s.ResetAfter, s.Has = c.Reset, s.Has|target.HasResetAfter
		}
	}
	return s
}

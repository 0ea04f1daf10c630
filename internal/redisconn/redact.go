package redisconn

import (
	"net/url"
	"strings"
)

// secretParams are query parameters whose values are hidden like a
// password: go-redis rejects them, but the error must not echo them.
var secretParams = []string{"password", "pass", "passwd", "pwd", "secret", "token", "auth"}

// Redact returns rawURL fit for printing: the password replaced by "xxxxx",
// as url.URL.Redacted does, and so are password-like query parameters. A
// string too malformed to parse loses everything before its last "@" and its
// whole query, since no one can tell where a password in it would end.
//
// Redact("redis://app:s3cret@cache:6379/0") is "redis://app:xxxxx@cache:6379/0".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	// A "#" or an "@" that the parsed user info does not account for means
	// the parser split a password somewhere else: "p@ss/word" or "#secret".
	if err != nil || strings.Contains(rawURL, "#") || strayAt(u, rawURL) {
		return redactUnparsed(rawURL)
	}
	q := u.Query()
	changed := false
	for name := range q {
		for _, secret := range secretParams {
			if strings.EqualFold(name, secret) {
				q[name] = []string{"xxxxx"}
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// strayAt reports whether raw holds an "@" other than the one that ends
// u's user info.
func strayAt(u *url.URL, raw string) bool {
	want := 0
	if u.User != nil {
		want = 1 + strings.Count(u.User.String(), "@")
	}
	return strings.Count(raw, "@") != want
}

func redactUnparsed(raw string) string {
	if i := strings.Index(raw, "#"); i >= 0 {
		raw = raw[:i] + "#xxxxx"
	}
	if i := strings.Index(raw, "?"); i >= 0 {
		raw = raw[:i] + "?xxxxx"
	}
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	}
	return raw[:start] + "xxxxx" + raw[at:]
}

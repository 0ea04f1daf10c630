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
	if err != nil {
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

func redactUnparsed(raw string) string {
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

package redisconn

import (
	"net/url"
	"strings"
)

// secretParams are query parameters whose values are hidden like a
// password: go-redis rejects them, but the error must not echo them.
var secretParams = []string{"password", "pass", "passwd", "pwd", "secret", "token", "auth", "sentinel_password"}

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

// redactUnparsed redacts a URL whose password url.Parse would split
// elsewhere. The user info ends at the LAST "@", since a password may hold
// "#", "?", "/" or "@" itself; only the user name before its first ":" and
// the host after that "@" are kept, and never a query or fragment, which
// could hold a password parameter.
func redactUnparsed(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndex(raw, "@")
	if at < start {
		// No user info: only a query or fragment can hold a secret.
		if i := strings.IndexAny(raw[start:], "?#"); i >= 0 {
			return raw[:start+i] + "?xxxxx"
		}
		return raw
	}
	userinfo := "xxxxx"
	if user, _, ok := strings.Cut(raw[start:at], ":"); ok && !strings.ContainsAny(user, "/?#") {
		userinfo = user + ":xxxxx"
	}
	host := raw[at+1:]
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	// A secret query parameter holding an "@" ("?password=se@cret") would
	// put its end where the host belongs.
	if secretParamBefore(raw[start:at]) {
		return raw[:start] + "xxxxx"
	}
	return raw[:start] + userinfo + "@" + host
}

// secretParamBefore reports whether s holds a query-like "name=" for a
// password-like parameter.
func secretParamBefore(s string) bool {
	i := strings.IndexAny(s, "?")
	if i < 0 {
		return false
	}
	q := strings.ToLower(s[i:])
	for _, secret := range secretParams {
		if strings.Contains(q, secret+"=") {
			return true
		}
	}
	return false
}

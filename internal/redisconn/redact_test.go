package redisconn

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
)

// secretMark starts every letter and digit of the passwords the leak tests
// build, so that any piece of a password shown, however short, shows it.
const secretMark = "Zq"

// markedPassword turns fuzz input into a password that holds every
// awkward character as it came ('#', '?', '@', '/', '%', spaces, unicode
// punctuation) and secretMark before each letter or digit.
func markedPassword(s string) string {
	var b strings.Builder
	b.WriteString(secretMark)
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteString(secretMark)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestRedactPasswordWithSpecials(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://admin:Tr0ub4dor#3@host", "redis://admin:xxxxx@host"},
		{"redis://admin:Tr0u?b4dor@host:6379/0", "redis://admin:xxxxx@host:6379"},
		{"redis://admin:a#b?c/d@e@host:6379/0?db=1", "redis://admin:xxxxx@host:6379"},
		{"rediss://:pw#1@host", "rediss://:xxxxx@host"},
		{"redis://host/?password=se@cret", "redis://xxxxx"},
		{"redis://host:6379/#frag", "redis://host:6379/?xxxxx"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// unreachableAddr is a loopback address where nothing listens, so that
// Open fails fast with a connection refused.
func unreachableAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func FuzzRedact(f *testing.F) {
	for _, seed := range []string{
		"Tr0ub4dor#3", "pa?ss", "p@ss/word", "a%zz", "with space", "päss wörd", "#?@/%", "",
		"x://y@z", "?password=a@b", "100%", "a:b:c", "ok",
	} {
		f.Add("admin", seed, "/0")
	}
	addr := unreachableAddr(f)
	f.Fuzz(func(t *testing.T, user, rawPassword, path string) {
		user = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'y' {
				return r
			}
			return -1
		}, user)
		if strings.ContainsAny(path, "@") || strings.Contains(path, secretMark) {
			path = ""
		}
		if path != "" && path[0] != '/' {
			path = "/" + path // else it would change the port
		}
		password := markedPassword(rawPassword)
		for _, scheme := range []string{"redis", "rediss"} {
			raw := scheme + "://" + user + ":" + password + "@" + addr + path
			if got := Redact(raw); strings.Contains(got, secretMark) {
				t.Errorf("Redact(%q) = %q shows the password", raw, got)
			}
			if _, err := parseURL(raw); err != nil && strings.Contains(err.Error(), secretMark) {
				t.Errorf("parseURL(%q) error %q shows the password", raw, err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			tgt, err := Open(ctx, raw, Options{DialTimeout: 100 * time.Millisecond})
			cancel()
			if err == nil {
				tgt.Close()
				t.Fatalf("Open(%q) reached a server at an address where none listens", raw)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("Open(%q) error %q shows the password", raw, err)
			}
		}
	})
}

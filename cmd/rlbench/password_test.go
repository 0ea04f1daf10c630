package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestPasswordNeverAppears runs and benches against a real redis-server
// that requires a password with the characters that broke redaction ('#',
// '?', '@', '/'), writing every report, and looks for the password, raw and
// encoded, in everything rlbench printed or wrote: on success, with a wrong
// password, and with a URL that does not parse.
func TestPasswordNeverAppears(t *testing.T) {
	const password = "Tr0ub4dor#3?x@y/z"
	srv := redistest.Start(t)
	if err := srv.Client(t).ConfigSet(t.Context(), "requirepass", password).Err(); err != nil {
		t.Fatal(err)
	}
	encoded := url.QueryEscape(password)
	good := "redis://default:" + encoded + "@" + srv.Addr + "/0"
	wrong := "redis://default:" + url.QueryEscape(password+"!") + "@" + srv.Addr + "/0"
	raw := "redis://default:" + password + "@" + srv.Addr + "/0" // unencoded: not a valid URL
	dir := t.TempDir()

	tests := []struct {
		name     string
		args     []string
		wantExit int
		files    []string
	}{
		{"run", []string{"run", "--redis", good, "--algo", "fixed", "--requests", "20", "-o", filepath.Join(dir, "run.json")}, 0,
			[]string{"run.json"}},
		{"run as json", []string{"run", "--redis", good, "--algo", "fixed", "--requests", "20", "--format", "json"}, 0, nil},
		{"bench", []string{"bench", "--redis", good, "--algo", "fixed", "--workload", "closed", "--requests", "20", "-o", filepath.Join(dir, "bench")}, 0,
			[]string{"bench/results.json", "bench/report.md", "bench/report.html"}},
		{"through both clients", []string{"--client", "go-redis,rueidis", "run", "--redis", good, "--algo", "fixed", "--requests", "20", "-o", filepath.Join(dir, "clients.json")}, 0,
			[]string{"clients.json"}},
		{"wrong password", []string{"run", "--redis", wrong, "--requests", "5"}, 1, nil},
		{"wrong password, rueidis", []string{"--client", "rueidis", "run", "--redis", wrong, "--requests", "5"}, 1, nil},
		{"unencoded password", []string{"run", "--redis", raw, "--requests", "5"}, 2, nil},
		{"from REDIS_URL", []string{"run", "--requests", "5", "--format", "csv"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(map[string]string{"REDIS_URL": good}, tt.args...)
			if code := Main(io); code != tt.wantExit {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.wantExit, errOut)
			}
			seen := map[string]string{"stdout": out.String(), "stderr": errOut.String()}
			for _, name := range tt.files {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				seen[name] = string(b)
			}
			for where, text := range seen {
				for _, form := range []string{password, encoded, "Tr0ub4dor"} {
					if strings.Contains(text, form) {
						t.Errorf("%s holds the password (%q)", where, form)
					}
				}
			}
		})
	}
}

package main

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestTLSAndPassword runs against a real redis-server that speaks only TLS,
// requires a client certificate and a password, with certificates the test
// generated, and looks for the password in everything rlbench printed or
// wrote.
func TestTLSAndPassword(t *testing.T) {
	const password = "Tr0ub4dor#3?x@y/z"
	srv := redistest.StartTLS(t, true, password)
	c := srv.Certs
	dir := t.TempDir()
	passwordFile := writeFile(t, dir, "password", password+"\n")
	wrongFile := writeFile(t, dir, "wrong", password+"!\r\nsecond line\n")
	noPassword := "rediss://" + srv.Addr + "/0"
	withPassword := "rediss://default:" + url.QueryEscape(password) + "@" + srv.Addr + "/0"
	mutual := []string{"--tls-ca", c.CAFile, "--tls-cert", c.ClientCert, "--tls-key", c.ClientKey}
	// Every run decides through both clients: rueidis is given the same
	// TLS settings and password as go-redis.
	run := func(args ...string) []string {
		return append([]string{"--client", "go-redis,rueidis", "run", "--algo", "fixed", "--requests", "20"}, args...)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		exit int
		// stderr is what stderr must hold; "" for nothing.
		stderr string
	}{
		{"verified, password file", nil,
			run(append(mutual, "--redis", noPassword, "--redis-password-file", passwordFile, "-o", filepath.Join(dir, "run.json"))...), 0, ""},
		{"verified, REDISCLI_AUTH", map[string]string{"REDISCLI_AUTH": password},
			run(append(mutual, "--redis", noPassword, "--format", "json")...), 0, ""},
		{"password in REDIS_URL", map[string]string{"REDIS_URL": withPassword, "REDISCLI_AUTH": "not-this-one"},
			run(mutual...), 0, ""},
		{"insecure", nil,
			run("--redis", noPassword, "--tls-insecure", "--tls-cert", c.ClientCert, "--tls-key", c.ClientKey, "--redis-password-file", passwordFile), 0, ""},
		{"bench", nil,
			append([]string{"--client", "go-redis,rueidis", "bench", "--algo", "fixed", "--workload", "closed", "--requests", "20", "--redis", noPassword, "--redis-password-file", passwordFile, "-o", filepath.Join(dir, "bench")}, mutual...), 0, ""},
		{"no CA", nil,
			run("--redis", noPassword, "--tls-cert", c.ClientCert, "--tls-key", c.ClientKey, "--redis-password-file", passwordFile), 1,
			`rlbench: the certificate of the server at "` + noPassword + `" did not verify: x509: certificate signed by unknown authority; give the CA that signed it with --tls-ca FILE, or skip the check with --tls-insecure`},
		{"no client certificate", nil,
			run("--redis", noPassword, "--tls-ca", c.CAFile, "--redis-password-file", passwordFile), 1,
			`rlbench: the server at "` + noPassword + `" refused the client's certificate (TLS alert "certificate required"): it requires one signed by a CA it trusts; give one with --tls-cert FILE --tls-key FILE`},
		{"wrong password file", nil,
			run(append(mutual, "--redis", noPassword, "--redis-password-file", wrongFile)...), 1,
			`rlbench: redis unreachable at "` + noPassword + `": WRONGPASS invalid username-password pair or user is disabled. (check the user in the URL and the password from --redis-password-file ` + wrongFile + `)`},
		{"wrong REDISCLI_AUTH", map[string]string{"REDISCLI_AUTH": password + "!"},
			run(append(mutual, "--redis", noPassword)...), 1,
			`rlbench: redis unreachable at "` + noPassword + `": WRONGPASS invalid username-password pair or user is disabled. (check the user in the URL and the password from $REDISCLI_AUTH)`},
		{"no password", nil,
			run(append(mutual, "--redis", noPassword)...), 1,
			`rlbench: redis unreachable at "` + noPassword + `": NOAUTH Authentication required. (the server wants a password, and none was given); give it in the URL, with --redis-password-file FILE or in $REDISCLI_AUTH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(tt.env, tt.args...)
			if code := Main(io); code != tt.exit {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.exit, errOut)
			}
			want := tt.stderr
			if want != "" {
				want += "\n"
			}
			if errOut.String() != want {
				t.Errorf("stderr\n got %q\nwant %q", errOut, want)
			}
			seen := map[string]string{"stdout": out.String(), "stderr": errOut.String()}
			if tt.exit == 0 && !strings.Contains(out.String(), srv.Addr) {
				t.Errorf("stdout does not name the server %s:\n%s", srv.Addr, out)
			}
			for where, text := range seen {
				for _, form := range []string{password, url.QueryEscape(password), "Tr0ub4dor"} {
					if strings.Contains(text, form) {
						t.Errorf("%s holds the password (%q)", where, form)
					}
				}
			}
		})
	}
	for _, name := range []string{"run.json", "bench/results.json", "bench/report.md", "bench/report.html"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Tr0ub4dor") || !strings.Contains(string(b), srv.Addr) {
			t.Errorf("%s holds the password, or does not name the server %s", name, srv.Addr)
		}
		if !strings.Contains(string(b), "rueidis:fixed") {
			t.Errorf("%s has no run through rueidis", name)
		}
	}
}

// TestServeTLS: serve takes the same flags to reach its Redis.
func TestServeTLS(t *testing.T) {
	srv := redistest.StartTLS(t, true, "pw")
	c := srv.Certs
	addr, cancel, code, _, errOut := startServe(t, map[string]string{"REDISCLI_AUTH": "pw"},
		"serve", "--addr", "127.0.0.1:0", "--redis", srv.URL, "--tls-ca", c.CAFile, "--tls-cert", c.ClientCert, "--tls-key", c.ClientKey,
		"--limit", "1", "--window", "1h")
	for i, want := range []int{200, 429} {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	cancel()
	if c := <-code; c != 0 || errOut.String() != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", c, errOut.String())
	}
}

// TestConnectionFlagsBadInput: settings that cannot apply, or files that
// cannot be read, are one line and exit 2, before any connection, for
// every command that connects.
func TestConnectionFlagsBadInput(t *testing.T) {
	certs := redistest.NewCerts(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	empty := writeFile(t, dir, "empty", "")
	emptyLine := writeFile(t, dir, "empty-line", "\nsecret\n")
	password := writeFile(t, dir, "password", "secret\n")
	const tlsURL = "rediss://127.0.0.1:1/0"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"cert without key", nil, []string{"run", "--redis", tlsURL, "--tls-cert", certs.ClientCert},
			"--tls-cert needs --tls-key, the client certificate's key"},
		{"key without cert", nil, []string{"bench", "--redis", tlsURL, "--tls-key", certs.ClientKey},
			"--tls-key needs --tls-cert, the certificate it is the key of"},
		{"missing CA", nil, []string{"serve", "--redis", tlsURL, "--tls-ca", missing},
			`cannot read --tls-ca "` + missing + `": no such file or directory`},
		{"CA not PEM", nil, []string{"run", "--redis", tlsURL, "--tls-ca", password},
			"bad TLS setting: CA file " + password + " holds no PEM certificate"},
		{"TLS with redis://", nil, []string{"run", "--redis", "redis://u:secret@127.0.0.1:1/0", "--tls-ca", certs.CAFile},
			`--tls-ca needs a rediss:// URL in --redis or $REDIS_URL, not "redis://u:xxxxx@127.0.0.1:1/0"`},
		{"TLS with REDIS_URL redis://", map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, []string{"bench", "--tls-insecure"},
			`--tls-insecure needs a rediss:// URL in --redis or $REDIS_URL, not "redis://127.0.0.1:1/0"`},
		{"TLS with the embedded server", nil, []string{"run", "--tls-insecure"},
			"--tls-insecure needs a rediss:// URL in --redis or $REDIS_URL, not the embedded miniredis"},
		{"TLS with local", nil, []string{"serve", "--redis", "local", "--tls-cert", certs.ClientCert, "--tls-key", certs.ClientKey},
			`--tls-cert needs a rediss:// URL in --redis or $REDIS_URL, not "local"`},
		{"insecure and CA", nil, []string{"run", "--redis", tlsURL, "--tls-insecure", "--tls-ca", certs.CAFile},
			"--tls-insecure skips the check --tls-ca is for: give one of them"},
		{"missing password file", nil, []string{"run", "--redis", tlsURL, "--redis-password-file", missing},
			`cannot read --redis-password-file "` + missing + `": no such file or directory`},
		{"empty password file", nil, []string{"bench", "--redis", tlsURL, "--redis-password-file", empty},
			`invalid --redis-password-file "` + empty + `": its first line is empty; want the password on it`},
		{"password on the second line", nil, []string{"serve", "--redis", tlsURL, "--redis-password-file", emptyLine},
			`invalid --redis-password-file "` + emptyLine + `": its first line is empty; want the password on it`},
		{"password file and URL password", nil, []string{"run", "--redis", "redis://:secret@127.0.0.1:1/0", "--redis-password-file", password},
			`--redis-password-file and a password in the URL of "redis://:xxxxx@127.0.0.1:1/0": give one of them`},
		{"password file with the embedded server", nil, []string{"run", "--redis-password-file", password},
			"--redis-password-file needs a redis:// or rediss:// URL in --redis or $REDIS_URL, not the embedded miniredis"},
		{"with --target", nil, []string{"run", "--target", "http://127.0.0.1:1/", "--redis-password-file", password},
			"--redis-password-file does not apply with --target: the API keeps its own state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(tt.env, tt.args...)
			if code := Main(io); code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, errOut)
			}
			if want := "rlbench: " + tt.want + "\n"; errOut.String() != want || out.Len() != 0 {
				t.Errorf("stderr %q, stdout %q; want stderr %q and nothing on stdout", errOut, out, want)
			}
			if strings.Contains(errOut.String(), "secret") {
				t.Errorf("stderr holds the password: %q", errOut)
			}
		})
	}
}

// TestConnectionFlagsIgnored: a command that does not connect warns of
// the connection flags, as of --redis.
func TestConnectionFlagsIgnored(t *testing.T) {
	io, _, errOut := newTestIO(nil, "version", "--tls-insecure")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d; stderr %q", code, errOut)
	}
	if want := "rlbench: warning: rlbench version ignores --tls-insecure\n"; errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

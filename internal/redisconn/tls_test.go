package redisconn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rlbench/rlbench/internal/redistest"
)

// TestOpenTLS connects to real redis-servers that speak only TLS, with
// certificates the test generated: one that asks for no client
// certificate and one that requires it (tls-auth-clients yes), both with a
// password.
func TestOpenTLS(t *testing.T) {
	plain := redistest.StartTLS(t, false, password)
	mutual := redistest.StartTLS(t, true, password)
	withPassword := func(s *redistest.TLSServer) string {
		return "rediss://default:" + password + "@" + s.Addr + "/0"
	}
	c := plain.Certs
	m := mutual.Certs
	tests := []struct {
		name string
		url  string
		opts Options
		// want is the error, "" for a connection that answers.
		want string
		is   []error
	}{
		{"verified against the CA", withPassword(plain), Options{TLS: TLS{CAFile: c.CAFile}}, "", nil},
		{"insecure", withPassword(plain), Options{TLS: TLS{Insecure: true}}, "", nil},
		{"skip_verify in the URL", withPassword(plain) + "?skip_verify=true", Options{}, "", nil},
		{"system CAs", withPassword(plain), Options{},
			`the certificate of the server at "rediss://default:xxxxx@` + plain.Addr + `/0" did not verify: x509: certificate signed by unknown authority`,
			[]error{ErrUnreachable, ErrUntrusted}},
		{"another CA", withPassword(plain), Options{TLS: TLS{CAFile: c.OtherCAFile}},
			`the certificate of the server at "rediss://default:xxxxx@` + plain.Addr + `/0" did not verify: x509: certificate signed by unknown authority`,
			[]error{ErrUnreachable, ErrUntrusted}},
		{"client certificate given", withPassword(mutual), Options{TLS: TLS{CAFile: m.CAFile, CertFile: m.ClientCert, KeyFile: m.ClientKey}}, "", nil},
		{"client certificate missing", withPassword(mutual), Options{TLS: TLS{CAFile: m.CAFile}},
			`the server at "rediss://default:xxxxx@` + mutual.Addr + `/0" refused the client's certificate (TLS alert "certificate required"): it requires one signed by a CA it trusts`,
			[]error{ErrUnreachable, ErrClientCertificate}},
		{"client certificate of another CA", withPassword(mutual), Options{TLS: TLS{CAFile: m.CAFile, CertFile: m.OtherCert, KeyFile: m.OtherKey}},
			`the server at "rediss://default:xxxxx@` + mutual.Addr + `/0" refused the client's certificate (TLS alert "unknown certificate authority"): it requires one signed by a CA it trusts`,
			[]error{ErrUnreachable, ErrClientCertificate}},
		{"password from elsewhere", "rediss://" + plain.Addr + "/0", Options{TLS: TLS{CAFile: c.CAFile}, Password: password, PasswordFrom: "REDISCLI_AUTH"}, "", nil},
		{"URL password first", withPassword(plain), Options{TLS: TLS{CAFile: c.CAFile}, Password: "wrong", PasswordFrom: "REDISCLI_AUTH"}, "", nil},
		{"wrong password from elsewhere", "rediss://" + plain.Addr + "/0", Options{TLS: TLS{CAFile: c.CAFile}, Password: password + "x", PasswordFrom: "REDISCLI_AUTH"},
			`redis unreachable at "rediss://` + plain.Addr + `/0": WRONGPASS invalid username-password pair or user is disabled. (check the user in the URL and the password from REDISCLI_AUTH)`,
			[]error{ErrUnreachable}},
		{"no password", "rediss://" + plain.Addr + "/0", Options{TLS: TLS{CAFile: c.CAFile}},
			`redis unreachable at "rediss://` + plain.Addr + `/0": NOAUTH Authentication required. (the server wants a password, and none was given)`,
			[]error{ErrUnreachable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt, err := Open(t.Context(), tt.url, tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer tgt.Close()
				if err := tgt.Client.Set(t.Context(), "k", "v", 0).Err(); err != nil {
					t.Fatalf("SET over TLS: %v", err)
				}
				return
			}
			wantOpenError(t, err, tt.want, tt.is...)
		})
	}
}

// TestOpenBadTLS: TLS files that cannot be used are bad input, found
// before any connection.
func TestOpenBadTLS(t *testing.T) {
	certs := redistest.NewCerts(t)
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.pem")
	const url = "rediss://127.0.0.1:1/0"
	tests := []struct {
		name string
		url  string
		tls  TLS
		want string
	}{
		{"redis:// URL", "redis://127.0.0.1:1/0", TLS{Insecure: true}, "bad TLS setting: TLS settings need a rediss:// URL, not redis://"},
		{"missing CA", url, TLS{CAFile: missing}, "bad TLS setting: CA file: open " + missing + ": no such file or directory"},
		{"CA not PEM", url, TLS{CAFile: notPEM}, "bad TLS setting: CA file " + notPEM + " holds no PEM certificate"},
		{"certificate alone", url, TLS{CertFile: certs.ClientCert}, "bad TLS setting: client certificate " + certs.ClientCert + " without its key"},
		{"key alone", url, TLS{KeyFile: certs.ClientKey}, "bad TLS setting: client key " + certs.ClientKey + " without its certificate"},
		{"key of another certificate", url, TLS{CertFile: certs.ClientCert, KeyFile: certs.OtherKey},
			"bad TLS setting: client certificate " + certs.ClientCert + " with key " + certs.OtherKey + ": tls: private key does not match public key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(t.Context(), tt.url, Options{TLS: tt.tls})
			wantOpenError(t, err, tt.want, ErrBadTLS)
		})
	}
}

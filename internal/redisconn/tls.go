package redisconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
)

// TLS is how a rediss:// connection checks the server and shows who the
// client is. The zero value verifies the server's certificate against the
// system's CAs for the URL's host, as a rediss:// URL alone does.
type TLS struct {
	// CAFile holds the PEM certificates of the CAs that may sign the
	// server's certificate, in place of the system's.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key, PEM, for
	// a server that requires one (tls-auth-clients yes): both or neither.
	CertFile, KeyFile string
	// Insecure skips checking the server's certificate: the connection is
	// encrypted, but anyone may be at the other end.
	Insecure bool
}

// IsZero reports whether t changes nothing.
func (t TLS) IsZero() bool { return t == TLS{} }

// TLS errors of Open. Each names the file or the server, never a password.
var (
	// ErrBadTLS means the TLS settings cannot be used: a file that does not
	// hold what it should, a certificate without its key, or settings for
	// a URL that is not rediss://. It is bad input.
	ErrBadTLS = errors.New("bad TLS setting")
	// ErrUntrusted means the server's certificate did not verify: signed
	// by a CA the client does not trust, or not for the host dialled.
	ErrUntrusted = errors.New("server certificate not trusted")
	// ErrClientCertificate means the server wants a client certificate it
	// trusts and was given none, or one signed by a CA it does not trust.
	ErrClientCertificate = errors.New("client certificate refused")
)

// applyTLS sets ro's TLS configuration from t. ro.TLSConfig is what
// go-redis made of a rediss:// URL: the host as ServerName, TLS 1.2 or
// later, and skip_verify.
func applyTLS(ro *redis.Options, t TLS) error {
	if t.IsZero() {
		return nil
	}
	if ro.TLSConfig == nil {
		return fmt.Errorf("%w: TLS settings need a rediss:// URL, not redis://", ErrBadTLS)
	}
	cfg := ro.TLSConfig
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return fmt.Errorf("%w: CA file: %w", ErrBadTLS, err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%w: CA file %s holds no PEM certificate", ErrBadTLS, t.CAFile)
		}
		cfg.RootCAs = roots
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		pair, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return fmt.Errorf("%w: client certificate %s with key %s: %w", ErrBadTLS, t.CertFile, t.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	case t.CertFile != "":
		return fmt.Errorf("%w: client certificate %s without its key", ErrBadTLS, t.CertFile)
	case t.KeyFile != "":
		return fmt.Errorf("%w: client key %s without its certificate", ErrBadTLS, t.KeyFile)
	}
	if t.Insecure {
		cfg.InsecureSkipVerify = true
	}
	return nil
}

// tlsError explains a TLS failure between client and server, or returns
// nil for any other error.
func tlsError(shown string, err error) error {
	var verify *tls.CertificateVerificationError
	if errors.As(err, &verify) {
		return &diagnosis{fmt.Sprintf("the certificate of the server at %q did not verify: %v", shown, verify.Err), fmt.Errorf("%w: %w", ErrUntrusted, err)}
	}
	// A server that refuses the client's certificate says so in an alert,
	// which crypto/tls returns as an unexported type: its text is all
	// there is. TLS 1.3 sends it after the handshake, on the first read.
	msg := err.Error()
	for _, alert := range []string{"certificate required", "bad certificate", "unknown certificate authority"} {
		if strings.Contains(msg, "remote error: tls: "+alert) {
			return &diagnosis{fmt.Sprintf("the server at %q refused the client's certificate (TLS alert %q): it requires one signed by a CA it trusts", shown, alert), fmt.Errorf("%w: %w", ErrClientCertificate, err)}
		}
	}
	return nil
}

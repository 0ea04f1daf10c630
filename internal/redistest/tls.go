package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// Certs are PEM files a test generates in its own temporary directory: a
// CA, a server certificate for 127.0.0.1 and a client certificate, both
// signed by it, and a second CA that signed neither.
type Certs struct {
	CAFile                string
	ServerCert, ServerKey string
	ClientCert, ClientKey string
	OtherCAFile           string // a CA that signed neither
	OtherCert, OtherKey   string // a client certificate the other CA signed
	dir                   string
}

// TLSServer is a redis-server that speaks only TLS.
type TLSServer struct {
	Addr  string // 127.0.0.1:port
	URL   string // rediss://127.0.0.1:port/0
	Certs *Certs
	Proc  *redisserver.Server
}

// StartTLS starts a redis-server that speaks only TLS, with certificates
// generated for it, stopped with t.Cleanup. With clientAuth it requires a
// client certificate signed by its CA (tls-auth-clients yes). password,
// when set, is its requirepass.
func StartTLS(t testing.TB, clientAuth bool, password string) *TLSServer {
	t.Helper()
	certs := NewCerts(t)
	files := &redisserver.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CAFile: certs.CAFile}
	if clientAuth {
		files.ClientCertFile, files.ClientKeyFile = certs.ClientCert, certs.ClientKey
	}
	p := StartProcess(t, redisserver.Options{TLS: files, Password: password})
	return &TLSServer{Addr: p.Addr, URL: p.URL, Certs: certs, Proc: p}
}

// NewCerts generates a CA, a server certificate for 127.0.0.1, a client
// certificate, and a second CA with a client certificate of its own, as
// PEM files in a t.TempDir().
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	c := &Certs{dir: t.TempDir()}
	caKey, caCert := c.ca(t, "rlbench test CA")
	otherKey, otherCert := c.ca(t, "rlbench other CA")
	c.CAFile = c.writeCert(t, "ca.pem", caCert)
	c.OtherCAFile = c.writeCert(t, "other-ca.pem", otherCert)
	c.ServerCert, c.ServerKey = c.leaf(t, "server", caCert, caKey, x509.ExtKeyUsageServerAuth)
	c.ClientCert, c.ClientKey = c.leaf(t, "client", caCert, caKey, x509.ExtKeyUsageClientAuth)
	c.OtherCert, c.OtherKey = c.leaf(t, "other-client", otherCert, otherKey, x509.ExtKeyUsageClientAuth)
	return c
}

func (c *Certs) ca(t testing.TB, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := newKey(t)
	tmpl := template(t, name)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("redistest: CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("redistest: CA certificate: %v", err)
	}
	return key, cert
}

// leaf writes name.pem and name-key.pem: a certificate for 127.0.0.1
// signed by ca, for usage.
func (c *Certs) leaf(t testing.TB, name string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, usage x509.ExtKeyUsage) (string, string) {
	t.Helper()
	key := newKey(t)
	tmpl := template(t, "rlbench test "+name)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatalf("redistest: %s certificate: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("redistest: %s certificate: %v", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("redistest: %s key: %v", name, err)
	}
	return c.writeCert(t, name+".pem", cert), c.write(t, name+"-key.pem", "PRIVATE KEY", keyDER)
}

func (c *Certs) writeCert(t testing.TB, name string, cert *x509.Certificate) string {
	t.Helper()
	return c.write(t, name, "CERTIFICATE", cert.Raw)
}

func (c *Certs) write(t testing.TB, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(c.dir, name)
	// 0600: redis-server reads the key, and so may only its owner.
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return path
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("redistest: key: %v", err)
	}
	return key
}

func template(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("redistest: serial: %v", err)
	}
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
	}
}

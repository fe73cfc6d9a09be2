package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ServerName is the name every test certificate is valid for.
const ServerName = "localhost"

// Certs are a throwaway CA and a server certificate it signed.
type Certs struct {
	Pool    *x509.CertPool // holds the CA
	Cert    tls.Certificate
	CertPEM []byte // the leaf then the CA
	KeyPEM  []byte // the leaf's key, PKCS #8
}

// NewCerts makes a CA and a leaf for ServerName, 127.0.0.1 and ::1.
// extraNames adds that many long DNS names to the leaf, which makes the
// server's first flight large (the amplification case).
func NewCerts(extraNames int) (*Certs, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "quince interop CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	names := []string{ServerName}
	for i := range extraNames {
		names = append(names, fmt.Sprintf("padding-name-%04d.large-certificate-chain.quince.invalid", i))
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: ServerName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	c := &Certs{
		Pool: x509.NewCertPool(),
		Cert: tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key},
	}
	c.Pool.AddCert(ca)
	c.CertPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	c.KeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return c, nil
}

// ServerTLS returns a server configuration offering alpn.
func (c *Certs) ServerTLS(alpn string) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{c.Cert},
		NextProtos:   []string{alpn},
		MinVersion:   tls.VersionTLS13,
	}
}

// ClientTLS returns a client configuration trusting the CA, asking for alpn.
func (c *Certs) ClientTLS(alpn string) *tls.Config {
	return &tls.Config{
		RootCAs:    c.Pool,
		ServerName: ServerName,
		NextProtos: []string{alpn},
		MinVersion: tls.VersionTLS13,
	}
}

// WriteFiles writes the key and chain as PEM into dir, for ngtcp2.
func (c *Certs) WriteFiles(dir string) (keyFile, certFile string, err error) {
	keyFile = filepath.Join(dir, "key.pem")
	certFile = filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, c.KeyPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		return "", "", err
	}
	return keyFile, certFile, nil
}

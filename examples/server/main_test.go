package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/quince-go/quic/examples/internal/hq"
)

// TestTLSConfig checks the certificate choices: self-signed by default,
// files with -cert and -key, an error with only one of them.
func TestTLSConfig(t *testing.T) {
	conf, err := tlsConfig("", "")
	if err != nil {
		t.Fatal(err)
	}
	leaf := conf.Certificates[0].Leaf
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := leaf.VerifyHostname(host); err != nil {
			t.Errorf("self-signed certificate: %v", err)
		}
	}
	if len(conf.NextProtos) != 2 || conf.NextProtos[0] != "h3" || conf.NextProtos[1] != hq.ALPN {
		t.Errorf("NextProtos = %q", conf.NextProtos)
	}

	cert, err := hq.SelfSigned("example.test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)
	conf, err = tlsConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := conf.Certificates[0].Leaf.VerifyHostname("example.test"); err != nil {
		t.Errorf("loaded certificate: %v", err)
	}
	for _, files := range [][2]string{{certFile, ""}, {"", keyFile}, {certFile, certFile}} {
		if _, err := tlsConfig(files[0], files[1]); err == nil {
			t.Errorf("tlsConfig(%q, %q) succeeded", files[0], files[1])
		}
	}
}

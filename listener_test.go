package quic

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"
)

const testALPN = "quince-test"

var (
	certOnce sync.Once
	testCert tls.Certificate
	testPool *x509.CertPool
)

// testTLS returns a server and a client TLS config around a self-signed
// certificate for 127.0.0.1 and localhost, made once per test binary.
func testTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "quince test"},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(24 * time.Hour),
			DNSNames:              []string{"localhost"},
			IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
		testPool = x509.NewCertPool()
		testPool.AddCert(cert)
	})
	server = &tls.Config{Certificates: []tls.Certificate{testCert}, NextProtos: []string{testALPN}}
	client = &tls.Config{RootCAs: testPool, NextProtos: []string{testALPN}}
	return server, client
}

// testCtx returns a context that ends with the test or after a minute, so
// that a hang fails instead of stalling the run.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// listen starts a Listener on 127.0.0.1 that is closed at the test's end.
func listen(t testing.TB, conf *Config) *Listener {
	t.Helper()
	stls, _ := testTLS(t)
	l, err := Listen("udp", "127.0.0.1:0", stls, conf)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// dial dials l; the session is closed at the test's end.
func dial(t testing.TB, l *Listener, conf *Config) *Session {
	t.Helper()
	_, ctls := testTLS(t)
	s, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, conf)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pair dials l and accepts the session on its side.
func pair(t testing.TB, l *Listener, conf *Config) (client, server *Session) {
	t.Helper()
	client = dial(t, l, conf)
	server, err := l.Accept(testCtx(t))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server
}

// waitGoroutines waits, yielding but never sleeping, until at most want
// goroutines run, and fails the test after 10 seconds.
func waitGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), want, buf[:n])
		}
		runtime.Gosched()
	}
}

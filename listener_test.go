package quic

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"math/big"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/mux"
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
		key, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
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
		der, err := x509.CreateCertificate(cryptorand.Reader, tmpl, tmpl, &key.PublicKey, key)
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

func TestGoroutinesEnd(t *testing.T) {
	base := runtime.NumGoroutine()
	l := listen(t, nil)
	echoServer(l)
	for range 10 {
		c := dial(t, l, nil)
		if got, err := echo(testCtx(t), c, []byte("ping")); err != nil || string(got) != "ping" {
			t.Fatalf("echo = %q, %v", got, err)
		}
		c.Close()
	}
	// Sessions still open when the listener closes end with it.
	for range 3 {
		dial(t, l, nil)
	}
	l.Close()
	waitGoroutines(t, base)
}

func TestListenerClose(t *testing.T) {
	l := listen(t, nil)
	c, _ := pair(t, l, nil)
	acceptErr := make(chan error, 1)
	go func() {
		_, err := l.Accept(context.Background())
		acceptErr <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-acceptErr; !errors.Is(err, ErrListenerClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("pending Accept = %v; want ErrListenerClosed", err)
	}
	if _, err := l.Accept(testCtx(t)); !errors.Is(err, ErrListenerClosed) {
		t.Errorf("Accept after Close = %v; want ErrListenerClosed", err)
	}
	<-c.Context().Done()
	var ae *ApplicationError
	if err := context.Cause(c.Context()); !errors.As(err, &ae) || !ae.Remote || ae.Code != 0 {
		t.Errorf("client's session ended with %v; want remote *ApplicationError code 0", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestHandshakeFailure(t *testing.T) {
	l := listen(t, nil)
	_, ctls := testTLS(t)
	ctls.NextProtos = []string{"not-" + testALPN}
	_, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, nil)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("Dial with a wrong ALPN = %v; want *TransportError", err)
	}
	// RFC 9001, Section 8.1: no_application_protocol (120) as CRYPTO_ERROR.
	if want := TransportErrorCode(0x100 + 120); te.Code != want || !te.Remote {
		t.Errorf("error %v: code %v remote %v; want remote %v", te, te.Code, te.Remote, want)
	}
}

func TestIdleTimeout(t *testing.T) {
	conf := &Config{MaxIdleTimeout: 200 * time.Millisecond}
	l := listen(t, conf)
	c, s := pair(t, l, conf)
	for _, sess := range []*Session{c, s} {
		<-sess.Context().Done()
		err := context.Cause(sess.Context())
		var nerr net.Error
		if !errors.Is(err, ErrIdleTimeout) || !errors.As(err, &nerr) || !nerr.Timeout() {
			t.Errorf("session ended with %v; want ErrIdleTimeout", err)
		}
		if _, err := sess.OpenStream(testCtx(t)); !errors.Is(err, ErrIdleTimeout) {
			t.Errorf("OpenStream after idle timeout = %v", err)
		}
	}
}

// TestServerVanishes checks that a client whose server lost its state
// without a word learns it from a stateless reset (RFC 9000, Section 10.3)
// sent by a new socket on the same port with the same key.
func TestServerVanishes(t *testing.T) {
	l := listen(t, nil)
	c, _ := pair(t, l, nil)
	key := l.mux.StatelessResetKey()
	addr := l.mux.LocalAddr()
	// Closing the mux ends the server's sessions without CONNECTION_CLOSE.
	l.mux.Close()
	l.Close()

	uc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		t.Fatalf("rebinding %v: %v", addr, err)
	}
	m, err := mux.New(uc, mux.Config{Server: true, StatelessResetKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// The client's acknowledgement of the server's last packets (its
	// NEW_TOKEN frame) may draw the reset before the stream opens.
	st, err := c.OpenStream(testCtx(t))
	if err == nil {
		_, err = st.Write([]byte("anyone there?"))
		if err == nil {
			_, err = st.Read(make([]byte, 1))
		}
	}
	if !errors.Is(err, ErrStatelessReset) {
		t.Errorf("OpenStream, Write, Read = %v; want ErrStatelessReset", err)
	}
	if err := context.Cause(c.Context()); !errors.Is(err, ErrStatelessReset) {
		t.Errorf("session ended with %v; want ErrStatelessReset", err)
	}
}

func TestVersion2(t *testing.T) {
	conf := &Config{Versions: []uint32{Version2}}
	l := listen(t, conf)
	c, s := pair(t, l, conf)
	for _, sess := range []*Session{c, s} {
		if v := sess.ConnectionState().Version; v != Version2 {
			t.Errorf("version %#x, want %#x", v, Version2)
		}
	}
}

// TestDialerSharesSocket checks that a Dialer's sessions share one socket,
// which closes with the last of them, and that a later Dial opens another.
func TestDialerSharesSocket(t *testing.T) {
	base := runtime.NumGoroutine()
	l := listen(t, nil)
	echoServer(l)
	_, ctls := testTLS(t)
	d := &Dialer{TLSConfig: ctls}
	var sessions []*Session
	for range 3 {
		s, err := d.DialContext(testCtx(t), "udp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
	}
	for _, s := range sessions[1:] {
		if s.LocalAddr().String() != sessions[0].LocalAddr().String() {
			t.Errorf("sessions on %v and %v; want one socket", sessions[0].LocalAddr(), s.LocalAddr())
		}
	}
	for i, s := range sessions {
		if got, err := echo(testCtx(t), s, []byte("hi")); err != nil || string(got) != "hi" {
			t.Errorf("session %d: echo = %q, %v", i, got, err)
		}
	}
	for _, s := range sessions {
		s.Close()
		<-s.loopDone
	}
	d.mu.Lock()
	open := len(d.socks)
	d.mu.Unlock()
	if open != 0 {
		t.Errorf("%d sockets open after the last session ended", open)
	}
	// The socket closed with the last session; the next Dial opens another.
	s, err := d.DialContext(testCtx(t), "udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := echo(testCtx(t), s, []byte("again")); err != nil || string(got) != "again" {
		t.Errorf("echo after reopening = %q, %v", got, err)
	}
	s.Close()
	l.Close()
	waitGoroutines(t, base)
}

// TestFlood sends a listener 10,000 garbage datagrams and 1,000 bogus
// Initials, then checks that it holds no sessions for them, that its heap
// did not grow beyond a bound, and that a real client still connects.
func TestFlood(t *testing.T) {
	const garbage, initials = 10000, 1000
	l := listen(t, nil)
	echoServer(l)
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(l.mux.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1200)
	for i := range garbage + initials {
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		n := 1 + rng.IntN(len(buf))
		if i%11 == 0 {
			// An Initial of version 1 with an 8-byte DCID, an empty SCID
			// and token, and a sealed payload of garbage.
			n = len(buf)
			buf[0] = 0xc3
			binary.BigEndian.PutUint32(buf[1:], Version1)
			buf[5] = 8
			buf[14] = 0
			buf[15] = 0
			binary.BigEndian.PutUint16(buf[16:], 0x4000|uint16(n-18))
		}
		conn.Write(buf[:n])
	}
	// The mux may refuse the real client while the backlog is full of
	// bogus Initials; it retries until they are gone.
	_, ctls := testTLS(t)
	var c *Session
	for c == nil {
		c, err = Dial(testCtx(t), "udp", l.Addr().String(), ctls, nil)
		var te *TransportError
		if err != nil && !(errors.As(err, &te) && te.Code == ConnectionRefused) {
			t.Fatalf("Dial after the flood: %v", err)
		}
	}
	defer c.Close()
	if got, err := echo(testCtx(t), c, []byte("still here")); err != nil || string(got) != "still here" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	if st := l.mux.Stats(); st.Accepted == 0 {
		t.Errorf("mux stats %+v: no bogus Initial reached Accept", st)
	}
	// Only the real session remains.
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		n := len(l.sessions)
		l.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener holds %d sessions, want 1", n)
		}
		runtime.Gosched()
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	// The bound is loose (pools, TLS state of one session); a listener
	// that kept state per bogus datagram would hold megabytes more.
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 8<<20 {
		t.Errorf("heap in use grew by %d bytes", grew)
	}
	t.Logf("mux stats %+v; heap in use %d -> %d", l.mux.Stats(), before.HeapInuse, after.HeapInuse)
}

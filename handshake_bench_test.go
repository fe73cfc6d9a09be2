package quic

import (
	"context"
	"testing"
)

// BenchmarkHandshake dials a Listener over loopback one session at a time
// and closes each once its handshake completes, as a client that measures
// handshakes does; the Listener accepts and drops them. Allocations per op
// are both sides', crypto/tls's included. The client does not verify the
// certificate, so that X.509 does not weigh in.
func BenchmarkHandshake(b *testing.B) {
	d, addr := handshakeBench(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := d.DialContext(context.Background(), "udp", addr)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// TestHandshakeAllocs bounds the allocations of a handshake over loopback,
// both sides' (crypto/tls's included): 1738 before key derivation reused
// its hash state, the server waited for a ClientHello's second datagram
// before its first flush, and TLS got whole messages only; 1261 after.
func TestHandshakeAllocs(t *testing.T) {
	if raceEnabled || testing.CoverMode() != "" {
		t.Skip("coverage instrumentation and the race detector allocate")
	}
	d, addr := handshakeBench(t)
	n := testing.AllocsPerRun(100, func() {
		s, err := d.DialContext(context.Background(), "udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	})
	t.Logf("%v allocations per handshake", n)
	if n > 1350 {
		t.Errorf("%v allocations per handshake, want at most 1350", n)
	}
}

// handshakeBench starts a Listener that accepts and drops sessions, and
// returns a Dialer for it that does not verify the certificate, and its
// address.
func handshakeBench(t testing.TB) (*Dialer, string) {
	l := listen(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for {
			if _, err := l.Accept(ctx); err != nil {
				return
			}
		}
	}()
	_, ctls := testTLS(t)
	ctls = ctls.Clone()
	ctls.RootCAs = nil
	ctls.InsecureSkipVerify = true
	return &Dialer{TLSConfig: ctls}, l.Addr().String()
}

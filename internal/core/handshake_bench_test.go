package core

import (
	"testing"
	"time"
)

// benchHandshakeConfigs returns the configurations of BenchmarkHandshake:
// the harness's, except that the client does not verify the certificate,
// so that the figures show the QUIC and TLS handshake rather than X.509.
func benchHandshakeConfigs() (client, server *Config) {
	ctls := testTLSConfig(false)
	ctls.RootCAs = nil
	ctls.InsecureSkipVerify = true
	return &Config{TLS: ctls}, &Config{TLS: testTLSConfig(true)}
}

// BenchmarkHandshake runs whole handshakes, both sides in memory on the
// fake clock, until both are confirmed, and closes the client; the
// allocations per op are both sides' (crypto/tls's included).
func BenchmarkHandshake(b *testing.B) {
	ccfg, scfg := benchHandshakeConfigs()
	b.ReportAllocs()
	seed := uint64(0)
	for b.Loop() {
		seed++
		p := newTestPair(b, seed, linkConfig{delay: time.Millisecond}, ccfg, scfg)
		p.handshake()
		p.client.Close(0, "", p.now)
		p.flush()
		for p.deliver() {
		}
	}
}

// TestHandshakeAllocs bounds the allocations of BenchmarkHandshake, both
// sides and the harness: 1662 before key derivation reused its hash state
// and reset tokens their HMAC, 1190 after.
func TestHandshakeAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage instrumentation and the race detector allocate")
	}
	ccfg, scfg := benchHandshakeConfigs()
	seed := uint64(0)
	n := testing.AllocsPerRun(20, func() {
		seed++
		p := newTestPair(t, seed, linkConfig{delay: time.Millisecond}, ccfg, scfg)
		p.handshake()
	})
	t.Logf("%v allocations per handshake", n)
	if n > 1250 {
		t.Errorf("%v allocations per handshake, want at most 1250", n)
	}
}

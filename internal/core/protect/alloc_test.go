package protect

import (
	"crypto/tls"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// TestZeroAllocs checks that sealing, removing header protection and
// opening a 1,200-byte 1-RTT packet do not allocate, for every suite.
func TestZeroAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation may allocate")
	}
	const size = 1200
	for _, ts := range testSuites {
		t.Run(ts.name, func(t *testing.T) {
			secret := testSecret(t, ts.id)
			tx := mustNewKeys(t, ts.id, wire.Version1, secret)
			rx := mustNewKeys(t, ts.id, wire.Version1, secret)
			plain, pnOffset := shortPacket(size, false, 123456, 3)
			const pnLen = 3
			buf := make([]byte, 0, size)
			var sealed []byte
			if n := testing.AllocsPerRun(100, func() {
				sealed = tx.Seal(append(buf[:0], plain...), pnOffset, pnLen, 123456)
			}); n != 0 {
				t.Errorf("Seal: %v allocations, want 0", n)
			}
			if len(sealed) != size {
				t.Fatalf("sealed packet is %d bytes, want %d", len(sealed), size)
			}
			sealed = append([]byte(nil), sealed...)

			in := make([]byte, size)
			if n := testing.AllocsPerRun(100, func() {
				copy(in, sealed)
				if _, err := rx.Header.RemoveHeaderProtection(in, pnOffset); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("RemoveHeaderProtection: %v allocations, want 0", n)
			}
			unmasked := append([]byte(nil), in...)

			var payload []byte
			if n := testing.AllocsPerRun(100, func() {
				copy(in, unmasked)
				var err error
				if payload, err = rx.Packet.Open(in, pnOffset+pnLen, 123456); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("Open: %v allocations, want 0", n)
			}
			if diff := cmp.Diff(plain[pnOffset+pnLen:], payload); diff != "" {
				t.Errorf("payload mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKeyDerivationAllocs bounds the allocations of deriving keys, which
// every handshake does eight times (Initial, Handshake and 1-RTT, each
// direction) besides a key update's Next: one hash state keyed per secret
// serves all its labels (see expander). crypto/hkdf.Expand, keying a
// crypto/hmac HMAC per label, took 38, 102 and 34.
func TestKeyDerivationAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage instrumentation and the race detector allocate")
	}
	secret := make([]byte, 32)
	k := mustNewKeys(t, tls.TLS_AES_128_GCM_SHA256, wire.Version1, secret)
	for _, c := range []struct {
		name string
		max  float64
		fn   func()
	}{
		{"NewKeys", 9, func() { NewKeys(tls.TLS_AES_128_GCM_SHA256, wire.Version1, secret) }},
		{"InitialKeys", 24, func() { InitialKeys(wire.Version1, secret[:8]) }},
		{"Next", 10, func() { k.Next() }},
	} {
		if n := testing.AllocsPerRun(100, c.fn); n > c.max {
			t.Errorf("%s: %v allocations, want at most %v", c.name, n, c.max)
		}
	}
}

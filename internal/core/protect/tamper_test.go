package protect

import (
	"bytes"
	"crypto/tls"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// TestTamper flips every bit of sealed packets and checks that the receiver
// never accepts the result (RFC 9001, Sections 5.3 and 5.4).
func TestTamper(t *testing.T) {
	type sample struct {
		name     string
		keys     func() *Keys
		plain    []byte
		pnOffset int
		pnLen    int
		pn       uint64
	}
	var samples []sample
	for _, ts := range testSuites {
		for _, pnLen := range []int{1, 4} {
			plain, pnOffset := shortPacket(64, true, 77, pnLen)
			secret := testSecret(t, ts.id)
			samples = append(samples, sample{
				name:     ts.name,
				keys:     func() *Keys { return mustNewKeys(t, ts.id, wire.Version1, secret) },
				plain:    plain,
				pnOffset: pnOffset,
				pnLen:    pnLen,
				pn:       77,
			})
		}
	}
	v := rfcVectors[1]
	for _, tc := range initialCases(t, v) {
		samples = append(samples, sample{
			name: "v2 " + tc.name,
			keys: func() *Keys {
				return tc.keys(InitialKeys(v.version, sampleDCID))
			},
			plain:    append(append([]byte(nil), tc.header...), tc.payload...),
			pnOffset: tc.pnOffset,
			pnLen:    tc.pnLen,
			pn:       tc.pn,
		})
	}

	for _, s := range samples {
		sealed := s.keys().Seal(append([]byte(nil), s.plain...), s.pnOffset, s.pnLen, s.pn)
		// Every bit of a short packet; for long ones, one bit of each byte.
		bits := []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80}
		if len(sealed) > 100 {
			bits = []byte{0x10}
		}
		rx := s.keys()
		in := make([]byte, len(sealed))
		copy(in, sealed)
		if _, payload, err := unprotect(rx, in, s.pnOffset, int64(s.pn)-1); err != nil || !cmp.Equal(payload, s.plain[s.pnOffset+s.pnLen:]) {
			t.Fatalf("%s: untouched packet does not open: %v", s.name, err)
		}
		for i := range sealed {
			for _, bit := range bits {
				copy(in, sealed)
				in[i] ^= bit
				pn, _, err := unprotect(rx, in, s.pnOffset, int64(s.pn)-1)
				if err == nil {
					t.Errorf("%s: packet with byte %d ^ %#02x opened (pn %d)", s.name, i, bit, pn)
				}
			}
		}
	}
}

// TestUnprotectShortPackets checks that packets too short for the header
// protection sample or the tag are reported, not panicked on, and that
// RemoveHeaderProtection leaves them unchanged.
func TestUnprotectShortPackets(t *testing.T) {
	for _, ts := range testSuites {
		k := mustNewKeys(t, ts.id, wire.Version1, testSecret(t, ts.id))
		for _, tt := range []struct {
			size, pnOffset int
		}{
			{0, 1}, {1, 1}, {20, 1}, {21, 2}, {40, 21}, {100, -1}, {100, 0}, {100, 81}, {100, 1 << 62},
		} {
			pkt := make([]byte, tt.size)
			for i := range pkt {
				pkt[i] = byte(i)
			}
			orig := append([]byte(nil), pkt...)
			if _, err := k.Header.RemoveHeaderProtection(pkt, tt.pnOffset); err != ErrShortPacket {
				t.Errorf("%s: RemoveHeaderProtection(%d bytes, pnOffset %d) err = %v, want ErrShortPacket", ts.name, tt.size, tt.pnOffset, err)
			}
			if !bytes.Equal(orig, pkt) {
				t.Errorf("%s: RemoveHeaderProtection changed a packet it rejected", ts.name)
			}
		}
		for _, tt := range []struct {
			size, hdrLen int
		}{
			{0, 0}, {15, 0}, {20, 5}, {20, -1}, {20, 21}, {20, 1 << 62},
		} {
			if _, err := k.Packet.Open(make([]byte, tt.size), tt.hdrLen, 0); err != ErrShortPacket {
				t.Errorf("%s: Open(%d bytes, hdrLen %d) err = %v, want ErrShortPacket", ts.name, tt.size, tt.hdrLen, err)
			}
		}
		// An empty payload with only a tag is not short; it fails to
		// authenticate.
		if _, err := k.Packet.Open(make([]byte, 4+TagLen), 4, 0); err != ErrAuth {
			t.Errorf("%s: Open(forged tag-only packet) err = %v, want ErrAuth", ts.name, err)
		}
	}
}

// TestChaChaCounterEdge checks that a sample whose first four bytes are the
// largest ChaCha20 block counter produces a mask without panicking (RFC
// 9001, Section 5.4.4); the sample comes from the network.
func TestChaChaCounterEdge(t *testing.T) {
	k := mustNewKeys(t, tls.TLS_CHACHA20_POLY1305_SHA256, wire.Version1, testSecret(t, tls.TLS_CHACHA20_POLY1305_SHA256))
	for _, counter := range [][4]byte{{0xff, 0xff, 0xff, 0xff}, {0xfe, 0xff, 0xff, 0xff}, {0, 0, 0, 0}} {
		pkt := make([]byte, 1+4+SampleLen)
		pkt[0] = 0x40
		copy(pkt[1+4:], counter[:])
		if _, err := k.Header.RemoveHeaderProtection(pkt, 1); err != nil {
			t.Errorf("counter %x: %v", counter, err)
		}
	}
}

// TestSealPanicsOnShortPayload checks that Seal refuses, loudly, a packet
// whose payload cannot yield a header protection sample.
func TestSealPanicsOnShortPayload(t *testing.T) {
	k := mustNewKeys(t, tls.TLS_AES_128_GCM_SHA256, wire.Version1, testSecret(t, tls.TLS_AES_128_GCM_SHA256))
	defer func() {
		if recover() == nil {
			t.Errorf("Seal of a packet too short for the sample did not panic")
		}
	}()
	// 1-byte packet number and 2 bytes of payload: one byte short
	// (RFC 9001, Section 5.4.2 asks for 3).
	k.Seal([]byte{0x40, 0x00, 0x01, 0x01}, 1, 1, 0)
}

// TestLimits checks the AEAD limits of RFC 9001, Section 6.6.
func TestLimits(t *testing.T) {
	tests := []struct {
		suite                  uint16
		confidentiality, integ uint64
	}{
		{tls.TLS_AES_128_GCM_SHA256, 1 << 23, 1 << 52},
		{tls.TLS_AES_256_GCM_SHA384, 1 << 23, 1 << 52},
		{tls.TLS_CHACHA20_POLY1305_SHA256, 1 << 62, 1 << 36},
		{0x1305, 0, 0},
	}
	for _, tt := range tests {
		if got := ConfidentialityLimit(tt.suite); got != tt.confidentiality {
			t.Errorf("ConfidentialityLimit(%04x) = %d, want %d", tt.suite, got, tt.confidentiality)
		}
		if got := IntegrityLimit(tt.suite); got != tt.integ {
			t.Errorf("IntegrityLimit(%04x) = %d, want %d", tt.suite, got, tt.integ)
		}
	}
}

package protect

import (
	"crypto/tls"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// testSuites are the cipher suites NewKeys supports.
var testSuites = []struct {
	name string
	id   uint16
}{
	{"AES-128-GCM", tls.TLS_AES_128_GCM_SHA256},
	{"AES-256-GCM", tls.TLS_AES_256_GCM_SHA384},
	{"ChaCha20-Poly1305", tls.TLS_CHACHA20_POLY1305_SHA256},
}

// testSecret returns a fixed traffic secret of the suite's hash length.
func testSecret(t testing.TB, suite uint16) []byte {
	s, err := suiteFor(suite)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, s.hash().Size())
	for i := range secret {
		secret[i] = byte(0xa0 + i)
	}
	return secret
}

func mustNewKeys(t testing.TB, suite uint16, version uint32, secret []byte) *Keys {
	t.Helper()
	k, err := NewKeys(suite, version, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyUpdate checks the key update of RFC 9001, Section 6.1 and RFC
// 9369, Section 3.3.2 for every suite and version.
func TestKeyUpdate(t *testing.T) {
	const generations = 3
	for _, ts := range testSuites {
		for _, version := range []uint32{wire.Version1, wire.Version2} {
			t.Run(fmt.Sprintf("%s/v%x", ts.name, version), func(t *testing.T) {
				s, _ := suiteFor(ts.id)
				ku := labelsFor(version).ku
				gens := []*Keys{mustNewKeys(t, ts.id, version, testSecret(t, ts.id))}
				for i := 1; i < generations; i++ {
					prev := gens[i-1]
					next := prev.Next()
					// secret_<n+1> = HKDF-Expand-Label(secret_<n>, "quic ku", "", Hash.length)
					want := refExpandLabel(s.hash, prev.secret, ku, len(prev.secret))
					if diff := cmp.Diff(want, next.secret); diff != "" {
						t.Errorf("generation %d secret mismatch (-want +got):\n%s", i, diff)
					}
					wantIV := refExpandLabel(s.hash, want, labelsFor(version).iv, ivLen)
					if diff := cmp.Diff(wantIV, next.Packet.iv[:]); diff != "" {
						t.Errorf("generation %d IV mismatch (-want +got):\n%s", i, diff)
					}
					if again := prev.Next(); !cmp.Equal(again.secret, next.secret) || again.Packet.iv != next.Packet.iv {
						t.Errorf("generation %d: Next is not deterministic", i)
					}
					if next.Header != gens[0].Header {
						t.Errorf("generation %d: header key changed", i)
					}
					if next.Suite != ts.id {
						t.Errorf("generation %d: suite = %04x, want %04x", i, next.Suite, ts.id)
					}
					gens = append(gens, next)
				}
				if cmp.Equal(gens[0].secret, gens[2].secret) {
					t.Errorf("generation 2 repeats generation 0")
				}

				// A packet sealed with generation n opens only with generation n.
				for n, sealer := range gens {
					plain, pnOffset := shortPacket(200, n%2 == 1, 1000+int64(n), 2)
					sealed := sealer.Seal(append([]byte(nil), plain...), pnOffset, 2, uint64(1000+n))
					for m, opener := range gens {
						in := append([]byte(nil), sealed...)
						_, payload, err := unprotect(opener, in, pnOffset, 999)
						if m == n {
							if err != nil {
								t.Errorf("generation %d cannot open its own packet: %v", n, err)
							} else if diff := cmp.Diff(plain[pnOffset+2:], payload); diff != "" {
								t.Errorf("generation %d payload mismatch (-want +got):\n%s", n, diff)
							}
						} else if err != ErrAuth {
							t.Errorf("packet sealed by generation %d opened by %d: err = %v, want ErrAuth", n, m, err)
						}
					}
				}
			})
		}
	}
}

// TestKeyUpdateVersionsDiffer checks that the version 2 key update label
// gives a different secret from version 1.
func TestKeyUpdateVersionsDiffer(t *testing.T) {
	secret := testSecret(t, tls.TLS_AES_128_GCM_SHA256)
	k1 := mustNewKeys(t, tls.TLS_AES_128_GCM_SHA256, wire.Version1, secret)
	k2 := mustNewKeys(t, tls.TLS_AES_128_GCM_SHA256, wire.Version2, secret)
	if cmp.Equal(k1.Next().secret, k2.Next().secret) {
		t.Errorf("version 1 and 2 key updates give the same secret")
	}
}

// TestNewKeysErrors checks that NewKeys rejects suites it cannot use and
// secrets of the wrong length, and copies the secret.
func TestNewKeysErrors(t *testing.T) {
	tests := []struct {
		name   string
		suite  uint16
		secret int
	}{
		{"CCM_8", 0x1305, 32},
		{"CCM", 0x1304, 32},
		{"TLS 1.2 suite", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 32},
		{"AES-128 with 48-byte secret", tls.TLS_AES_128_GCM_SHA256, 48},
		{"AES-256 with 32-byte secret", tls.TLS_AES_256_GCM_SHA384, 32},
		{"ChaCha20 with empty secret", tls.TLS_CHACHA20_POLY1305_SHA256, 0},
	}
	for _, tt := range tests {
		if k, err := NewKeys(tt.suite, wire.Version1, make([]byte, tt.secret)); err == nil {
			t.Errorf("%s: NewKeys = %v, want error", tt.name, k)
		}
	}

	secret := testSecret(t, tls.TLS_AES_128_GCM_SHA256)
	k := mustNewKeys(t, tls.TLS_AES_128_GCM_SHA256, wire.Version1, secret)
	want := k.Next().secret
	secret[0] ^= 0xff
	if !cmp.Equal(want, k.Next().secret) {
		t.Errorf("Keys depend on the caller's secret slice after NewKeys")
	}
}

package protect

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// The Destination Connection ID of the client's first Initial in the
// samples of RFC 9001 and RFC 9369, Appendix A.
var sampleDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// TestRefHkdfLabel checks the reference HkdfLabel encoding used by the
// tests against the labels listed in RFC 9001 and RFC 9369, Appendix A.1.
func TestRefHkdfLabel(t *testing.T) {
	tests := []struct {
		label  string
		length int
		want   string
	}{
		{"client in", 32, "00200f746c73313320636c69656e7420696e00"},
		{"server in", 32, "00200f746c7331332073657276657220696e00"},
		{"quic key", 16, "00100e746c7331332071756963206b657900"},
		{"quic iv", 12, "000c0d746c733133207175696320697600"},
		{"quic hp", 16, "00100d746c733133207175696320687000"},
		{"quicv2 key", 16, "001010746c73313320717569637632206b657900"},
		{"quicv2 iv", 12, "000c0f746c7331332071756963763220697600"},
		{"quicv2 hp", 16, "00100f746c7331332071756963763220687000"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(unhex(t, tt.want), refHkdfLabel(tt.label, tt.length)); diff != "" {
			t.Errorf("HkdfLabel(%q, %d) mismatch (-want +got):\n%s", tt.label, tt.length, diff)
		}
	}
}

// TestHkdfExpandLabel compares the package's HKDF-Expand-Label with the
// independent reference for every label, hash and length the package uses.
func TestHkdfExpandLabel(t *testing.T) {
	labels := []string{"client in", "server in", "quic key", "quic iv", "quic hp", "quic ku",
		"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"}
	for _, s := range suites {
		secret := make([]byte, s.hash().Size())
		for i := range secret {
			secret[i] = byte(i*7 + 1)
		}
		for _, label := range labels {
			for _, n := range []int{12, 16, 32, 48} {
				got := hkdfExpandLabel(s.hash, secret, label, n)
				want := refExpandLabel(s.hash, secret, label, n)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("suite %04x: HKDF-Expand-Label(%q, %d) mismatch (-want +got):\n%s", s.id, label, n, diff)
				}
			}
		}
	}
}

// TestInitialSecrets checks Appendix A.1 (Keys) of RFC 9001 and RFC 9369.
func TestInitialSecrets(t *testing.T) {
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			salt := initialSaltV1
			if v.version == wire.Version2 {
				salt = initialSaltV2
			}
			prk, err := hkdf.Extract(sha256.New, sampleDCID, salt)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(unhex(t, v.initialSecret), prk); diff != "" {
				t.Errorf("initial_secret mismatch (-want +got):\n%s", diff)
			}

			client, server := initialSecrets(v.version, sampleDCID)
			ck, sk := InitialKeys(v.version, sampleDCID)
			s, _ := suiteFor(tls.TLS_AES_128_GCM_SHA256)
			for _, side := range []struct {
				name            string
				secret          []byte
				keys            *Keys
				wantSecret      string
				wantKey, wantIV string
				wantHP          string
			}{
				{"client", client, ck, v.clientSecret, v.clientKey, v.clientIV, v.clientHP},
				{"server", server, sk, v.serverSecret, v.serverKey, v.serverIV, v.serverHP},
			} {
				want := material{
					secret: unhex(t, side.wantSecret),
					key:    unhex(t, side.wantKey),
					iv:     unhex(t, side.wantIV),
					hp:     unhex(t, side.wantHP),
				}
				got := deriveMaterial(s, v.version, side.secret)
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(material{})); diff != "" {
					t.Errorf("%s keys mismatch (-want +got):\n%s", side.name, diff)
				}
				if diff := cmp.Diff(want.secret, side.keys.secret); diff != "" {
					t.Errorf("InitialKeys %s secret mismatch (-want +got):\n%s", side.name, diff)
				}
				if diff := cmp.Diff(want.iv, side.keys.Packet.iv[:]); diff != "" {
					t.Errorf("InitialKeys %s IV mismatch (-want +got):\n%s", side.name, diff)
				}
				if side.keys.Suite != tls.TLS_AES_128_GCM_SHA256 {
					t.Errorf("InitialKeys %s suite = %04x, want TLS_AES_128_GCM_SHA256", side.name, side.keys.Suite)
				}
			}
		})
	}
}

// initialCase is one sample Initial packet of Appendix A.2 or A.3.
type initialCase struct {
	name     string
	header   []byte
	payload  []byte
	packet   []byte
	pnOffset int
	pnLen    int
	pn       uint64
	keys     func(client, server *Keys) *Keys
}

func initialCases(t *testing.T, v rfcVector) []initialCase {
	// A.2: the CRYPTO frame padded with PADDING frames to 1162 bytes.
	clientPayload := make([]byte, 1162)
	copy(clientPayload, unhex(t, v.cryptoFrame))
	return []initialCase{{
		name:    "client Initial",
		header:  unhex(t, v.clientHeader),
		payload: clientPayload,
		packet:  unhex(t, v.clientPacket),
		// first byte, version, DCID length and 8-byte DCID, SCID length,
		// token length, 2-byte Length.
		pnOffset: 1 + 4 + 1 + 8 + 1 + 1 + 2,
		pnLen:    4,
		pn:       2,
		keys:     func(c, s *Keys) *Keys { return c },
	}, {
		name:    "server Initial",
		header:  unhex(t, v.serverHeader),
		payload: unhex(t, v.serverPayload),
		packet:  unhex(t, v.serverPacket),
		// first byte, version, empty DCID, SCID length and 8-byte SCID,
		// token length, 2-byte Length.
		pnOffset: 1 + 4 + 1 + 1 + 8 + 1 + 2,
		pnLen:    2,
		pn:       1,
		keys:     func(c, s *Keys) *Keys { return s },
	}}
}

// TestInitialPackets checks Appendix A.2 (Client Initial) and A.3 (Server
// Initial) of RFC 9001 and RFC 9369 in both directions.
func TestInitialPackets(t *testing.T) {
	for _, v := range rfcVectors {
		for _, tc := range initialCases(t, v) {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				if got := len(tc.header); got != tc.pnOffset+tc.pnLen {
					t.Fatalf("header is %d bytes, want %d", got, tc.pnOffset+tc.pnLen)
				}
				// Protect with spare capacity: no reallocation.
				pkt := make([]byte, 0, len(tc.header)+len(tc.payload)+TagLen)
				pkt = append(append(pkt, tc.header...), tc.payload...)
				k := tc.keys(InitialKeys(v.version, sampleDCID))
				got := k.Seal(pkt, tc.pnOffset, tc.pnLen, tc.pn)
				if diff := cmp.Diff(tc.packet, got); diff != "" {
					t.Errorf("Seal mismatch (-want +got):\n%s", diff)
				}
				if &got[0] != &pkt[0] {
					t.Errorf("Seal reallocated despite sufficient capacity")
				}

				// Protect without spare capacity: Seal grows the packet.
				short := append(append([]byte(nil), tc.header...), tc.payload...)
				short = short[:len(short):len(short)]
				got = tc.keys(InitialKeys(v.version, sampleDCID)).Seal(short, tc.pnOffset, tc.pnLen, tc.pn)
				if diff := cmp.Diff(tc.packet, got); diff != "" {
					t.Errorf("Seal without capacity mismatch (-want +got):\n%s", diff)
				}

				// Unprotect, as the peer: fresh keys from the same DCID.
				in := append([]byte(nil), tc.packet...)
				k = tc.keys(InitialKeys(v.version, sampleDCID))
				pnLen, err := k.Header.RemoveHeaderProtection(in, tc.pnOffset)
				if err != nil {
					t.Fatalf("RemoveHeaderProtection: %v", err)
				}
				if pnLen != tc.pnLen {
					t.Errorf("pnLen = %d, want %d", pnLen, tc.pnLen)
				}
				if diff := cmp.Diff(tc.header, in[:tc.pnOffset+pnLen]); diff != "" {
					t.Errorf("unprotected header mismatch (-want +got):\n%s", diff)
				}
				payload, err := k.Packet.Open(in, tc.pnOffset+pnLen, tc.pn)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if diff := cmp.Diff(tc.payload, payload); diff != "" {
					t.Errorf("Open payload mismatch (-want +got):\n%s", diff)
				}
				if &payload[0] != &in[tc.pnOffset+pnLen] {
					t.Errorf("Open payload does not alias the packet")
				}
			})
		}
	}
}

// TestRetryIntegrity checks Appendix A.4 (Retry) of RFC 9001 and RFC 9369,
// and the derivation of the fixed Retry keys (RFC 9001, Section 5.8; RFC
// 9369, Section 3.3.3).
func TestRetryIntegrity(t *testing.T) {
	secrets := map[uint32]string{
		wire.Version1: "d9c9943e6101fd200021506bcc02814c73030f25c79d71ce876eca876e6fca8e",
		wire.Version2: "c4dd2484d681aefa4ff4d69c2c20299984a765a5d3c31982f38fc74162155e9f",
	}
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			retry := unhex(t, v.retry)
			n := len(retry) - TagLen
			tag := RetryIntegrityTag(v.version, sampleDCID, retry[:n])
			if diff := cmp.Diff(retry[n:], tag[:]); diff != "" {
				t.Errorf("RetryIntegrityTag mismatch (-want +got):\n%s", diff)
			}
			if !VerifyRetryIntegrity(v.version, sampleDCID, retry) {
				t.Errorf("VerifyRetryIntegrity(valid Retry) = false")
			}
			for i := range retry {
				bad := append([]byte(nil), retry...)
				bad[i] ^= 0x01
				if VerifyRetryIntegrity(v.version, sampleDCID, bad) {
					t.Errorf("VerifyRetryIntegrity accepts a Retry with byte %d changed", i)
				}
			}
			if VerifyRetryIntegrity(v.version, sampleDCID[1:], retry) {
				t.Errorf("VerifyRetryIntegrity accepts a different original DCID")
			}
			if VerifyRetryIntegrity(v.version, sampleDCID, retry[:TagLen-1]) {
				t.Errorf("VerifyRetryIntegrity accepts a truncated Retry")
			}

			l := labelsFor(v.version)
			secret := unhex(t, secrets[v.version])
			wantKey, wantNonce := retryKeyV1, retryNonceV1
			if v.version == wire.Version2 {
				wantKey, wantNonce = retryKeyV2, retryNonceV2
			}
			if diff := cmp.Diff(wantKey, refExpandLabel(sha256.New, secret, l.key, 16)); diff != "" {
				t.Errorf("Retry key mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantNonce, refExpandLabel(sha256.New, secret, l.iv, 12)); diff != "" {
				t.Errorf("Retry nonce mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChaCha20ShortHeader checks Appendix A.5 (ChaCha20-Poly1305 Short
// Header Packet) of RFC 9001 and RFC 9369 in both directions.
func TestChaCha20ShortHeader(t *testing.T) {
	const (
		pn       = 654360564
		pnOffset = 1 // empty Destination Connection ID
		pnLen    = 3
	)
	for _, v := range rfcVectors {
		t.Run(v.name, func(t *testing.T) {
			secret := unhex(t, v.chachaSecret)
			s, _ := suiteFor(tls.TLS_CHACHA20_POLY1305_SHA256)
			want := material{
				secret: secret,
				key:    unhex(t, v.chachaKey),
				iv:     unhex(t, v.chachaIV),
				hp:     unhex(t, v.chachaHP),
			}
			if diff := cmp.Diff(want, deriveMaterial(s, v.version, secret), cmp.AllowUnexported(material{})); diff != "" {
				t.Errorf("keys mismatch (-want +got):\n%s", diff)
			}

			k, err := NewKeys(tls.TLS_CHACHA20_POLY1305_SHA256, v.version, secret)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(unhex(t, v.chachaKU), k.Next().secret); diff != "" {
				t.Errorf("ku mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(unhex(t, v.chachaNonce), k.Packet.nonceFor(pn)); diff != "" {
				t.Errorf("nonce mismatch (-want +got):\n%s", diff)
			}

			header := unhex(t, v.chachaHeader)
			plaintext := unhex(t, v.chachaPlaintext)
			pkt := append(append([]byte(nil), header...), plaintext...)
			got := k.Seal(pkt, pnOffset, pnLen, pn)
			if diff := cmp.Diff(unhex(t, v.chachaPacket), got); diff != "" {
				t.Errorf("Seal mismatch (-want +got):\n%s", diff)
			}

			k, _ = NewKeys(tls.TLS_CHACHA20_POLY1305_SHA256, v.version, secret)
			in := unhex(t, v.chachaPacket)
			// The largest packet number received before this one.
			gotPN, payload, err := unprotect(k, in, pnOffset, pn-1)
			if err != nil {
				t.Fatalf("unprotect: %v", err)
			}
			if gotPN != pn {
				t.Errorf("packet number = %d, want %d", gotPN, pn)
			}
			if diff := cmp.Diff(header, in[:pnOffset+pnLen]); diff != "" {
				t.Errorf("unprotected header mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(plaintext, payload); diff != "" {
				t.Errorf("Open payload mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

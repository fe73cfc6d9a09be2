package core

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// RFC 9000, Section 8.1: before it validates the client's address, a server
// sends at most three times the bytes it has received. A Handshake packet
// from the client validates the address.

// bigCertChain returns testCert with filler certificates appended to its
// chain, n bytes of extension each, so that the server's first flight is far
// larger than three 1,200-byte datagrams. The client ignores intermediates
// it doesn't need: the leaf is its own root.
func bigCertChain(t *testing.T, fillers, n int) tls.Certificate {
	t.Helper()
	chain := [][]byte{testCert.Certificate[0]}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	for i := range fillers {
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(100 + i)),
			Subject:      pkix.Name{CommonName: "filler"},
			NotBefore:    testStart.Add(-time.Hour),
			NotAfter:     testStart.Add(time.Hour),
			ExtraExtensions: []pkix.Extension{{
				Id:    asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1},
				Value: make([]byte, n),
			}},
		}
		der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, der)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: testCert.PrivateKey}
}

// hasHandshakePacket reports whether datagram d holds a Handshake packet.
// The packet type is not header-protected (RFC 9001, Section 5.4.1).
func hasHandshakePacket(d []byte) bool {
	for len(d) > 0 {
		pkt, rest, err := wire.NextPacket(d, 8)
		if err != nil || pkt[0]&0x80 == 0 {
			return false
		}
		if h, err := wire.ParseLongHeader(pkt); err == nil && h.Type == wire.PacketHandshake {
			return true
		}
		d = rest
	}
	return false
}

func TestAmplificationLimit(t *testing.T) {
	const delay = 20 * time.Millisecond
	for _, tc := range []struct {
		name     string
		bigCert  bool
		dropHS   int     // client datagrams with Handshake packets dropped first
		dropInit int     // client datagrams (Initial) dropped first
		dropSrv  float64 // share of the server's datagrams dropped before validation
		// wantLimited says the server must come within one datagram of the
		// limit: its flight is bigger than the limit allows.
		wantLimited bool
	}{
		{name: "small_flight"},
		{name: "big_flight", bigCert: true, wantLimited: true},
		{name: "big_flight_client_handshake_dropped", bigCert: true, dropHS: 4, wantLimited: true},
		{name: "big_flight_client_initial_dropped", bigCert: true, dropInit: 4, wantLimited: true},
		{name: "big_flight_server_loss", bigCert: true, dropSrv: 0.3, wantLimited: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			serverCfg := &Config{TLS: testTLSConfig(true)}
			if tc.bigCert {
				serverCfg.TLS.Certificates = []tls.Certificate{bigCertChain(t, 4, 2000)}
			}
			// The link only delays, without jitter, so the test knows when
			// each datagram arrives: impairments are done here.
			p := newTestPair(t, 3, linkConfig{delay: delay}, nil, serverCfg)
			type arrival struct {
				at time.Time
				n  int
			}
			var toServer []arrival // passed client datagrams, in order of arrival
			var validatedAt time.Time
			var serverSent, maxSeenSent int
			var peakRatio float64
			dropRNG := newTestPair(t, 77, linkConfig{}, nil, nil).rng
			droppedHS, droppedInit := 0, 0
			p.onDatagram = func(toSrv bool, d []byte) bool {
				if toSrv {
					hs := hasHandshakePacket(d)
					if hs && droppedHS < tc.dropHS {
						droppedHS++
						return false
					}
					if !hs && droppedInit < tc.dropInit {
						droppedInit++
						return false
					}
					at := p.now.Add(delay)
					toServer = append(toServer, arrival{at, len(d)})
					if hs && validatedAt.IsZero() {
						validatedAt = at
					}
					return true
				}
				// A datagram the server sends at or after validatedAt is
				// no longer limited: delivery at an instant comes before
				// sending.
				if !validatedAt.IsZero() && !p.now.Before(validatedAt) {
					return true
				}
				serverSent += len(d)
				received := 0
				for _, a := range toServer {
					if !a.at.After(p.now) {
						received += a.n
					}
				}
				if serverSent > 3*received {
					t.Errorf("at %v the server has sent %d bytes before validation, received %d: more than three times",
						p.now.Sub(testStart), serverSent, received)
				}
				if received > 0 {
					peakRatio = max(peakRatio, float64(serverSent)/float64(received))
				}
				if 3*received-serverSent < minDatagramSize {
					maxSeenSent = serverSent // within a datagram of the limit
				}
				if tc.dropSrv > 0 && dropRNG.Float64() < tc.dropSrv {
					return false
				}
				return true
			}
			p.handshake()
			tr := newTransfer(p, []int{10 << 10}, 1)
			if !p.run(time.Minute, tr.done) {
				t.Fatalf("transfer after handshake did not finish")
			}
			tr.check(t)
			checkOpen(t, p)
			if tc.wantLimited && maxSeenSent == 0 {
				t.Errorf("the server never came within a datagram of the limit (peak ratio %.2f); the test shows nothing", peakRatio)
			}
			if droppedHS < tc.dropHS || droppedInit < tc.dropInit {
				t.Errorf("dropped %d Handshake and %d Initial datagrams of the client; want %d and %d", droppedHS, droppedInit, tc.dropHS, tc.dropInit)
			}
			if !p.server.addressValidated {
				t.Errorf("server never validated the client's address")
			}
			t.Logf("validated at %v, sent %d before, peak ratio %.2f, handshake done at %v",
				validatedAt.Sub(testStart), serverSent, peakRatio, p.now.Sub(testStart))
		})
	}
}

package protect

import (
	"crypto/hmac"
	"encoding/hex"
	"hash"
	"strings"
	"testing"

	"github.com/quince-go/quic/internal/core/wire"
)

// rfcVector holds the sample values of one RFC appendix, in hex.
type rfcVector struct {
	name    string
	version uint32

	initialSecret                                    string
	clientSecret, clientKey, clientIV, clientHP      string
	serverSecret, serverKey, serverIV, serverHP      string
	cryptoFrame, clientHeader, clientPacket          string
	serverPayload, serverHeader, serverPacket, retry string

	chachaSecret, chachaKey, chachaIV, chachaHP, chachaKU string
	chachaNonce, chachaHeader, chachaPlaintext            string
	chachaPacket                                          string
}

// unhex decodes hex, ignoring white space.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// refHkdfLabel builds the HkdfLabel structure of RFC 8446, Section 7.1 with
// an empty context, independently of the package code.
func refHkdfLabel(label string, length int) []byte {
	full := "tls13 " + label
	b := []byte{byte(length >> 8), byte(length), byte(len(full))}
	b = append(b, full...)
	return append(b, 0)
}

// refExpandLabel is HKDF-Expand (RFC 5869, Section 2.3) of refHkdfLabel,
// written out with HMAC so that it shares no code with the package.
func refExpandLabel(h func() hash.Hash, secret []byte, label string, length int) []byte {
	info := refHkdfLabel(label, length)
	var out, prev []byte
	for i := byte(1); len(out) < length; i++ {
		m := hmac.New(h, secret)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{i})
		prev = m.Sum(nil)
		out = append(out, prev...)
	}
	return out[:length]
}

// shortPacket returns an unprotected 1-RTT packet of total size size once
// sealed (so size-TagLen bytes are returned), with an 8-byte Destination
// Connection ID, the given key phase bit and a pnLen-byte packet number
// encoding of pn, and a payload of PING frames (0x01) after a varying
// pattern. The slice has capacity size. It also returns pnOffset.
func shortPacket(size int, keyPhase bool, pn int64, pnLen int) (pkt []byte, pnOffset int) {
	first := byte(0x40) | byte(pnLen-1)
	if keyPhase {
		first |= 0x04
	}
	pkt = make([]byte, 0, size)
	pkt = append(pkt, first)
	pkt = append(pkt, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04)
	pnOffset = len(pkt)
	pkt = wire.AppendPacketNumber(pkt, pn, pnLen)
	for i := 0; len(pkt) < size-TagLen; i++ {
		pkt = append(pkt, byte(i))
	}
	return pkt, pnOffset
}

// unprotect removes header protection, decodes the packet number against
// largest and opens the payload, as a receiver does.
func unprotect(k *Keys, pkt []byte, pnOffset int, largest int64) (pn int64, payload []byte, err error) {
	pnLen, err := k.Header.RemoveHeaderProtection(pkt, pnOffset)
	if err != nil {
		return 0, nil, err
	}
	truncated := wire.ReadTruncatedPacketNumber(pkt[pnOffset:], pnLen)
	pn = wire.DecodePacketNumber(largest, truncated, pnLen)
	payload, err = k.Packet.Open(pkt, pnOffset+pnLen, uint64(pn))
	return pn, payload, err
}

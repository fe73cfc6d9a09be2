package wire

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hdrFuzzConnIDLen is the short-header connection ID length the fuzz target
// assumes this endpoint issues.
const hdrFuzzConnIDLen = 8

// FuzzParseHeader feeds arbitrary datagrams to every header parser. None may
// panic, and whatever ParseLongHeader or ParseVersionNegotiation accepts must
// re-encode to a packet that parses the same.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"c300000001088394c8f03e5157080000449e00000002" + strings.Repeat("00", 1178),
		"d36b3343cf088394c8f03e5157080000449e00000002" + strings.Repeat("00", 1178),
		hdrV1ServerInitial, hdrV2ServerInitial, hdrV1Retry, hdrV2Retry, hdrShortPacket,
		"c00000000008010203040506070804a1b2c3d4000000016b3343cf",   // Version Negotiation
		"c0ff00001d040a0b0c0d00" + strings.Repeat("ff", 20),        // unknown version
		"e00000000100000401020304" + "4108aabbccddeeff0011" + "00", // Handshake then 1-RTT
	} {
		f.Add(hdrHex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, invErr := ParseInvariantHeader(b, hdrFuzzConnIDLen)
		ParseShortHeader(b, hdrFuzzConnIDLen)
		total := 0
		for rest := b; len(rest) > 0; {
			packet, next, err := NextPacket(rest, hdrFuzzConnIDLen)
			if err != nil {
				break
			}
			if len(packet) == 0 || len(packet)+len(next) != len(rest) {
				t.Fatalf("NextPacket(%x) split into %d + %d bytes", rest, len(packet), len(next))
			}
			total += len(packet)
			rest = next
		}
		if total > len(b) {
			t.Fatalf("NextPacket returned %d bytes of %d", total, len(b))
		}
		hdrFuzzVersionNegotiation(t, b)

		h, err := ParseLongHeader(b)
		if err != nil {
			return
		}
		if invErr != nil || !inv.Long || inv.Version != h.Version ||
			!bytes.Equal(inv.DstConnID, h.DstConnID) || !bytes.Equal(inv.SrcConnID, h.SrcConnID) {
			t.Fatalf("ParseInvariantHeader = %+v, %v disagrees with ParseLongHeader = %+v", inv, invErr, h)
		}
		if h.PacketLen > len(b) || h.PacketNumberOffset+int(h.Length) > len(b) {
			t.Fatalf("ParseLongHeader(%x) = %+v runs past the input", b, h)
		}
		if packet, _, err := NextPacket(b, hdrFuzzConnIDLen); err != nil || len(packet) != h.PacketLen {
			t.Fatalf("NextPacket = %d bytes, %v; ParseLongHeader PacketLen %d", len(packet), err, h.PacketLen)
		}

		var re []byte
		want := h
		if h.Type == PacketRetry {
			re = AppendRetry(nil, h.Version, h.DstConnID, h.SrcConnID, h.RetryToken)
			re = append(re, h.RetryIntegrityTag...)
			want.PacketLen = len(re)
		} else {
			pnLen := LongHeaderPacketNumberLen(b[0])
			if h.Length < uint64(pnLen) || h.Length > MaxLongHeaderLength {
				return // AppendLongHeader cannot express this packet
			}
			var lengthOffset int
			re, lengthOffset, want.PacketNumberOffset = AppendLongHeader(nil, LongHeaderFields{
				Type: h.Type, Version: h.Version, DstConnID: h.DstConnID, SrcConnID: h.SrcConnID,
				Token: h.Token, PacketNumber: ReadTruncatedPacketNumber(b[h.PacketNumberOffset:], pnLen),
				PacketNumberLen: pnLen,
			})
			re = append(re, b[h.PacketNumberOffset+pnLen:h.PacketLen]...)
			PutLongHeaderLength(re, lengthOffset, int(h.Length))
			want.PacketLen = len(re)
			if got := re[want.PacketNumberOffset:][:pnLen]; !bytes.Equal(got, b[h.PacketNumberOffset:][:pnLen]) {
				t.Fatalf("packet number re-encoded as %x; want %x", got, b[h.PacketNumberOffset:][:pnLen])
			}
			// Only the reserved bits, which AppendLongHeader clears, may differ.
			if re[0] != b[0]&^longReservedBits {
				t.Fatalf("first byte re-encoded as %#x; want %#x", re[0], b[0]&^longReservedBits)
			}
		}
		got, err := ParseLongHeader(re)
		if err != nil {
			t.Fatalf("ParseLongHeader(re-encoded %x): %v\noriginal %x", re, err, b)
		}
		if diff := cmp.Diff(want, got, hdrCmpOpts); diff != "" {
			t.Fatalf("re-encoded header differs (-want +got):\n%s\noriginal %x\nre-encoded %x", diff, b, re)
		}
	})
}

// hdrFuzzVersionNegotiation checks that an accepted Version Negotiation
// packet round-trips through AppendVersionNegotiation.
func hdrFuzzVersionNegotiation(t *testing.T, b []byte) {
	dst, src, list, err := ParseVersionNegotiation(b)
	if err != nil {
		return
	}
	versions := slices.Collect(EachVersion(list))
	if len(versions)*4 != len(list) || len(versions) == 0 {
		t.Fatalf("EachVersion yielded %d versions from %d bytes", len(versions), len(list))
	}
	re := AppendVersionNegotiation(nil, dst, src, versions)
	if !bytes.Equal(re[1:], b[1:]) {
		t.Fatalf("Version Negotiation re-encoded as %s; want %s", hex.EncodeToString(re), hex.EncodeToString(b))
	}
}

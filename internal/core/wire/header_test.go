package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// hdrHex decodes hex that may contain spaces and newlines, as the RFCs print it.
func hdrHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// Packets from RFC 9001, Appendix A and RFC 9369, Appendix A.
const (
	hdrClientDCID = "8394c8f03e515708"
	hdrServerSCID = "f067a5502a4262b5"

	hdrV1ServerInitial = `
cf000000010008f067a5502a4262b500 4075c0d95a482cd0991cd25b0aac406a
5816b6394100f37a1c69797554780bb3 8cc5a99f5ede4cf73c3ec2493a1839b3
dbcba3f6ea46c5b7684df3548e7ddeb9 c3bf9c73cc3f3bded74b562bfb19fb84
022f8ef4cdd93795d77d06edbb7aaf2f 58891850abbdca3d20398c276456cbc4
2158407dd074ee`
	hdrV2ServerInitial = `
dc6b3343cf0008f067a5502a4262b500 4075d92faaf16f05d8a4398c47089698
baeea26b91eb761d9b89237bbf872630 17915358230035f7fd3945d88965cf17
f9af6e16886c61bfc703106fbaf3cb4c fa52382dd16a393e42757507698075b2
c984c707f0a0812d8cd5a6881eaf21ce da98f4bd23f6fe1a3e2c43edd9ce7ca8
4bed8521e2e140`
	hdrV1Retry = `ff000000010008f067a5502a4262b574 6f6b656e04a265ba2eff4d829058fb3f 0f2496ba`
	hdrV2Retry = `cf6b3343cf0008f067a5502a4262b574 6f6b656ec8646ce8bfe33952d9555436 65dcc7b6`
	// RFC 9001, Appendix A.5: protected ChaCha20-Poly1305 1-RTT packet.
	hdrShortPacket = "4cfe4189655e5cd55c41f69080575d7999c25a5bfb"
)

// hdrPad returns header followed by zeros up to n bytes.
func hdrPad(header []byte, n int) []byte {
	return append(slices.Clip(header), make([]byte, n-len(header))...)
}

var hdrCmpOpts = cmpopts.EquateEmpty()

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		v                   uint32
		supported, reserved bool
	}{
		{Version1, true, false},
		{Version2, true, false},
		{0, false, false},
		{0xff00001d, false, false}, // draft-29
		{0x0a0a0a0a, false, true},
		{0x1a2a3a4a, false, true},
		{0xfafafafa, false, true},
		{0x0a0a0a0b, false, false},
	} {
		if got := IsSupportedVersion(tc.v); got != tc.supported {
			t.Errorf("IsSupportedVersion(%#x) = %v", tc.v, got)
		}
		if got := IsReservedVersion(tc.v); got != tc.reserved {
			t.Errorf("IsReservedVersion(%#x) = %v", tc.v, got)
		}
	}
}

func TestPacketTypeString(t *testing.T) {
	for typ, want := range map[PacketType]string{
		0: "PacketType(0)", PacketInitial: "Initial", Packet0RTT: "0-RTT",
		PacketHandshake: "Handshake", PacketRetry: "Retry",
		PacketVersionNegotiation: "Version Negotiation", Packet1RTT: "1-RTT", 7: "PacketType(7)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("PacketType(%d).String() = %q; want %q", typ, got, want)
		}
	}
}

func TestRFCLongHeaders(t *testing.T) {
	// RFC 9001, Appendix A.2 and A.3 and RFC 9369, Appendix A.2 and A.3:
	// the unprotected headers, through the packet number, padded to the
	// datagram length their Length field announces.
	for _, tc := range []struct {
		name   string
		packet []byte
		want   LongHeader
	}{{
		name:   "v1 client Initial",
		packet: hdrPad(hdrHex(t, "c300000001088394c8f03e5157080000449e00000002"), 1200),
		want: LongHeader{Type: PacketInitial, Version: Version1, DstConnID: hdrHex(t, hdrClientDCID),
			PacketNumberOffset: 18, Length: 1182, PacketLen: 1200},
	}, {
		name:   "v2 client Initial",
		packet: hdrPad(hdrHex(t, "d36b3343cf088394c8f03e5157080000449e00000002"), 1200),
		want: LongHeader{Type: PacketInitial, Version: Version2, DstConnID: hdrHex(t, hdrClientDCID),
			PacketNumberOffset: 18, Length: 1182, PacketLen: 1200},
	}, {
		name:   "v1 server Initial",
		packet: hdrHex(t, hdrV1ServerInitial),
		want: LongHeader{Type: PacketInitial, Version: Version1, SrcConnID: hdrHex(t, hdrServerSCID),
			PacketNumberOffset: 18, Length: 117, PacketLen: 135},
	}, {
		name:   "v2 server Initial",
		packet: hdrHex(t, hdrV2ServerInitial),
		want: LongHeader{Type: PacketInitial, Version: Version2, SrcConnID: hdrHex(t, hdrServerSCID),
			PacketNumberOffset: 18, Length: 117, PacketLen: 135},
	}, {
		name:   "v1 Retry",
		packet: hdrHex(t, hdrV1Retry),
		want: LongHeader{Type: PacketRetry, Version: Version1, SrcConnID: hdrHex(t, hdrServerSCID),
			PacketLen: 36, RetryToken: []byte("token"),
			RetryIntegrityTag: hdrHex(t, "04a265ba2eff4d829058fb3f0f2496ba")},
	}, {
		name:   "v2 Retry",
		packet: hdrHex(t, hdrV2Retry),
		want: LongHeader{Type: PacketRetry, Version: Version2, SrcConnID: hdrHex(t, hdrServerSCID),
			PacketLen: 36, RetryToken: []byte("token"),
			RetryIntegrityTag: hdrHex(t, "c8646ce8bfe33952d955543665dcc7b6")},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLongHeader(tc.packet)
			if err != nil {
				t.Fatalf("ParseLongHeader: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, hdrCmpOpts); diff != "" {
				t.Errorf("ParseLongHeader mismatch (-want +got):\n%s", diff)
			}
			inv, err := ParseInvariantHeader(tc.packet, 8)
			if err != nil {
				t.Fatalf("ParseInvariantHeader: %v", err)
			}
			wantInv := InvariantHeader{Long: true, Version: tc.want.Version,
				DstConnID: tc.want.DstConnID, SrcConnID: tc.want.SrcConnID}
			if diff := cmp.Diff(wantInv, inv, hdrCmpOpts); diff != "" {
				t.Errorf("ParseInvariantHeader mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRFCAppendHeaders(t *testing.T) {
	// The same RFC headers, written by AppendLongHeader and AppendRetry.
	dcid, scid := hdrHex(t, hdrClientDCID), hdrHex(t, hdrServerSCID)
	for _, tc := range []struct {
		f      LongHeaderFields
		length int
		want   string
	}{
		{LongHeaderFields{Type: PacketInitial, Version: Version1, DstConnID: dcid, PacketNumber: 2, PacketNumberLen: 4},
			1182, "c300000001088394c8f03e5157080000449e00000002"},
		{LongHeaderFields{Type: PacketInitial, Version: Version2, DstConnID: dcid, PacketNumber: 2, PacketNumberLen: 4},
			1182, "d36b3343cf088394c8f03e5157080000449e00000002"},
		{LongHeaderFields{Type: PacketInitial, Version: Version1, SrcConnID: scid, PacketNumber: 1, PacketNumberLen: 2},
			117, "c1000000010008f067a5502a4262b50040750001"},
		{LongHeaderFields{Type: PacketInitial, Version: Version2, SrcConnID: scid, PacketNumber: 1, PacketNumberLen: 2},
			117, "d16b3343cf0008f067a5502a4262b50040750001"},
	} {
		out, lengthOffset, pnOffset := AppendLongHeader([]byte("prefix"), tc.f)
		PutLongHeaderLength(out, lengthOffset, tc.length)
		if got := hex.EncodeToString(out[len("prefix"):]); got != tc.want {
			t.Errorf("AppendLongHeader(%+v) = %s; want %s", tc.f, got, tc.want)
		}
		if want := len(out) - tc.f.PacketNumberLen; pnOffset != want {
			t.Errorf("AppendLongHeader(%+v) pnOffset = %d; want %d", tc.f, pnOffset, want)
		}
	}
	for _, tc := range []struct {
		version uint32
		packet  string
	}{{Version1, hdrV1Retry}, {Version2, hdrV2Retry}} {
		want := hdrHex(t, tc.packet)
		got := AppendRetry(nil, tc.version, nil, scid, []byte("token"))
		got = append(got, want[len(want)-RetryIntegrityTagLen:]...)
		// The RFC examples set the Unused bits, which AppendRetry leaves zero.
		if got[0] != want[0]&0xf0 || !bytes.Equal(got[1:], want[1:]) {
			t.Errorf("AppendRetry(%#x) = %x; want %x with Unused bits cleared", tc.version, got, want)
		}
	}
	// RFC 9001, Appendix A.5.
	got, pnOffset := AppendShortHeader(nil, nil, 654360564, 3, false, false)
	if hex.EncodeToString(got) != "4200bff4" || pnOffset != 1 {
		t.Errorf("AppendShortHeader = %x, %d; want 4200bff4, 1", got, pnOffset)
	}
}

func TestLongHeaderRoundTrip(t *testing.T) {
	cid20 := bytes.Repeat([]byte{0xcd}, 20)
	token := bytes.Repeat([]byte{0x7e}, 100) // 2-byte Token Length
	for _, version := range []uint32{Version1, Version2} {
		for _, tc := range []struct {
			typ       PacketType
			firstByte byte // for version 1, packet number length 1
			dst, src  []byte
			token     []byte
			payload   int
		}{
			{PacketInitial, 0xc0, []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil, nil, 1200},
			{PacketInitial, 0xc0, cid20, cid20, token, 40},
			{PacketInitial, 0xc0, nil, nil, []byte{1}, 0},
			{Packet0RTT, 0xd0, []byte{9}, []byte{1, 2, 3, 4}, nil, 500},
			{PacketHandshake, 0xe0, cid20, nil, nil, MaxLongHeaderLength - 4},
		} {
			for pnLen := 1; pnLen <= 4; pnLen++ {
				f := LongHeaderFields{Type: tc.typ, Version: version, DstConnID: tc.dst, SrcConnID: tc.src,
					Token: tc.token, PacketNumber: 0x12345678, PacketNumberLen: pnLen}
				b, lengthOffset, pnOffset := AppendLongHeader(nil, f)
				b = append(b, make([]byte, tc.payload)...)
				length := pnLen + tc.payload
				PutLongHeaderLength(b, lengthOffset, length)

				wantFirst := tc.firstByte | byte(pnLen-1)
				if version == Version2 {
					// RFC 9369, Section 3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11.
					wantFirst = 0xc0 | (tc.firstByte+0x10)&0x30 | byte(pnLen-1)
				}
				if b[0] != wantFirst {
					t.Errorf("%v %#x pnLen %d: first byte %#x; want %#x", tc.typ, version, pnLen, b[0], wantFirst)
				}
				if got := LongHeaderPacketNumberLen(b[0]); got != pnLen {
					t.Errorf("LongHeaderPacketNumberLen(%#x) = %d; want %d", b[0], got, pnLen)
				}
				if err := CheckLongHeaderReservedBits(b[0]); err != nil {
					t.Errorf("CheckLongHeaderReservedBits(%#x) = %v", b[0], err)
				}
				want := LongHeader{Type: tc.typ, Version: version, DstConnID: tc.dst, SrcConnID: tc.src,
					PacketNumberOffset: pnOffset, Length: uint64(length), PacketLen: len(b)}
				if tc.typ == PacketInitial {
					want.Token = tc.token
				}
				got, err := ParseLongHeader(b)
				if err != nil {
					t.Fatalf("ParseLongHeader(%v, %#x): %v", tc.typ, version, err)
				}
				if diff := cmp.Diff(want, got, hdrCmpOpts); diff != "" {
					t.Errorf("%v %#x pnLen %d: mismatch (-want +got):\n%s", tc.typ, version, pnLen, diff)
				}
				pn := ReadTruncatedPacketNumber(b[got.PacketNumberOffset:], pnLen)
				if want := int64(0x12345678) & (1<<(8*pnLen) - 1); pn != want {
					t.Errorf("packet number %#x; want %#x", pn, want)
				}
			}
		}
	}
}

func TestRetryRoundTrip(t *testing.T) {
	tag := bytes.Repeat([]byte{0xaa}, RetryIntegrityTagLen)
	for _, version := range []uint32{Version1, Version2} {
		for _, token := range [][]byte{{1}, bytes.Repeat([]byte{2}, 300)} {
			b := AppendRetry(nil, version, []byte{1, 2, 3}, bytes.Repeat([]byte{4}, 20), token)
			b = append(b, tag...)
			want := LongHeader{Type: PacketRetry, Version: version, DstConnID: []byte{1, 2, 3},
				SrcConnID: bytes.Repeat([]byte{4}, 20), PacketLen: len(b), RetryToken: token, RetryIntegrityTag: tag}
			got, err := ParseLongHeader(b)
			if err != nil {
				t.Fatalf("ParseLongHeader: %v", err)
			}
			if diff := cmp.Diff(want, got, hdrCmpOpts); diff != "" {
				t.Errorf("Retry %#x mismatch (-want +got):\n%s", version, diff)
			}
		}
	}
}

func TestVersionNegotiationRoundTrip(t *testing.T) {
	long := bytes.Repeat([]byte{0x55}, 255)
	for _, tc := range []struct {
		dst, src []byte
		versions []uint32
	}{
		{[]byte{1, 2}, []byte{3, 4, 5, 6, 7, 8, 9, 10}, []uint32{Version1}},
		{nil, nil, []uint32{Version2, Version1, 0x1a2a3a4a}},
		// A server echoes connection IDs of unknown versions, up to 255 bytes.
		{long, long, []uint32{Version1}},
	} {
		b := AppendVersionNegotiation(nil, tc.dst, tc.src, tc.versions)
		if b[0] != 0xc0 {
			t.Errorf("first byte %#x; want 0xc0", b[0])
		}
		dst, src, list, err := ParseVersionNegotiation(b)
		if err != nil {
			t.Fatalf("ParseVersionNegotiation: %v", err)
		}
		got := slices.Collect(EachVersion(list))
		if diff := cmp.Diff([][]byte{tc.dst, tc.src}, [][]byte{dst, src}, hdrCmpOpts); diff != "" {
			t.Errorf("connection IDs mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(tc.versions, got); diff != "" {
			t.Errorf("versions mismatch (-want +got):\n%s", diff)
		}
		for _, v := range tc.versions {
			if !ContainsVersion(list, v) {
				t.Errorf("ContainsVersion(%#x) = false", v)
			}
		}
		if ContainsVersion(list, 0x0a0a0a0a) {
			t.Errorf("ContainsVersion(0x0a0a0a0a) = true")
		}
		inv, err := ParseInvariantHeader(b, 0)
		if err != nil || !inv.Long || inv.Version != 0 {
			t.Errorf("ParseInvariantHeader(VN) = %+v, %v", inv, err)
		}
		if _, err := ParseLongHeader(b); !errors.Is(err, ErrMalformedHeader) {
			t.Errorf("ParseLongHeader(VN) = %v; want ErrMalformedHeader", err)
		}
	}
	// Iteration stops when asked to.
	for v := range EachVersion(AppendVersionNegotiation(nil, nil, nil, []uint32{1, 2})[7:]) {
		if v != 1 {
			t.Errorf("EachVersion yielded %#x first", v)
		}
		break
	}
}

func TestShortHeaderRoundTrip(t *testing.T) {
	for _, cid := range [][]byte{nil, {1, 2, 3, 4}, bytes.Repeat([]byte{9}, 20)} {
		for pnLen := 1; pnLen <= 4; pnLen++ {
			for _, bits := range []struct{ keyPhase, spin bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
				b, pnOffset := AppendShortHeader(nil, cid, 0xabcdef12, pnLen, bits.keyPhase, bits.spin)
				b = append(b, 0x01)
				if b[0]&0xc0 != 0x40 {
					t.Errorf("first byte %#x lacks fixed bit or has form bit", b[0])
				}
				if err := CheckShortHeaderReservedBits(b[0]); err != nil {
					t.Errorf("CheckShortHeaderReservedBits(%#x) = %v", b[0], err)
				}
				if ShortHeaderKeyPhase(b[0]) != bits.keyPhase || ShortHeaderSpinBit(b[0]) != bits.spin ||
					ShortHeaderPacketNumberLen(b[0]) != pnLen {
					t.Errorf("first byte %#x: want key phase %v, spin %v, pnLen %d", b[0], bits.keyPhase, bits.spin, pnLen)
				}
				dst, gotOffset, err := ParseShortHeader(b, len(cid))
				if err != nil {
					t.Fatalf("ParseShortHeader: %v", err)
				}
				if !bytes.Equal(dst, cid) || gotOffset != pnOffset || pnOffset != 1+len(cid) {
					t.Errorf("ParseShortHeader = %x, %d; want %x, %d", dst, gotOffset, cid, pnOffset)
				}
				inv, err := ParseInvariantHeader(b, len(cid))
				if diff := cmp.Diff(InvariantHeader{DstConnID: cid}, inv, hdrCmpOpts); err != nil || diff != "" {
					t.Errorf("ParseInvariantHeader: %v (-want +got):\n%s", err, diff)
				}
			}
		}
	}
	// RFC 9001, Appendix A.5: the unprotected first byte 0x42 and the
	// protected packet with an empty connection ID.
	if ShortHeaderPacketNumberLen(0x42) != 3 || ShortHeaderKeyPhase(0x42) || CheckShortHeaderReservedBits(0x42) != nil {
		t.Errorf("first byte 0x42 misread")
	}
	if dst, pnOffset, err := ParseShortHeader(hdrHex(t, hdrShortPacket), 0); err != nil || len(dst) != 0 || pnOffset != 1 {
		t.Errorf("ParseShortHeader(A.5) = %x, %d, %v", dst, pnOffset, err)
	}
}

func TestReservedBits(t *testing.T) {
	for _, tc := range []struct {
		firstByte   byte
		long, short bool // whether the check passes
	}{
		{0xc3, true, true}, // 0xc3 as a short header byte has no reserved bits either
		{0xc4, false, true},
		{0xc8, false, false},
		{0x43, true, true},
		{0x47, false, true}, // key phase for short, reserved for long
		{0x48, false, false},
		{0x50, true, false},
		{0x7f, false, false},
	} {
		errL := CheckLongHeaderReservedBits(tc.firstByte)
		errS := CheckShortHeaderReservedBits(tc.firstByte)
		if (errL == nil) != tc.long || (errS == nil) != tc.short {
			t.Errorf("%#x: long %v, short %v; want ok=%v, %v", tc.firstByte, errL, errS, tc.long, tc.short)
		}
		for _, err := range []error{errL, errS} {
			if err != nil && !errors.Is(err, &TransportError{Code: ProtocolViolation}) {
				t.Errorf("%#x: %v is not PROTOCOL_VIOLATION", tc.firstByte, err)
			}
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	v1 := "00000001"
	cid21 := "15" + strings.Repeat("ab", 21)
	tag := strings.Repeat("ee", 16)
	for _, tc := range []struct {
		name   string
		packet string
		want   error
	}{
		{"empty", "", ErrMalformedHeader},
		{"short header", "40" + strings.Repeat("00", 30), ErrMalformedHeader},
		{"Version Negotiation", "c0000000000000" + v1, ErrMalformedHeader},
		{"unknown version", "c0ff00001d0000" + strings.Repeat("00", 30), ErrUnsupportedVersion},
		{"reserved version", "c00a1a2a3a0000" + strings.Repeat("00", 30), ErrUnsupportedVersion},
		{"fixed bit zero", "80" + v1 + "0000" + "00" + "01" + "00", ErrMalformedHeader},
		{"DCID 21 bytes", "c0" + v1 + cid21 + "00" + "00" + "01" + "00", ErrMalformedHeader},
		{"SCID 21 bytes", "c0" + v1 + "00" + cid21 + "00" + "01" + "00", ErrMalformedHeader},
		{"Length beyond datagram", "e0" + v1 + "0000" + "05" + "00000000", ErrMalformedHeader},
		{"huge Length", "e0" + v1 + "0000" + "c0ffffffffffffff" + "00", ErrMalformedHeader},
		{"huge Token Length", "c0" + v1 + "0000" + "c0ffffffffffffff" + "00", ErrMalformedHeader},
		{"Retry without token", "f0" + v1 + "0000" + tag, ErrMalformedHeader},
		{"Retry without tag", "f0" + v1 + "0000" + "01" + tag[2:], ErrMalformedHeader},
		{"v2 Retry without token", "c0" + "6b3343cf" + "0000" + tag, ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := hdrHex(t, tc.packet)
			if _, err := ParseLongHeader(b); !errors.Is(err, tc.want) {
				t.Errorf("ParseLongHeader(%x) = %v; want %v", b, err, tc.want)
			}
		})
	}
	// ParseShortHeader rejects long headers, a zero fixed bit and negative
	// connection ID lengths.
	for _, b := range []string{"", "c000000001", "00" + strings.Repeat("00", 10)} {
		if _, _, err := ParseShortHeader(hdrHex(t, b), 0); !errors.Is(err, ErrMalformedHeader) {
			t.Errorf("ParseShortHeader(%s) = %v; want ErrMalformedHeader", b, err)
		}
	}
	for _, f := range []func() error{
		func() error { _, _, err := ParseShortHeader([]byte{0x40, 0, 0}, -1); return err },
		func() error { _, err := ParseInvariantHeader([]byte{0x40, 0, 0}, -1); return err },
		func() error { _, _, err := NextPacket([]byte{0x40, 0, 0}, -1); return err },
	} {
		if err := f(); !errors.Is(err, ErrMalformedHeader) {
			t.Errorf("negative connection ID length: %v; want ErrMalformedHeader", err)
		}
	}
	// For the known versions, connection IDs are limited to 20 bytes even for
	// routing; other versions may use up to 255.
	if _, err := ParseInvariantHeader(hdrHex(t, "c0"+v1+cid21+"00"), 0); !errors.Is(err, ErrMalformedHeader) {
		t.Errorf("ParseInvariantHeader(v1, 21-byte DCID) = %v", err)
	}
	unknown := hdrHex(t, "c0ff00001d"+cid21+cid21)
	if h, err := ParseInvariantHeader(unknown, 0); err != nil || len(h.DstConnID) != 21 || len(h.SrcConnID) != 21 {
		t.Errorf("ParseInvariantHeader(unknown version, 21-byte IDs) = %+v, %v", h, err)
	}
	// A Version Negotiation packet with no or a truncated version is ignored
	// (RFC 8999, Section 6).
	for _, b := range []string{"c0000000000000", "c0000000000000000001", "c0000000000000" + v1 + "00", "c0" + v1 + "0000" + v1} {
		if _, _, _, err := ParseVersionNegotiation(hdrHex(t, b)); !errors.Is(err, ErrMalformedHeader) {
			t.Errorf("ParseVersionNegotiation(%s) = %v; want ErrMalformedHeader", b, err)
		}
	}
	if ErrUnsupportedVersion.Error() == "" || errHdrTruncated.Error() == "" {
		t.Errorf("empty error text")
	}
}

func TestHeaderTruncation(t *testing.T) {
	// Every proper prefix of a complete long-header packet is rejected, either
	// inside the header or because Length runs past it.
	long := [][]byte{
		hdrHex(t, hdrV1ServerInitial),
		hdrHex(t, hdrV2ServerInitial),
		hdrPad(hdrHex(t, "c300000001088394c8f03e5157080000449e00000002"), 1200),
	}
	for _, version := range []uint32{Version1, Version2} {
		for _, typ := range []PacketType{PacketInitial, Packet0RTT, PacketHandshake} {
			b, lengthOffset, _ := AppendLongHeader(nil, LongHeaderFields{Type: typ, Version: version,
				DstConnID: []byte{1, 2, 3}, SrcConnID: []byte{4, 5}, Token: []byte{6, 7}, PacketNumberLen: 2})
			b = append(b, 0, 0, 0)
			PutLongHeaderLength(b, lengthOffset, 5)
			long = append(long, b)
		}
	}
	for _, b := range long {
		for i := range len(b) {
			if h, err := ParseLongHeader(b[:i]); err == nil {
				t.Errorf("ParseLongHeader(%x) accepted a %d-byte prefix of a %d-byte packet: %+v", b[:8], i, len(b), h)
			}
			if _, _, err := NextPacket(b[:i], 0); err == nil {
				t.Errorf("NextPacket accepted a %d-byte prefix of a %d-byte packet", i, len(b))
			}
		}
		if _, err := ParseLongHeader(b); err != nil {
			t.Errorf("ParseLongHeader(%x...): %v", b[:8], err)
		}
	}
	// A Retry packet has no Length: any prefix that still holds the fixed
	// header, a token and the tag is a valid, shorter Retry.
	for _, s := range []string{hdrV1Retry, hdrV2Retry} {
		b := hdrHex(t, s)
		headerLen := 1 + 4 + 1 + 0 + 1 + 8
		for i := range len(b) {
			_, err := ParseLongHeader(b[:i])
			if ok := i > headerLen+RetryIntegrityTagLen; ok != (err == nil) {
				t.Errorf("ParseLongHeader(Retry[:%d]) = %v", i, err)
			}
		}
	}
	// The invariant header ends after the Source Connection ID.
	inv := hdrHex(t, "c0ff00001d"+"03aabbcc"+"02ddee")
	for i := range len(inv) {
		if _, err := ParseInvariantHeader(inv[:i], 0); err == nil {
			t.Errorf("ParseInvariantHeader accepted a %d-byte prefix", i)
		}
		if _, _, _, err := ParseVersionNegotiation(inv[:i]); err == nil {
			t.Errorf("ParseVersionNegotiation accepted a %d-byte prefix", i)
		}
	}
	vn := AppendVersionNegotiation(nil, []byte{1, 2, 3}, []byte{4}, []uint32{Version1, Version2})
	for i := range len(vn) {
		_, _, _, err := ParseVersionNegotiation(vn[:i])
		if ok := i >= 1+4+1+3+1+1+4 && (i-11)%4 == 0; ok != (err == nil) {
			t.Errorf("ParseVersionNegotiation(vn[:%d]) = %v", i, err)
		}
	}
	short := []byte{0x41, 1, 2, 3, 4, 5, 6, 7, 8}
	for i := range 9 {
		if _, _, err := ParseShortHeader(short[:i], 8); err == nil {
			t.Errorf("ParseShortHeader accepted a %d-byte prefix", i)
		}
		if _, err := ParseInvariantHeader(short[:i], 8); err == nil {
			t.Errorf("ParseInvariantHeader accepted a %d-byte short prefix", i)
		}
	}
}

func TestNextPacket(t *testing.T) {
	dcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	scid := []byte{9, 10, 11, 12}
	appendLong := func(b []byte, version uint32, typ PacketType, payload int) []byte {
		b, lengthOffset, _ := AppendLongHeader(b, LongHeaderFields{Type: typ, Version: version,
			DstConnID: dcid, SrcConnID: scid, PacketNumber: 7, PacketNumberLen: 2})
		b = append(b, bytes.Repeat([]byte{byte(typ)}, payload)...)
		PutLongHeaderLength(b, lengthOffset, 2+payload)
		return b
	}
	for _, version := range []uint32{Version1, Version2} {
		// RFC 9000, Section 12.2: Initial, 0-RTT, Handshake, then a 1-RTT
		// packet that takes the rest of the datagram.
		var d []byte
		d = appendLong(d, version, PacketInitial, 1000)
		d = appendLong(d, version, Packet0RTT, 17)
		d = appendLong(d, version, PacketHandshake, 0)
		d, _ = AppendShortHeader(d, dcid, 8, 1, false, false)
		d = append(d, 1, 2, 3, 4, 5)

		var got []PacketType
		var lens []int
		for rest := d; len(rest) > 0; {
			packet, next, err := NextPacket(rest, len(dcid))
			if err != nil {
				t.Fatalf("NextPacket: %v", err)
			}
			if cap(packet) != len(packet) {
				t.Errorf("packet capacity %d exceeds its length %d", cap(packet), len(packet))
			}
			if len(packet)+len(next) != len(rest) {
				t.Fatalf("NextPacket lost bytes: %d + %d != %d", len(packet), len(next), len(rest))
			}
			typ := Packet1RTT
			if packet[0]&0x80 != 0 {
				h, err := ParseLongHeader(packet)
				if err != nil {
					t.Fatalf("ParseLongHeader: %v", err)
				}
				typ = h.Type
			} else if dst, _, err := ParseShortHeader(packet, len(dcid)); err != nil || !bytes.Equal(dst, dcid) {
				t.Errorf("ParseShortHeader = %x, %v", dst, err)
			}
			got = append(got, typ)
			lens = append(lens, len(packet))
			rest = next
		}
		want := []PacketType{PacketInitial, Packet0RTT, PacketHandshake, Packet1RTT}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%#x: packet types (-want +got):\n%s", version, diff)
		}
		headerLen := 1 + 4 + 1 + 8 + 1 + 4 + 2 + 2
		if diff := cmp.Diff([]int{headerLen + 1 + 1000, headerLen + 17, headerLen, 1 + 8 + 1 + 5}, lens); diff != "" {
			t.Errorf("%#x: packet lengths (-want +got):\n%s", version, diff)
		}
	}

	// Packets without a Length field take the whole datagram.
	retry := hdrHex(t, hdrV1Retry)
	vn := AppendVersionNegotiation(nil, dcid, scid, []uint32{Version1})
	unknown := hdrHex(t, "c0ff00001d"+"03aabbcc"+"00"+"0102030405")
	for _, d := range [][]byte{retry, vn, unknown} {
		packet, rest, err := NextPacket(d, 0)
		if err != nil || len(packet) != len(d) || len(rest) != 0 {
			t.Errorf("NextPacket(%x) = %d bytes, %d rest, %v; want the whole datagram", d, len(packet), len(rest), err)
		}
	}
	// A bad packet stops the split: what follows cannot be located.
	bad := appendLong(nil, Version1, PacketHandshake, 10)
	bad = bad[:len(bad)-1]
	if _, _, err := NextPacket(bad, 0); !errors.Is(err, ErrMalformedHeader) {
		t.Errorf("NextPacket(Length beyond datagram) = %v", err)
	}
	if _, _, err := NextPacket(nil, 0); !errors.Is(err, ErrMalformedHeader) {
		t.Errorf("NextPacket(empty) = %v", err)
	}
}

func TestHeaderParsersDoNotAllocate(t *testing.T) {
	var d []byte
	d, lengthOffset, _ := AppendLongHeader(d, LongHeaderFields{Type: PacketInitial, Version: Version1,
		DstConnID: []byte{1, 2, 3, 4, 5, 6, 7, 8}, SrcConnID: []byte{1}, Token: []byte("tok"), PacketNumberLen: 4})
	d = append(d, make([]byte, 1100)...)
	PutLongHeaderLength(d, lengthOffset, 1104)
	shortStart := len(d)
	d, _ = AppendShortHeader(d, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, false, false)
	d = append(d, make([]byte, 30)...)
	vn := AppendVersionNegotiation(nil, []byte{1}, []byte{2}, []uint32{Version1, Version2})
	garbage := []byte{0xc0, 0, 0, 0, 1, 30}
	// The inputs parse, so the success paths are the ones measured.
	if _, err := ParseLongHeader(d); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseShortHeader(d[shortStart:], 8); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ParseVersionNegotiation(vn); err != nil {
		t.Fatal(err)
	}
	if p, rest, err := NextPacket(d, 8); err != nil || len(p) != shortStart || len(rest) != len(d)-shortStart {
		t.Fatalf("NextPacket = %d, %d, %v", len(p), len(rest), err)
	}

	var sink int
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"ParseInvariantHeader", func() {
			h, _ := ParseInvariantHeader(d, 8)
			h2, _ := ParseInvariantHeader(d[shortStart:], 8)
			sink += len(h.DstConnID) + len(h2.DstConnID)
		}},
		{"ParseLongHeader", func() {
			h, _ := ParseLongHeader(d)
			sink += h.PacketLen
		}},
		{"NextPacket", func() {
			for rest := d; len(rest) > 0; {
				p, next, err := NextPacket(rest, 8)
				if err != nil {
					break
				}
				sink += len(p)
				rest = next
			}
		}},
		{"ParseShortHeader", func() {
			dst, n, err := ParseShortHeader(d[shortStart:], 8)
			if err == nil {
				sink += len(dst) + n
			}
		}},
		{"ParseVersionNegotiation", func() {
			_, _, list, _ := ParseVersionNegotiation(vn)
			for v := range EachVersion(list) {
				sink += int(v)
			}
		}},
		{"errors", func() {
			_, err1 := ParseLongHeader(garbage)
			_, err2 := ParseInvariantHeader(garbage, 8)
			_, _, err3 := NextPacket(garbage, 8)
			if err1 != nil && err2 != nil && err3 != nil {
				sink++
			}
		}},
	} {
		if n := testing.AllocsPerRun(100, tc.f); n != 0 {
			t.Errorf("%s: %v allocations per run; want 0", tc.name, n)
		}
	}
	if sink == 0 {
		t.Errorf("parsers did no work")
	}
}

func TestAppendHeaderPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Retry type": func() {
			AppendLongHeader(nil, LongHeaderFields{Type: PacketRetry, Version: Version1, PacketNumberLen: 1})
		},
		"pnLen 0": func() {
			AppendLongHeader(nil, LongHeaderFields{Type: PacketInitial, Version: Version1})
		},
		"unknown version": func() {
			AppendLongHeader(nil, LongHeaderFields{Type: PacketInitial, Version: 0x0a0a0a0a, PacketNumberLen: 1})
		},
		"long DCID": func() {
			AppendLongHeader(nil, LongHeaderFields{Type: PacketInitial, Version: Version1,
				DstConnID: make([]byte, 21), PacketNumberLen: 1})
		},
		"Length too big": func() { PutLongHeaderLength(make([]byte, 2), 0, MaxLongHeaderLength+1) },
		"short pnLen 5":  func() { AppendShortHeader(nil, nil, 0, 5, false, false) },
		"Retry version":  func() { AppendRetry(nil, 0, nil, nil, []byte{1}) },
		"VN 256-byte ID": func() { AppendVersionNegotiation(nil, make([]byte, 256), nil, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

package wire

import (
	"encoding/hex"
	"testing"
)

func TestVarintExamples(t *testing.T) {
	// RFC 9000, Appendix A.1 and Section 16, Table 4.
	tests := []struct {
		hex string
		v   uint64
	}{
		{"c2197c5eff14e88c", 151288809941952652},
		{"9d7f3e7d", 494878333},
		{"7bbd", 15293},
		{"25", 37},
		{"4025", 37}, // two-byte encoding of 37 is legal to read
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		v, n := ConsumeVarint(b)
		if v != tt.v || n != len(b) {
			t.Errorf("ConsumeVarint(%s) = %d, %d; want %d, %d", tt.hex, v, n, tt.v, len(b))
		}
		if tt.hex == "4025" {
			continue
		}
		if got := hex.EncodeToString(AppendVarint(nil, tt.v)); got != tt.hex {
			t.Errorf("AppendVarint(%d) = %s; want %s", tt.v, got, tt.hex)
		}
		if VarintLen(tt.v) != len(b) {
			t.Errorf("VarintLen(%d) = %d; want %d", tt.v, VarintLen(tt.v), len(b))
		}
	}
}

func TestVarintBoundaries(t *testing.T) {
	for _, v := range []uint64{0, 63, 64, 16383, 16384, 1<<30 - 1, 1 << 30, MaxVarint} {
		b := AppendVarint(nil, v)
		got, n := ConsumeVarint(b)
		if got != v || n != len(b) || n != VarintLen(v) {
			t.Errorf("round trip %d: got %d, n=%d, len=%d", v, got, n, len(b))
		}
		for _, l := range []int{1, 2, 4, 8} {
			if l < VarintLen(v) {
				continue
			}
			b := AppendVarintWithLen(nil, v, l)
			got, n := ConsumeVarint(b)
			if got != v || n != l {
				t.Errorf("AppendVarintWithLen(%d, %d): got %d, n=%d", v, l, got, n)
			}
		}
		// Every truncation is an error.
		for i := 0; i < len(b); i++ {
			if _, n := ConsumeVarint(b[:i]); n >= 0 {
				t.Errorf("ConsumeVarint(%x) succeeded on truncated input", b[:i])
			}
		}
	}
	if VarintLen(MaxVarint+1) != 0 {
		t.Errorf("VarintLen(2^62) != 0")
	}
}

func TestConsumeVarintBytes(t *testing.T) {
	b := []byte{3, 'a', 'b', 'c', 'd'}
	v, n := ConsumeVarintBytes(b)
	if string(v) != "abc" || n != 4 {
		t.Errorf("got %q, %d", v, n)
	}
	if _, n := ConsumeVarintBytes([]byte{5, 'a'}); n >= 0 {
		t.Errorf("short input accepted")
	}
	if _, n := ConsumeVarintBytes([]byte{0xc0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); n >= 0 {
		t.Errorf("huge length accepted")
	}
}

func TestPacketNumberEncodingExample(t *testing.T) {
	// RFC 9000, Appendix A.2: with 0xabe8b3 acknowledged, 0xac5c02 needs 2
	// bytes and 0xace8fe needs 3.
	if n := PacketNumberLen(0xac5c02, 0xabe8b3); n != 2 {
		t.Errorf("PacketNumberLen(0xac5c02) = %d; want 2", n)
	}
	if n := PacketNumberLen(0xace8fe, 0xabe8b3); n != 3 {
		t.Errorf("PacketNumberLen(0xace8fe) = %d; want 3", n)
	}
	if n := PacketNumberLen(0, -1); n != 1 {
		t.Errorf("PacketNumberLen(0, none) = %d; want 1", n)
	}
}

func TestPacketNumberDecodingExample(t *testing.T) {
	// RFC 9000, Appendix A.3: largest 0xa82f30ea, 16-bit 0x9b32 decodes to
	// 0xa82f9b32.
	if got := DecodePacketNumber(0xa82f30ea, 0x9b32, 2); got != 0xa82f9b32 {
		t.Errorf("DecodePacketNumber = %#x; want 0xa82f9b32", got)
	}
	b := AppendPacketNumber(nil, 0xa82f9b32, 2)
	if got := ReadTruncatedPacketNumber(b, 2); got != 0x9b32 {
		t.Errorf("truncated = %#x", got)
	}
}

func TestPacketNumberRoundTrip(t *testing.T) {
	for _, tc := range []struct{ largestAcked, pn int64 }{
		{-1, 0}, {-1, 10}, {0, 1}, {100, 300}, {1000, 40000}, {0xabe8b3, 0xace8fe},
		{1 << 40, 1<<40 + 5000000}, {MaxPacketNumber - 10, MaxPacketNumber},
	} {
		n := PacketNumberLen(tc.pn, tc.largestAcked)
		trunc := ReadTruncatedPacketNumber(AppendPacketNumber(nil, tc.pn, n), n)
		// The receiver has seen at least the largest acknowledged packet.
		if got := DecodePacketNumber(tc.largestAcked, trunc, n); got != tc.pn {
			t.Errorf("pn %d with largest acked %d: len %d decoded %d", tc.pn, tc.largestAcked, n, got)
		}
	}
}

func TestTransportErrorString(t *testing.T) {
	for _, tc := range []struct {
		err  *TransportError
		want string
	}{
		{&TransportError{Code: FlowControlError}, "quic: FLOW_CONTROL_ERROR"},
		{Errorf(FrameEncodingError, 0x08, "truncated"), "quic: FRAME_ENCODING_ERROR in frame 0x8: truncated"},
		{Errorf(CryptoError(0x78), 0, "no ALPN"), "quic: CRYPTO_ERROR(0x178): no ALPN"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}

package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// manyAckRanges returns n descending ranges of two packets separated by
// gaps of one packet, the largest ending at top.
func manyAckRanges(n int, top uint64) []AckRange {
	r := make([]AckRange, n)
	for i := range r {
		hi := top - uint64(i)*3
		r[i] = AckRange{Smallest: hi - 1, Largest: hi}
	}
	return r
}

func token(b byte) (t [16]byte) {
	for i := range t {
		t[i] = b + byte(i)
	}
	return t
}

// roundTripFrames holds one or more frames of every type, with boundary
// values.
var roundTripFrames = []struct {
	name string
	f    Frame
}{
	{"padding 1", &PaddingFrame{N: 1}},
	{"padding 37", &PaddingFrame{N: 37}},
	{"ping", &PingFrame{}},
	{"ack one packet 0", &AckFrame{Ranges: []AckRange{{0, 0}}}},
	{"ack one range", &AckFrame{Ranges: []AckRange{{Smallest: 100, Largest: 1000}}, AckDelay: 25}},
	{"ack whole space", &AckFrame{Ranges: []AckRange{{Smallest: 0, Largest: MaxVarint}}, AckDelay: MaxVarint}},
	{"ack two ranges down to 0", &AckFrame{Ranges: []AckRange{{Smallest: 2, Largest: 3}, {Smallest: 0, Largest: 0}}}},
	{"ack 40 ranges", &AckFrame{Ranges: manyAckRanges(40, 1<<40), AckDelay: 1 << 20}},
	{"ack MaxAckRanges", &AckFrame{Ranges: manyAckRanges(MaxAckRanges, 100000)}},
	{"ack ecn", &AckFrame{Ranges: manyAckRanges(3, 20), HasECN: true, ECT0: 1, ECT1: 2, ECNCE: 3}},
	{"ack ecn max", &AckFrame{Ranges: []AckRange{{5, 5}}, HasECN: true, ECT0: MaxVarint, ECT1: MaxVarint, ECNCE: MaxVarint}},
	{"ack ecn zero", &AckFrame{Ranges: []AckRange{{5, 5}}, HasECN: true}},
	{"reset stream zero", &ResetStreamFrame{}},
	{"reset stream max", &ResetStreamFrame{StreamID: MaxVarint, Code: MaxVarint, FinalSize: MaxVarint}},
	{"stop sending", &StopSendingFrame{StreamID: 7, Code: 0x10c}},
	{"stop sending max", &StopSendingFrame{StreamID: MaxVarint, Code: MaxVarint}},
	{"crypto empty", &CryptoFrame{}},
	{"crypto", &CryptoFrame{Offset: 1 << 14, Data: []byte("client hello")}},
	{"crypto at the end", &CryptoFrame{Offset: MaxVarint - 3, Data: []byte("abc")}},
	{"new token", &NewTokenFrame{Token: []byte{1}}},
	{"new token long", &NewTokenFrame{Token: bytes.Repeat([]byte{0xab}, 300)}},
	{"stream", &StreamFrame{StreamID: 4, Data: []byte("hello")}},
	{"stream fin", &StreamFrame{StreamID: 4, Data: []byte("hello"), Fin: true}},
	{"stream offset", &StreamFrame{StreamID: 4, Offset: 64, Data: []byte("hello")}},
	{"stream offset fin", &StreamFrame{StreamID: 4, Offset: 64, Data: []byte("hello"), Fin: true}},
	{"stream nolen", &StreamFrame{StreamID: 4, Data: []byte("hello"), OmitLen: true}},
	{"stream nolen fin", &StreamFrame{StreamID: 4, Data: []byte("hello"), Fin: true, OmitLen: true}},
	{"stream offset nolen", &StreamFrame{StreamID: 4, Offset: 1 << 30, Data: []byte("hello"), OmitLen: true}},
	{"stream offset nolen fin", &StreamFrame{StreamID: 4, Offset: 1, Data: []byte("x"), Fin: true, OmitLen: true}},
	{"stream empty fin", &StreamFrame{StreamID: 8, Offset: 99, Fin: true}},
	{"stream empty nolen", &StreamFrame{StreamID: 8, OmitLen: true}},
	{"stream max id", &StreamFrame{StreamID: MaxVarint, Data: []byte{0}}},
	{"stream at the end", &StreamFrame{StreamID: 1, Offset: MaxVarint - 2, Data: []byte{1, 2}, Fin: true}},
	{"stream empty at MaxVarint", &StreamFrame{StreamID: 1, Offset: MaxVarint}},
	{"stream 1200", &StreamFrame{StreamID: 2, Offset: 5000, Data: bytes.Repeat([]byte{7}, 1200)}},
	{"max data zero", &MaxDataFrame{}},
	{"max data max", &MaxDataFrame{Max: MaxVarint}},
	{"max stream data", &MaxStreamDataFrame{StreamID: 3, Max: 1 << 30}},
	{"max streams bidi", &MaxStreamsFrame{Bidi: true, Max: 100}},
	{"max streams uni", &MaxStreamsFrame{Max: 0}},
	{"max streams 2^60", &MaxStreamsFrame{Bidi: true, Max: 1 << 60}},
	{"data blocked", &DataBlockedFrame{Limit: 1 << 14}},
	{"stream data blocked", &StreamDataBlockedFrame{StreamID: MaxVarint, Limit: MaxVarint}},
	{"streams blocked bidi", &StreamsBlockedFrame{Bidi: true, Limit: 1 << 60}},
	{"streams blocked uni", &StreamsBlockedFrame{Limit: 3}},
	{"new connection id 1", &NewConnectionIDFrame{Seq: 1, ConnID: []byte{9}, ResetToken: token(1)}},
	{"new connection id 20", &NewConnectionIDFrame{Seq: MaxVarint, RetirePriorTo: MaxVarint, ConnID: bytes.Repeat([]byte{0xcc}, 20), ResetToken: token(0xf0)}},
	{"retire connection id", &RetireConnectionIDFrame{Seq: 12345}},
	{"path challenge", &PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}},
	{"path response", &PathResponseFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}}},
	{"connection close", &ConnectionCloseFrame{Code: uint64(FrameEncodingError), FrameType: FrameAck, Reason: []byte("bad ack")}},
	{"connection close empty", &ConnectionCloseFrame{}},
	{"connection close max", &ConnectionCloseFrame{Code: MaxVarint, FrameType: MaxVarint, Reason: bytes.Repeat([]byte("r"), 100)}},
	{"connection close app", &ConnectionCloseFrame{App: true, Code: 0x100, Reason: []byte("bye")}},
	{"connection close app empty", &ConnectionCloseFrame{App: true}},
	{"handshake done", &HandshakeDoneFrame{}},
	{"datagram", &DatagramFrame{Data: []byte("dgram")}},
	{"datagram empty", &DatagramFrame{}},
	{"datagram nolen", &DatagramFrame{Data: []byte("dgram"), OmitLen: true}},
	{"datagram nolen empty", &DatagramFrame{OmitLen: true}},
}

// runsToEnd reports whether f's last field extends to the end of the
// packet, so that f cannot be followed by another frame or truncated into
// an error.
func runsToEnd(f Frame) bool {
	switch f := f.(type) {
	case *PaddingFrame:
		return true
	case *StreamFrame:
		return f.OmitLen
	case *DatagramFrame:
		return f.OmitLen
	}
	return false
}

var frameCmp = cmpopts.EquateEmpty()

func TestFrameRoundTrip(t *testing.T) {
	for _, tt := range roundTripFrames {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte{0xee, 0xff}
			b := tt.f.Append(append([]byte{}, prefix...))
			if !bytes.Equal(b[:2], prefix) {
				t.Fatalf("Append changed the prefix: %x", b[:2])
			}
			b = b[2:]
			if len(b) != tt.f.Len() {
				t.Errorf("len(Append) = %d, Len() = %d", len(b), tt.f.Len())
			}
			if typ, _ := ConsumeVarint(b); typ != tt.f.Type() {
				t.Errorf("encoded type 0x%x, Type() = 0x%x", typ, tt.f.Type())
			}

			inputs := [][]byte{b}
			if !runsToEnd(tt.f) {
				// Another frame after this one must not be consumed.
				inputs = append(inputs, append(append([]byte{}, b...), byte(FramePing)))
			}
			for _, in := range inputs {
				var p FrameParser
				got, n, err := p.Next(in)
				if err != nil {
					t.Fatalf("Next(%x): %v", in, err)
				}
				if n != len(b) {
					t.Errorf("Next consumed %d bytes, want %d", n, len(b))
				}
				if diff := cmp.Diff(tt.f, got, frameCmp); diff != "" {
					t.Errorf("parsed frame differs (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestFrameGolden(t *testing.T) {
	// Worked by hand from the layouts of RFC 9000, Section 19 and
	// RFC 9221, Section 4.
	tests := []struct {
		name string
		f    Frame
		hex  string
	}{
		{"padding", &PaddingFrame{N: 3}, "000000"},
		{"ping", &PingFrame{}, "01"},
		{
			// Largest 10, delay 100 (2 bytes), 1 extra range, first range
			// 10-8=2, gap 8-5-2=1, length 5-2=3, ECN 1 0 2.
			"ack ecn",
			&AckFrame{Ranges: []AckRange{{8, 10}, {2, 5}}, AckDelay: 100, HasECN: true, ECT0: 1, ECNCE: 2},
			"03" + "0a" + "4064" + "01" + "02" + "01" + "03" + "01" + "00" + "02",
		},
		{
			// OFF|LEN|FIN, stream 4, offset 1000 (0x3e8), length 2.
			"stream all bits",
			&StreamFrame{StreamID: 4, Offset: 1000, Data: []byte("hi"), Fin: true},
			"0f" + "04" + "43e8" + "02" + "6869",
		},
		{"stream bare", &StreamFrame{StreamID: 0, Data: []byte("a"), OmitLen: true}, "08" + "00" + "61"},
		{"crypto", &CryptoFrame{Offset: 0, Data: []byte{0xaa, 0xbb}}, "06" + "00" + "02" + "aabb"},
		{"max streams uni 2^60", &MaxStreamsFrame{Max: 1 << 60}, "13" + "d000000000000000"},
		{
			"new connection id",
			&NewConnectionIDFrame{Seq: 2, RetirePriorTo: 1, ConnID: []byte{0xaa, 0xbb}, ResetToken: token(0)},
			"18" + "02" + "01" + "02" + "aabb" + "000102030405060708090a0b0c0d0e0f",
		},
		{
			"connection close",
			&ConnectionCloseFrame{Code: uint64(ProtocolViolation), FrameType: FrameStream, Reason: []byte("x")},
			"1c" + "0a" + "08" + "01" + "78",
		},
		{"connection close app", &ConnectionCloseFrame{App: true, Code: 0x100}, "1d" + "4100" + "00"},
		{"datagram", &DatagramFrame{Data: []byte("abc")}, "31" + "03" + "616263"},
		{"datagram nolen", &DatagramFrame{Data: []byte("abc"), OmitLen: true}, "30" + "616263"},
		{"handshake done", &HandshakeDoneFrame{}, "1e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hex.EncodeToString(tt.f.Append(nil)); got != tt.hex {
				t.Errorf("Append = %s, want %s", got, tt.hex)
			}
			b, _ := hex.DecodeString(tt.hex)
			var p FrameParser
			got, n, err := p.Next(b)
			if err != nil || n != len(b) {
				t.Fatalf("Next = %v, %d, %v", got, n, err)
			}
			if diff := cmp.Diff(tt.f, got, frameCmp); diff != "" {
				t.Errorf("parsed frame differs (-want +got):\n%s", diff)
			}
		})
	}
}

// wantTransportError checks that err is a *TransportError with the code and
// frame type.
func wantTransportError(t *testing.T, err error, code ErrorCode, frameType uint64) {
	t.Helper()
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T), want a *TransportError", err, err)
	}
	if te.Code != code || te.FrameType != frameType {
		t.Errorf("error %v: code %v frame 0x%x, want %v frame 0x%x", err, te.Code, te.FrameType, code, frameType)
	}
}

func TestFrameTruncated(t *testing.T) {
	for _, tt := range roundTripFrames {
		if runsToEnd(tt.f) {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			b := tt.f.Append(nil)
			for i := 1; i < len(b); i++ {
				var p FrameParser
				f, n, err := p.Next(b[:i])
				if err == nil {
					t.Fatalf("Next(%x) = %v, %d; want an error", b[:i], f, n)
				}
				wantTransportError(t, err, FrameEncodingError, tt.f.Type())
			}
		})
	}
}

func TestFrameParseErrors(t *testing.T) {
	const maxVarint8 = "ffffffffffffffff" // MaxVarint in 8 bytes
	tok := strings.Repeat("00", 16)
	tests := []struct {
		name string
		hex  string
		code ErrorCode
		typ  uint64
	}{
		{"empty", "", FrameEncodingError, 0},
		{"truncated type", "40", FrameEncodingError, 0},
		{"unknown 0x1f", "1f", FrameEncodingError, 0x1f},
		{"unknown 0x20", "20", FrameEncodingError, 0x20},
		{"unknown 0x32", "32", FrameEncodingError, 0x32},
		{"unknown 2-byte", "4100", FrameEncodingError, 0x100},
		// RFC 9000, Section 12.4: frame types use the shortest encoding.
		{"long padding", "4000", ProtocolViolation, 0x00},
		{"long ping", "4001", ProtocolViolation, 0x01},
		{"long stream", "8000000800", ProtocolViolation, 0x08},
		{"long unknown", "4021", ProtocolViolation, 0x21},
		{"long datagram", "c000000000000030", ProtocolViolation, 0x30},
		// RFC 9000, Section 19.3.1: no packet number below 0.
		{"ack first range below 0", "02" + "05" + "00" + "00" + "06", FrameEncodingError, 0x02},
		{"ack gap below 0", "02" + "05" + "00" + "01" + "02" + "02" + "00", FrameEncodingError, 0x02},
		{"ack gap to -1", "03" + "05" + "00" + "01" + "05" + "00" + "00" + "000000", FrameEncodingError, 0x03},
		{"ack range below 0", "02" + "05" + "00" + "01" + "02" + "01" + "01", FrameEncodingError, 0x02},
		{"ack huge gap", "02" + "05" + "00" + "01" + "00" + maxVarint8 + "00", FrameEncodingError, 0x02},
		{"ack huge range", "02" + "05" + "00" + "01" + "00" + "00" + maxVarint8, FrameEncodingError, 0x02},
		// An ACK Range Count that cannot fit in the frame.
		{"ack count max", "02" + "05" + "00" + maxVarint8 + "00", FrameEncodingError, 0x02},
		{"ack count 3 in 4 bytes", "02" + "00" + "00" + "03" + "00" + "00000000", FrameEncodingError, 0x02},
		// RFC 9000, Sections 19.6 and 19.8: data ending past 2^62-1.
		{"stream past 2^62-1", "0e" + "00" + maxVarint8 + "01" + "61", FrameEncodingError, 0x0e},
		{"stream nolen past 2^62-1", "0d" + "00" + maxVarint8 + "61", FrameEncodingError, 0x0d},
		{"crypto past 2^62-1", "06" + maxVarint8 + "01" + "61", FrameEncodingError, 0x06},
		{"stream length past packet", "0a" + "00" + "05" + "6162", FrameEncodingError, 0x0a},
		// RFC 9000, Sections 19.11 and 19.14: at most 2^60 streams.
		{"max streams bidi 2^60+1", "12" + "d000000000000001", FrameEncodingError, 0x12},
		{"max streams uni max", "13" + maxVarint8, FrameEncodingError, 0x13},
		{"streams blocked bidi 2^60+1", "16" + "d000000000000001", FrameEncodingError, 0x16},
		{"streams blocked uni max", "17" + maxVarint8, FrameEncodingError, 0x17},
		// RFC 9000, Section 19.15.
		{"new connection id length 0", "18" + "01" + "00" + "00" + tok, FrameEncodingError, 0x18},
		{"new connection id length 21", "18" + "01" + "00" + "15" + strings.Repeat("aa", 21) + tok, FrameEncodingError, 0x18},
		{"new connection id length 255", "18" + "01" + "00" + "ff" + strings.Repeat("aa", 255) + tok, FrameEncodingError, 0x18},
		{"new connection id retire prior to > seq", "18" + "01" + "02" + "01" + "aa" + tok, FrameEncodingError, 0x18},
		// RFC 9000, Section 19.7.
		{"new token empty", "07" + "00", FrameEncodingError, 0x07},
		{"new token past packet", "07" + "05" + "01", FrameEncodingError, 0x07},
		// RFC 9000, Section 19.19: the reason must fit in the packet.
		{"connection close reason past packet", "1c" + "00" + "00" + "05" + "6162", FrameEncodingError, 0x1c},
		{"connection close app reason past packet", "1d" + "00" + "05" + "61", FrameEncodingError, 0x1d},
		{"connection close huge reason", "1c" + "00" + "00" + maxVarint8, FrameEncodingError, 0x1c},
		{"datagram past packet", "31" + "05" + "61", FrameEncodingError, 0x31},
		{"path challenge short", "1a" + "01020304050607", FrameEncodingError, 0x1a},
		{"path response short", "1b", FrameEncodingError, 0x1b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			var p FrameParser
			f, n, err := p.Next(b)
			if err == nil {
				t.Fatalf("Next(%s) = %#v, %d; want an error", tt.hex, f, n)
			}
			if f != nil || n != 0 {
				t.Errorf("Next(%s) returned %v, %d with its error", tt.hex, f, n)
			}
			wantTransportError(t, err, tt.code, tt.typ)
		})
	}
}

func TestFrameParseEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want Frame
		n    int
	}{
		// A Gap of 1 lands the last range exactly on packet 0.
		{"ack to packet 0", "02" + "05" + "00" + "01" + "02" + "01" + "00",
			&AckFrame{Ranges: []AckRange{{3, 5}, {0, 0}}}, 7},
		// OFF bit with a zero offset reads as offset 0.
		{"stream explicit offset 0", "0e" + "01" + "00" + "01" + "61",
			&StreamFrame{StreamID: 1, Data: []byte("a")}, 5},
		// Fields in longer encodings than needed are legal.
		{"long varints", "10" + "c000000000000005",
			&MaxDataFrame{Max: 5}, 9},
		{"stream ends at 2^62-1", "0c" + "00" + "ffffffffffffffff",
			&StreamFrame{Offset: MaxVarint, OmitLen: true}, 10},
		{"padding run stops at a frame", "00000001",
			&PaddingFrame{N: 3}, 3},
		{"padding to the end", "000000",
			&PaddingFrame{N: 3}, 3},
		{"padding run stops at long padding", "004000",
			&PaddingFrame{N: 1}, 1},
		{"new connection id retire prior to = seq", "18" + "07" + "07" + "01" + "aa" + strings.Repeat("00", 16),
			&NewConnectionIDFrame{Seq: 7, RetirePriorTo: 7, ConnID: []byte{0xaa}}, 21},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.hex)
			var p FrameParser
			got, n, err := p.Next(b)
			if err != nil {
				t.Fatalf("Next(%s): %v", tt.hex, err)
			}
			if n != tt.n {
				t.Errorf("n = %d, want %d", n, tt.n)
			}
			if diff := cmp.Diff(tt.want, got, frameCmp); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAckRangeLimit(t *testing.T) {
	// An ACK with more than MaxAckRanges ranges is accepted, consumed
	// whole, and keeps the newest MaxAckRanges ranges.
	all := manyAckRanges(MaxAckRanges+50, 1<<20)
	b := (&AckFrame{Ranges: all, AckDelay: 3}).Append(nil)
	b = append(b, byte(FramePing))
	var p FrameParser
	f, n, err := p.Next(b)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(b)-1 {
		t.Errorf("n = %d, want %d", n, len(b)-1)
	}
	want := &AckFrame{Ranges: all[:MaxAckRanges], AckDelay: 3}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// The dropped ranges are still validated.
	bad := manyAckRanges(MaxAckRanges+10, 3*(MaxAckRanges+10)-2)
	b = (&AckFrame{Ranges: bad}).Append(nil)
	// Make the last gap reach below 0: the last range is {0,1}; a gap of
	// 0 after {3,4} becomes a gap of 2.
	last := len(b) - 2
	if b[last] != 0 {
		t.Fatalf("unexpected encoding %x", b[last:])
	}
	b[last] = 2
	if _, _, err := p.Next(b); err == nil {
		t.Error("ACK with a dropped range below 0 parsed")
	} else {
		wantTransportError(t, err, FrameEncodingError, FrameAck)
	}
}

func TestFrameParserReuse(t *testing.T) {
	// A reused parser leaves nothing of an earlier frame in a later one.
	frames := []Frame{
		&AckFrame{Ranges: manyAckRanges(5, 100), HasECN: true, ECT0: 1, ECT1: 2, ECNCE: 3},
		&AckFrame{Ranges: []AckRange{{1, 1}}},
		&StreamFrame{StreamID: 4, Offset: 10, Data: []byte("ab"), Fin: true, OmitLen: true},
		&StreamFrame{StreamID: 4, Data: []byte("c")},
		&ConnectionCloseFrame{Code: 1, FrameType: 8, Reason: []byte("x")},
		&ConnectionCloseFrame{App: true, Code: 2},
		&MaxStreamsFrame{Bidi: true, Max: 1},
		&MaxStreamsFrame{Max: 2},
		&DatagramFrame{Data: []byte("d"), OmitLen: true},
		&DatagramFrame{},
		&PaddingFrame{N: 5},
		&PaddingFrame{N: 1},
	}
	var p FrameParser
	for i, want := range frames {
		got, _, err := p.Next(want.Append(nil))
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got, frameCmp); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestFrameParsePayload(t *testing.T) {
	// A payload of several frames, as a packet carries them.
	want := []Frame{
		&AckFrame{Ranges: []AckRange{{3, 9}}, AckDelay: 7},
		&CryptoFrame{Offset: 0, Data: []byte("hello")},
		&PaddingFrame{N: 4},
		&PingFrame{},
		&StreamFrame{StreamID: 0, Data: []byte("xyz"), Fin: true},
		&PaddingFrame{N: 2},
		&StreamFrame{StreamID: 4, Offset: 3, Data: []byte("last"), OmitLen: true},
	}
	var payload []byte
	for _, f := range want {
		payload = f.Append(payload)
	}
	var p FrameParser
	for i := 0; len(payload) > 0; i++ {
		f, n, err := p.Next(payload)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i >= len(want) {
			t.Fatalf("extra frame %d: %#v", i, f)
		}
		if diff := cmp.Diff(want[i], f, frameCmp); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, diff)
		}
		payload = payload[n:]
	}
}

func TestFrameOverhead(t *testing.T) {
	for _, id := range []uint64{0, 63, 64, MaxVarint} {
		for _, off := range []uint64{0, 1, 1 << 14, 1 << 40} {
			for _, dataLen := range []int{0, 63, 64, 1200, 16384} {
				data := make([]byte, dataLen)
				for _, withLen := range []bool{false, true} {
					f := &StreamFrame{StreamID: id, Offset: off, Data: data, OmitLen: !withLen}
					if got, want := StreamFrameOverhead(id, off, dataLen, withLen)+dataLen, len(f.Append(nil)); got != want {
						t.Errorf("StreamFrameOverhead(%d, %d, %d, %v)+%d = %d, want %d", id, off, dataLen, withLen, dataLen, got, want)
					}
				}
				f := &CryptoFrame{Offset: off, Data: data}
				if got, want := CryptoFrameOverhead(off, dataLen)+dataLen, len(f.Append(nil)); got != want {
					t.Errorf("CryptoFrameOverhead(%d, %d)+%d = %d, want %d", off, dataLen, dataLen, got, want)
				}
			}
		}
	}
}

// table3 is the Pkts column of RFC 9000, Section 12.4, Table 3, plus
// DATAGRAM (RFC 9221, Section 5: 0-RTT and 1-RTT). Other types are never
// allowed.
var table3 = map[uint64]string{
	0x00: "IH01", // PADDING
	0x01: "IH01", // PING
	0x02: "IH_1", // ACK
	0x03: "IH_1",
	0x04: "__01", // RESET_STREAM
	0x05: "__01", // STOP_SENDING
	0x06: "IH_1", // CRYPTO
	0x07: "___1", // NEW_TOKEN
	0x08: "__01", // STREAM
	0x09: "__01",
	0x0a: "__01",
	0x0b: "__01",
	0x0c: "__01",
	0x0d: "__01",
	0x0e: "__01",
	0x0f: "__01",
	0x10: "__01", // MAX_DATA
	0x11: "__01", // MAX_STREAM_DATA
	0x12: "__01", // MAX_STREAMS
	0x13: "__01",
	0x14: "__01", // DATA_BLOCKED
	0x15: "__01", // STREAM_DATA_BLOCKED
	0x16: "__01", // STREAMS_BLOCKED
	0x17: "__01",
	0x18: "__01", // NEW_CONNECTION_ID
	0x19: "___1", // RETIRE_CONNECTION_ID
	0x1a: "__01", // PATH_CHALLENGE
	0x1b: "___1", // PATH_RESPONSE
	0x1c: "IH01", // CONNECTION_CLOSE ("ih": only 0x1c in Initial and Handshake)
	0x1d: "__01",
	0x1e: "___1", // HANDSHAKE_DONE
	0x30: "__01", // DATAGRAM
	0x31: "__01",
}

func TestFrameAllowed(t *testing.T) {
	packets := []struct {
		pt     PacketType
		letter byte // in table3; 0 for none
		col    int
	}{
		{PacketInitial, 'I', 0},
		{PacketHandshake, 'H', 1},
		{Packet0RTT, '0', 2},
		{Packet1RTT, '1', 3},
		{PacketRetry, 0, -1},
		{PacketVersionNegotiation, 0, -1},
		{PacketType(0), 0, -1},
		{PacketType(200), 0, -1},
	}
	types := []uint64{0x100, 0x4000, MaxVarint}
	for typ := uint64(0); typ < 0x40; typ++ {
		types = append(types, typ)
	}
	for _, typ := range types {
		for _, pk := range packets {
			want := false
			if col, ok := table3[typ]; ok && pk.col >= 0 {
				want = col[pk.col] == pk.letter
			}
			if got := FrameAllowed(typ, pk.pt); got != want {
				t.Errorf("FrameAllowed(0x%x, %v) = %v, want %v", typ, pk.pt, got, want)
			}
		}
	}
}

func TestAckElicitingAndInFlight(t *testing.T) {
	// RFC 9002, Section 2.
	notEliciting := map[uint64]bool{0x00: true, 0x02: true, 0x03: true, 0x1c: true, 0x1d: true}
	notInFlight := map[uint64]bool{0x02: true, 0x03: true, 0x1c: true, 0x1d: true}
	for typ := uint64(0); typ < 0x40; typ++ {
		if got, want := IsAckEliciting(typ), !notEliciting[typ]; got != want {
			t.Errorf("IsAckEliciting(0x%x) = %v, want %v", typ, got, want)
		}
		if got, want := CountsInFlight(typ), !notInFlight[typ]; got != want {
			t.Errorf("CountsInFlight(0x%x) = %v, want %v", typ, got, want)
		}
	}
}

func TestFrameAllocs(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
	}{
		{"stream", &StreamFrame{StreamID: 4, Offset: 1 << 20, Data: make([]byte, 1200), Fin: true}},
		{"stream nolen", &StreamFrame{StreamID: 4, Data: make([]byte, 1200), OmitLen: true}},
		{"ack 1", &AckFrame{Ranges: []AckRange{{0, 1000}}, AckDelay: 10}},
		{"ack 32 ecn", &AckFrame{Ranges: manyAckRanges(32, 1<<20), HasECN: true, ECT0: 9}},
		{"ack max", &AckFrame{Ranges: manyAckRanges(MaxAckRanges+5, 1<<20)}},
		{"crypto", &CryptoFrame{Offset: 1 << 10, Data: make([]byte, 1000)}},
		{"datagram", &DatagramFrame{Data: make([]byte, 1000)}},
		{"padding", &PaddingFrame{N: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, 0, 8192)
			if a := testing.AllocsPerRun(100, func() { buf = tt.f.Append(buf[:0]) }); a != 0 {
				t.Errorf("Append: %v allocs, want 0", a)
			}
			var p FrameParser
			if _, _, err := p.Next(buf); err != nil { // warm-up
				t.Fatal(err)
			}
			if a := testing.AllocsPerRun(100, func() { p.Next(buf) }); a != 0 {
				t.Errorf("Next: %v allocs, want 0", a)
			}
		})
	}
}

func ExampleFrameParser() {
	var payload []byte
	payload = (&AckFrame{Ranges: []AckRange{{Smallest: 0, Largest: 3}}}).Append(payload)
	payload = (&StreamFrame{StreamID: 4, Data: []byte("hi"), Fin: true}).Append(payload)
	payload = (&PaddingFrame{N: 10}).Append(payload)

	var p FrameParser
	for len(payload) > 0 {
		f, n, err := p.Next(payload)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch f := f.(type) {
		case *AckFrame:
			fmt.Println("ACK", f.Ranges)
		case *StreamFrame:
			fmt.Printf("STREAM %d %q fin=%v\n", f.StreamID, f.Data, f.Fin)
		case *PaddingFrame:
			fmt.Println("PADDING", f.N)
		}
		payload = payload[n:]
	}
	// Output:
	// ACK [{0 3}]
	// STREAM 4 "hi" fin=true
	// PADDING 10
}

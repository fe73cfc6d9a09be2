package qpack

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecoderAppendixB feeds the decoder the encoder stream data and field
// sections of RFC 9204, Appendix B and checks the decoded fields and the
// decoder stream it produces byte for byte.
func TestDecoderAppendixB(t *testing.T) {
	d := NewDecoder(220, 16, 0)

	// B.1: Literal Field Line with Name Reference.
	decodeExpect(t, d, 0, "0000 510b 2f69 6e64 6578 2e68 746d 6c", []HeaderField{{Name: ":path", Value: "/index.html"}})
	expectDecoderStream(t, d, "")

	// B.2: Dynamic Table. The field section arrives before the encoder
	// stream data and blocks.
	if _, err := d.DecodeHeaders(4, unhex(t, "0381 10 11")); err != ErrBlocked {
		t.Fatalf("DecodeHeaders(4) before inserts: err = %v, want ErrBlocked", err)
	}
	unblocked, err := d.HandleEncoderStream(unhex(t, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{4}, unblocked); diff != "" {
		t.Errorf("unblocked (-want +got):\n%s", diff)
	}
	decodeExpect(t, d, 4, "0381 10 11", []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/sample/path"},
	})
	expectDecoderStream(t, d, "84")
	if d.table.size != 106 {
		t.Errorf("table size = %d, want 106", d.table.size)
	}

	// B.3: Speculative Insert.
	if _, err := d.HandleEncoderStream(unhex(t, "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565")); err != nil {
		t.Fatal(err)
	}
	expectDecoderStream(t, d, "01")
	if d.table.size != 160 {
		t.Errorf("table size = %d, want 160", d.table.size)
	}

	// B.4: Duplicate, then the field section on stream 8 is cancelled
	// while blocked (its encoder stream data is delayed).
	if _, err := d.DecodeHeaders(8, unhex(t, "0500 80 c1 81")); err != ErrBlocked {
		t.Fatalf("DecodeHeaders(8): err = %v, want ErrBlocked", err)
	}
	d.StreamCancelled(8)
	expectDecoderStream(t, d, "48")
	unblocked, err = d.HandleEncoderStream(unhex(t, "02"))
	if err != nil || len(unblocked) != 0 {
		t.Fatalf("HandleEncoderStream(02) = %v, %v; want nothing unblocked", unblocked, err)
	}
	if d.table.size != 217 {
		t.Errorf("table size = %d, want 217", d.table.size)
	}
	// The section still decodes once the entry is there.
	decodeExpect(t, d, 12, "0500 80 c1 81", []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/"},
		{Name: "custom-key", Value: "custom-value"},
	})
	expectDecoderStream(t, d, "8c")

	// B.5: Dynamic Table Insert, Eviction.
	if _, err := d.HandleEncoderStream(unhex(t, "810d 6375 7374 6f6d 2d76 616c 7565 32")); err != nil {
		t.Fatal(err)
	}
	if d.table.size != 215 || d.table.dropped != 1 {
		t.Errorf("table size = %d, dropped = %d; want 215, 1", d.table.size, d.table.dropped)
	}
	if f, _ := d.table.entry(4); f != (HeaderField{Name: "custom-key", Value: "custom-value2"}) {
		t.Errorf("entry 4 = %+v", f)
	}
}

func decodeExpect(t *testing.T, d *Decoder, stream uint64, block string, want []HeaderField) {
	t.Helper()
	got, err := d.DecodeHeaders(stream, unhex(t, block))
	if err != nil {
		t.Fatalf("DecodeHeaders(%d, %s): %v", stream, block, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeHeaders(%d, %s) (-want +got):\n%s", stream, block, diff)
	}
}

func expectDecoderStream(t *testing.T, d *Decoder, want string) {
	t.Helper()
	if diff := cmp.Diff(unhex(t, want), d.DecoderStream(), cmp.Comparer(bytesEqual)); diff != "" {
		t.Errorf("decoder stream (-want +got):\n%s", diff)
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// TestEncoderAppendixB drives the encoder through the exchanges of RFC 9204,
// Appendix B, with Huffman coding off and its insertion policy replaced by
// the example's choices, and checks every byte it writes.
func TestEncoderAppendixB(t *testing.T) {
	e := NewEncoder(220, 220, 16)
	e.noHuffman = true
	e.index = func(HeaderField) bool { return false }

	// B.1: Literal Field Line with Name Reference.
	encodeExpect(t, e, 0, []HeaderField{{Name: ":path", Value: "/index.html"}}, "0000 510b 2f69 6e64 6578 2e68 746d 6c")

	// B.2: Dynamic Table.
	e.index = func(HeaderField) bool { return true }
	encodeExpect(t, e, 4, []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/sample/path"},
	}, "0381 10 11")
	expectEncoderStream(t, e, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468")
	expectRefs(t, e, []int{1, 1}, 0)
	decoderInput(t, e, "84")
	expectRefs(t, e, []int{0, 0}, 2)

	// B.3: Speculative Insert.
	if abs, ok := e.insert(HeaderField{Name: "custom-key", Value: "custom-value"}); !ok || abs != 2 {
		t.Fatalf("insert = %d, %v; want 2, true", abs, ok)
	}
	expectEncoderStream(t, e, "4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565")
	decoderInput(t, e, "01")
	expectRefs(t, e, []int{0, 0, 0}, 3)

	// B.4: Duplicate Instruction, Stream Cancellation.
	if abs, ok := e.duplicate(0); !ok || abs != 3 {
		t.Fatalf("duplicate = %d, %v; want 3, true", abs, ok)
	}
	expectEncoderStream(t, e, "02")
	encodeExpect(t, e, 8, []HeaderField{
		{Name: ":authority", Value: "www.example.com"},
		{Name: ":path", Value: "/"},
		{Name: "custom-key", Value: "custom-value"},
	}, "0500 80 c1 81")
	expectRefs(t, e, []int{0, 0, 1, 1}, 3)
	decoderInput(t, e, "48")
	expectRefs(t, e, []int{0, 0, 0, 0}, 3)

	// B.5: Dynamic Table Insert, Eviction.
	if abs, ok := e.insert(HeaderField{Name: "custom-key", Value: "custom-value2"}); !ok || abs != 4 {
		t.Fatalf("insert = %d, %v; want 4, true", abs, ok)
	}
	expectEncoderStream(t, e, "810d 6375 7374 6f6d 2d76 616c 7565 32")
	if e.table.size != 215 || e.table.dropped != 1 {
		t.Errorf("table size = %d, dropped = %d; want 215, 1", e.table.size, e.table.dropped)
	}
}

func encodeExpect(t *testing.T, e *Encoder, stream uint64, fields []HeaderField, want string) {
	t.Helper()
	got, err := e.EncodeHeaders(nil, stream, fields)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(unhex(t, want), got, cmp.Comparer(bytesEqual)); diff != "" {
		t.Errorf("EncodeHeaders(%d) (-want +got):\n%s", stream, diff)
	}
}

func expectEncoderStream(t *testing.T, e *Encoder, want string) {
	t.Helper()
	if diff := cmp.Diff(unhex(t, want), e.EncoderStream(), cmp.Comparer(bytesEqual)); diff != "" {
		t.Errorf("encoder stream (-want +got):\n%s", diff)
	}
}

func expectRefs(t *testing.T, e *Encoder, refs []int, known uint64) {
	t.Helper()
	if diff := cmp.Diff(refs, e.refs); diff != "" {
		t.Errorf("references (-want +got):\n%s", diff)
	}
	if e.knownReceived != known {
		t.Errorf("Known Received Count = %d, want %d", e.knownReceived, known)
	}
}

func decoderInput(t *testing.T, e *Encoder, in string) {
	t.Helper()
	if err := e.HandleDecoderStream(unhex(t, in)); err != nil {
		t.Fatalf("HandleDecoderStream(%s): %v", in, err)
	}
}

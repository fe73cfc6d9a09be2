package qpack

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInt(t *testing.T) {
	tests := []struct {
		n   uint8
		v   uint64
		enc string
	}{
		{5, 10, "0a"},       // RFC 7541, C.1.1
		{5, 1337, "1f9a0a"}, // C.1.2
		{8, 42, "2a"},       // C.1.3
		{7, 127, "7f00"},    // exactly the prefix maximum
		{6, maxInt, "3fc0ffffffffffffff3f"},
	}
	for _, tt := range tests {
		got := appendInt(nil, 0, tt.n, tt.v)
		if diff := cmp.Diff(unhex(t, tt.enc), got, cmp.Comparer(bytesEqual)); diff != "" {
			t.Errorf("appendInt(%d, %d) (-want +got):\n%s", tt.n, tt.v, diff)
		}
		v, m, err := consumeInt(got, tt.n, 0)
		if err != nil || v != tt.v || m != len(got) {
			t.Errorf("consumeInt(%x, %d) = %d, %d, %v", got, tt.n, v, m, err)
		}
		if _, _, err := consumeInt(got[:len(got)-1], tt.n, 0); err != errShort {
			t.Errorf("consumeInt(%x) of a truncated integer: err = %v, want errShort", got[:len(got)-1], err)
		}
	}
	for _, enc := range []string{
		"3fc1ffffffffffffff3f",   // maxInt + 1
		"3fffffffffffffffffff7f", // 2^64 and more
		"3f80808080808080808080", // zero continuations forever
	} {
		var qe *Error
		if _, _, err := consumeInt(unhex(t, enc), 6, ErrCodeDecompressionFailed); !errors.As(err, &qe) {
			t.Errorf("consumeInt(%s): err = %v, want an *Error", enc, err)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code uint64) {
	t.Helper()
	var qe *Error
	if !errors.As(err, &qe) || qe.Code != code {
		t.Errorf("%s: err = %v, want code %#x", what, err, code)
	}
}

func TestDecodeHeadersErrors(t *testing.T) {
	tests := []struct {
		name, block string
	}{
		{"empty", ""},
		{"no base", "00"},
		{"static index out of range", "0000 ff24"},     // 63+36 = 99
		{"static name out of range", "0000 5f54 00"},   // 15+84 = 99
		{"dynamic reference without table", "0000 80"}, // Base 0
		{"post-base reference with RIC 0", "0000 10"},
		{"RIC beyond full range", "0300"}, // max capacity 32: MaxEntries 1
		{"negative Base", "0281"},         // RIC 1, Sign, Delta 1
		{"truncated literal", "0000 5103 2f61"},
		{"truncated name", "0000 2f"},
		{"Huffman EOS", "0000 5184 ffffffff"},
		{"reference at RIC", "0200 10"}, // Required Insert Count 1 blocks first
	}
	for _, tt := range tests {
		d := NewDecoder(32, 0, 0)
		_, err := d.DecodeHeaders(0, unhex(t, tt.block))
		wantCode(t, tt.name, err, ErrCodeDecompressionFailed)
	}

	// References at or beyond the Required Insert Count, or to evicted
	// entries, with a table of one entry (abs 0) then another (abs 1,
	// evicting 0).
	d := NewDecoder(64, 1, 0)
	if _, err := d.HandleEncoderStream(unhex(t, "3f21 4161 0162")); err != nil { // capacity 64, a=b
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, block string }{
		{"post-base index at RIC", "0200 10"},            // RIC 1, Base 1, post-base 0 = abs 1
		{"relative index past Base", "0200 81"},          // Base 1, relative 1
		{"valid post-base name reference", "0280 00 00"}, // RIC 1, Base 0: abs 0
		{"post-base name reference at RIC", "0200 0000"}, // abs 1 >= RIC
	} {
		_, err := d.DecodeHeaders(4, unhex(t, tt.block))
		if tt.name == "valid post-base name reference" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		wantCode(t, tt.name, err, ErrCodeDecompressionFailed)
	}
	if _, err := d.HandleEncoderStream(unhex(t, "4161 0163")); err != nil { // a=c evicts a=b
		t.Fatal(err)
	}
	_, err := d.DecodeHeaders(8, unhex(t, "0201 80")) // RIC 1, Base 2: relative 0 = abs 1... RIC 1 forbids
	wantCode(t, "reference above RIC", err, ErrCodeDecompressionFailed)
	_, err = d.DecodeHeaders(8, unhex(t, "0200 80")) // abs 0, evicted
	wantCode(t, "evicted entry", err, ErrCodeDecompressionFailed)
}

func TestBlockedLimit(t *testing.T) {
	d := NewDecoder(100, 2, 0)
	for id := uint64(0); id < 2; id++ {
		if _, err := d.DecodeHeaders(id*4, unhex(t, "0200 10")); err != ErrBlocked {
			t.Fatalf("stream %d: err = %v, want ErrBlocked", id*4, err)
		}
	}
	// The same stream again does not count twice.
	if _, err := d.DecodeHeaders(4, unhex(t, "0200 10")); err != ErrBlocked {
		t.Fatalf("stream 4 again: err = %v, want ErrBlocked", err)
	}
	_, err := d.DecodeHeaders(8, unhex(t, "0200 10"))
	wantCode(t, "third blocked stream", err, ErrCodeDecompressionFailed)

	if _, err := NewDecoder(100, 0, 0).DecodeHeaders(0, unhex(t, "0200 10")); err == ErrBlocked {
		t.Error("decoder with SETTINGS_QPACK_BLOCKED_STREAMS 0 blocked")
	}
}

func TestFieldSectionTooLarge(t *testing.T) {
	e := NewEncoder(0, 0, 0)
	fields := []HeaderField{{Name: "a", Value: strings.Repeat("x", 40)}, {Name: "b", Value: "y"}}
	block, _ := e.EncodeHeaders(nil, 0, fields)
	// 73 + 34 = 107 bytes.
	if _, err := NewDecoder(0, 0, 106).DecodeHeaders(0, block); err != ErrFieldSectionTooLarge {
		t.Errorf("limit 106: err = %v, want ErrFieldSectionTooLarge", err)
	}
	if got, err := NewDecoder(0, 0, 107).DecodeHeaders(0, block); err != nil || len(got) != 2 {
		t.Errorf("limit 107: %v, %v", got, err)
	}
}

func TestEncoderStreamErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"capacity above maximum", "3f62"},            // 31+98 = 129 > 100
		{"insert without capacity", "c0 00"},          // :authority="", size 42 > 0
		{"insert larger than capacity", "3f05 c0 00"}, // capacity 36
		{"static name out of range", "3f45 ff24 00"},
		{"dynamic name in empty table", "3f45 80 00"},
		{"duplicate in empty table", "3f45 00"},
		{"duplicate past insert count", "3f45 c0 00 01"},
		{"literal name too long", "3f45 5f50"}, // name of 31+80 bytes
		{"integer overflow", "3f45 3fffffffffffffffffff7f"},
	}
	for _, tt := range tests {
		d := NewDecoder(100, 0, 0)
		_, err := d.HandleEncoderStream(unhex(t, tt.in))
		wantCode(t, tt.name, err, ErrCodeEncoderStreamError)
	}
}

func TestEncoderStreamPartial(t *testing.T) {
	in := unhex(t, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468")
	d := NewDecoder(220, 0, 0)
	for i := range in {
		if _, err := d.HandleEncoderStream(in[i : i+1]); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if d.table.insertCount() != 2 || len(d.in) != 0 {
		t.Errorf("Insert Count %d, %d bytes buffered; want 2, 0", d.table.insertCount(), len(d.in))
	}
}

func TestDecoderStreamErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"ack of unknown stream", "84"},
		{"increment of zero", "00"},
		{"increment past inserts", "02"},
		{"integer overflow", "ffffffffffffffffffff7f"},
	}
	for _, tt := range tests {
		e := NewEncoder(220, 220, 1)
		e.index = func(HeaderField) bool { return true }
		if _, err := e.EncodeHeaders(nil, 0, []HeaderField{{Name: "a", Value: "b"}}); err != nil {
			t.Fatal(err)
		}
		err := e.HandleDecoderStream(unhex(t, tt.in))
		wantCode(t, tt.name, err, ErrCodeDecoderStreamError)
	}
}

// TestEncoderRespectsLimits checks that the encoder neither blocks more
// streams than allowed nor evicts entries that are unacknowledged or
// referenced.
func TestEncoderRespectsLimits(t *testing.T) {
	e := NewEncoder(100, 100, 1)
	e.index = func(HeaderField) bool { return true }
	f1 := []HeaderField{{Name: "x-a", Value: "1"}}
	b0, _ := e.EncodeHeaders(nil, 0, f1) // inserts x-a=1 and references it
	if b0[0] == 0 {
		t.Fatalf("stream 0 did not use the dynamic table: %x", b0)
	}
	// Stream 4 may not block too: x-a=1 is unacknowledged.
	b4, _ := e.EncodeHeaders(nil, 4, f1)
	if b4[0] != 0 {
		t.Errorf("stream 4 references an unacknowledged entry with the blocked-stream budget spent: %x", b4)
	}
	// The table (100 bytes) holds x-a=1 (36 bytes); x-b=2 fits, x-c=3
	// would need to evict x-a=1, which is unacknowledged.
	e.EncodeHeaders(nil, 8, []HeaderField{{Name: "x-b", Value: "2"}})
	e.EncodeHeaders(nil, 12, []HeaderField{{Name: "x-c", Value: "3"}})
	if e.table.dropped != 0 || e.table.insertCount() != 2 {
		t.Errorf("dropped %d, Insert Count %d; want 0, 2", e.table.dropped, e.table.insertCount())
	}
	// Acknowledge all inserts; x-a=1 is still referenced by stream 0.
	if err := e.HandleDecoderStream([]byte{0x02}); err != nil {
		t.Fatal(err)
	}
	e.EncodeHeaders(nil, 16, []HeaderField{{Name: "x-c", Value: "3"}})
	if e.table.dropped != 0 {
		t.Errorf("evicted a referenced entry")
	}
	// Stream 0 acknowledged: now x-a=1 can go.
	if err := e.HandleDecoderStream([]byte{0x80}); err != nil {
		t.Fatal(err)
	}
	e.EncodeHeaders(nil, 20, []HeaderField{{Name: "x-c", Value: "3"}})
	if e.table.dropped != 1 || e.table.insertCount() != 3 {
		t.Errorf("dropped %d, Insert Count %d; want 1, 3", e.table.dropped, e.table.insertCount())
	}
}

func TestEncoderNoDynamicTable(t *testing.T) {
	// The peer allows no table: nothing on the encoder stream, ever.
	e := NewEncoder(4096, 0, 100)
	for i := 0; i < 3; i++ {
		e.EncodeHeaders(nil, uint64(4*i), []HeaderField{{Name: ":authority", Value: "example.com"}, {Name: "user-agent", Value: "q"}})
	}
	if s := e.EncoderStream(); len(s) != 0 {
		t.Errorf("encoder stream = %x, want nothing", s)
	}
}

// TestLongValueTooLarge: one value longer than the whole limit is
// ErrFieldSectionTooLarge, not a connection error.
func TestLongValueTooLarge(t *testing.T) {
	e := NewEncoder(0, 0, 0)
	block, err := e.EncodeHeaders(nil, 0, []HeaderField{{Name: "x-big", Value: strings.Repeat("v", 5000)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewDecoder(0, 0, 1000).DecodeHeaders(0, block); err != ErrFieldSectionTooLarge {
		t.Errorf("err = %v, want ErrFieldSectionTooLarge", err)
	}
}

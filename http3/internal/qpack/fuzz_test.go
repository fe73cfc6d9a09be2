package qpack

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecodeHeaders feeds a decoder encoder stream data and then a field
// section. It must not panic, must fail only with ErrBlocked or an *Error,
// and what it decodes must survive re-encoding.
func FuzzDecodeHeaders(f *testing.F) {
	f.Add([]byte{}, unhex(f, "0000 510b 2f69 6e64 6578 2e68 746d 6c"))
	f.Add(unhex(f, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"), unhex(f, "0381 10 11"))
	f.Add(unhex(f, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468 4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565 02"), unhex(f, "0500 80 c1 81"))
	f.Add([]byte{}, unhex(f, "0000 d1 d7 50 8b a0e4 1d13 9d09 b8f3 4d33 2388 2f91 d35d 055c 87a7"))
	f.Fuzz(func(t *testing.T, enc, block []byte) {
		d := NewDecoder(220, 2, 4096)
		if _, err := d.HandleEncoderStream(enc); err != nil {
			var qe *Error
			if !errors.As(err, &qe) || qe.Code != ErrCodeEncoderStreamError {
				t.Fatalf("HandleEncoderStream: unexpected error %v", err)
			}
			return
		}
		fields, err := d.DecodeHeaders(0, block)
		if err != nil {
			var qe *Error
			if err != ErrBlocked && err != ErrFieldSectionTooLarge && (!errors.As(err, &qe) || qe.Code != ErrCodeDecompressionFailed) {
				t.Fatalf("DecodeHeaders: unexpected error %v", err)
			}
			return
		}
		e := NewEncoder(0, 0, 0)
		again, err := e.EncodeHeaders(nil, 0, fields)
		if err != nil {
			t.Fatal(err)
		}
		got, err := NewDecoder(0, 0, 0).DecodeHeaders(0, again)
		if err != nil {
			t.Fatalf("re-encoded section: %v", err)
		}
		if diff := cmp.Diff(fields, got, cmpEmpty); diff != "" {
			t.Fatalf("re-encoded section (-first +second):\n%s", diff)
		}
	})
}

// FuzzEncoderStream feeds a decoder encoder stream data whole and in two
// pieces: it must not panic, must fail only with an encoder stream
// error, and must reach the same table either way.
func FuzzEncoderStream(f *testing.F) {
	f.Add(unhex(f, "3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468"), 5)
	f.Add(unhex(f, "3fbd01 4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565 00 810d 6375 7374 6f6d 2d76 616c 7565 32"), 20)
	f.Add(unhex(f, "3f45 5f50"), 1)
	f.Fuzz(func(t *testing.T, in []byte, split int) {
		whole := NewDecoder(220, 0, 0)
		_, errWhole := whole.HandleEncoderStream(in)
		if errWhole != nil {
			var qe *Error
			if !errors.As(errWhole, &qe) || qe.Code != ErrCodeEncoderStreamError {
				t.Fatalf("unexpected error %v", errWhole)
			}
		}
		if split < 0 || split > len(in) {
			return
		}
		parts := NewDecoder(220, 0, 0)
		_, err := parts.HandleEncoderStream(bytes.Clone(in[:split]))
		if err == nil {
			_, err = parts.HandleEncoderStream(in[split:])
		}
		if (err == nil) != (errWhole == nil) {
			t.Fatalf("whole: %v; in two pieces: %v", errWhole, err)
		}
		if err != nil {
			return
		}
		if diff := cmp.Diff(whole.table.entries, parts.table.entries, cmpEmpty); diff != "" || whole.table.dropped != parts.table.dropped || whole.table.size > whole.table.capacity {
			t.Fatalf("tables differ (-whole +parts):\n%s", diff)
		}
	})
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmpopts.EquateEmpty()

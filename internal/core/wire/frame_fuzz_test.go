package wire

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseFrames parses a whole packet payload. Parsing never panics and
// fails only with a *TransportError, and every frame that parses encodes to
// Len() bytes that parse back to an equal frame.
func FuzzParseFrames(f *testing.F) {
	for _, tt := range roundTripFrames {
		f.Add(tt.f.Append(nil))
	}
	var payload []byte
	for _, tt := range roundTripFrames {
		if !runsToEnd(tt.f) {
			payload = tt.f.Append(payload)
		}
	}
	f.Add(payload)
	f.Fuzz(func(t *testing.T, b []byte) {
		var p, q FrameParser
		for len(b) > 0 {
			fr, n, err := p.Next(b)
			if err != nil {
				var te *TransportError
				if !errors.As(err, &te) {
					t.Fatalf("Next(%x): error %v is a %T, want *TransportError", b, err, err)
				}
				return
			}
			if n <= 0 || n > len(b) {
				t.Fatalf("Next(%x) consumed %d bytes", b, n)
			}
			enc := fr.Append(nil)
			if len(enc) != fr.Len() {
				t.Fatalf("%#v: Append wrote %d bytes, Len() = %d", fr, len(enc), fr.Len())
			}
			fr2, n2, err := q.Next(enc)
			if err != nil {
				t.Fatalf("%#v: reparse of %x: %v", fr, enc, err)
			}
			if n2 != fr.Len() {
				t.Fatalf("%#v: reparse consumed %d bytes, Len() = %d", fr, n2, fr.Len())
			}
			if diff := cmp.Diff(fr, fr2, frameCmp); diff != "" {
				t.Fatalf("reparse of %x differs (-first +second):\n%s", enc, diff)
			}
			b = b[n:]
		}
	})
}

package http3

import (
	"errors"
	"io"
	"testing"

	"github.com/quince-go/quic/internal/core/wire"
)

// FuzzFrameParser feeds arbitrary bytes to the frame reader and to the
// parsers of frame payloads: none may panic, buffer beyond its limits,
// or fail with anything but a connection *Error, and a clean end is io.EOF.
func FuzzFrameParser(f *testing.F) {
	seeds := [][]byte{
		appendSettingsFrame(nil, settings{qpackMaxTableCapacity: 4096, qpackBlockedStreams: 100, maxFieldSectionSize: 1 << 16}, 3),
		cat(appendFrame(nil, frameHeaders, []byte{0, 0, 0xd1, 0xd7}), appendFrame(nil, frameData, []byte("hello"))),
		appendGoAway(nil, 8),
		appendFrame(nil, frameCancelPush, []byte{1}),
		appendFrame(nil, frameMaxPushID, []byte{0x40, 9}),
		appendFrame(nil, framePushPromise, []byte{0, 0, 0}),
		appendFrame(nil, 0x21, []byte("grease")),
		appendFrame(nil, 0x06, nil),
		appendFrameHeader(nil, frameData, wire.MaxVarint),
		appendFrameHeader(nil, 0x21, wire.MaxVarint),
		{0xc0},
		{0x04, 0x02, 0x02, 0x00},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 1 << 12
		fr := newFrameReader(&chunkReader{b: b}, limit)
		for {
			fm, err := fr.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var h3err *Error
				if !errors.As(err, &h3err) || !h3err.Connection {
					t.Fatalf("error %v is not a connection *Error", err)
				}
				return
			}
			if uint64(len(fm.payload)) > limit && fm.typ != frameData {
				t.Fatalf("buffered %d bytes over the limit", len(fm.payload))
			}
			switch fm.typ {
			case frameData:
				if _, err := io.Copy(io.Discard, dataOnly{fr}); err != nil {
					var h3err *Error
					if !errors.As(err, &h3err) {
						t.Fatalf("DATA error %v is not an *Error", err)
					}
					return
				}
			case frameSettings:
				s, err := parseSettings(fm.payload)
				if err == nil {
					// What parses re-encodes to what parses the same.
					again, _ := readAllFrames(appendSettingsFrame(nil, s, 1), limit)
					if len(again) != 1 {
						t.Fatalf("re-encoded SETTINGS did not read back")
					}
					s2, err := parseSettings(again[0].payload)
					if err != nil || s2 != s {
						t.Fatalf("SETTINGS round trip: %+v, %+v, %v", s, s2, err)
					}
				}
			case frameGoAway, frameCancelPush, frameMaxPushID:
				if _, err := parseIDFrame(fm.typ, fm.payload); err != nil {
					var h3err *Error
					if !errors.As(err, &h3err) || h3err.Code != ErrCodeFrameError {
						t.Fatalf("id frame error %v", err)
					}
				}
			}
		}
	})
}

// chunkReader returns b a few bytes at a time, as a stream would.
type chunkReader struct {
	b []byte
	i int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	r.i++
	n := 1 + r.i%7
	if n > len(p) {
		n = len(p)
	}
	n = copy(p, r.b[:min(n, len(r.b))])
	r.b = r.b[n:]
	return n, nil
}

package http3

import (
	"bufio"
	"errors"
	"io"

	"github.com/quince-go/quic/internal/core/wire"
)

// Frame types, RFC 9114, Section 7.2.
const (
	frameData        = 0x00
	frameHeaders     = 0x01
	frameCancelPush  = 0x03
	frameSettings    = 0x04
	framePushPromise = 0x05
	frameGoAway      = 0x07
	frameMaxPushID   = 0x0d
)

// isHTTP2Frame reports whether t is a frame type of HTTP/2 that HTTP/3
// reserves: receiving one is a connection error of type
// H3_FRAME_UNEXPECTED (RFC 9114, Section 7.2.8).
func isHTTP2Frame(t uint64) bool {
	return t == 0x02 || t == 0x06 || t == 0x08 || t == 0x09
}

// isGrease reports whether v is a reserved value of the form 0x1f * N +
// 0x21, used for frame types, stream types, settings and error codes to
// exercise the rule that unknown values are ignored (RFC 9114, Sections
// 6.2.3, 7.2.8, 7.2.4.1 and 8.1).
func isGrease(v uint64) bool {
	return v >= 0x21 && (v-0x21)%0x1f == 0
}

// greaseValue returns a reserved value picked from n.
func greaseValue(n uint64) uint64 {
	return 0x1f*(n%(1<<20)) + 0x21
}

// Limits on the payloads this package buffers. A frame over its limit is a
// connection error of type H3_EXCESSIVE_LOAD (RFC 9114, Section 10.5);
// DATA and unknown frames are streamed or skipped, never buffered.
const (
	maxControlFrame = 16 << 10 // SETTINGS, GOAWAY, CANCEL_PUSH, MAX_PUSH_ID
	maxUnknownFrame = wire.MaxVarint
)

// appendFrameHeader appends the type and length of a frame.
func appendFrameHeader(b []byte, typ, length uint64) []byte {
	b = wire.AppendVarint(b, typ)
	return wire.AppendVarint(b, length)
}

// appendFrame appends a whole frame with payload p.
func appendFrame(b []byte, typ uint64, p []byte) []byte {
	b = appendFrameHeader(b, typ, uint64(len(p)))
	return append(b, p...)
}

// appendGoAway appends a GOAWAY frame carrying id (RFC 9114, Section 7.2.6).
func appendGoAway(b []byte, id uint64) []byte {
	b = appendFrameHeader(b, frameGoAway, uint64(wire.VarintLen(id)))
	return wire.AppendVarint(b, id)
}

// frame is one frame read by a frameReader. For DATA, only the header has
// been read: payload is nil and the frameReader's data left counts the
// payload still on the stream. For unknown types the payload was skipped.
type frame struct {
	typ     uint64
	length  uint64
	payload []byte
}

// frameReader reads HTTP/3 frames from a stream (RFC 9114, Section 7.1),
// bounding what it buffers.
type frameReader struct {
	r *bufio.Reader
	// maxHeaders bounds the payload of HEADERS and PUSH_PROMISE frames.
	maxHeaders uint64
	// dataLeft is what remains of the payload of the current DATA frame.
	dataLeft uint64
}

// frameReaderBuffer is the size of a frameReader's buffer. It holds frame
// headers and small reads; HEADERS payloads are read into a slice of their
// own and reads of DATA into the caller's buffer bypass it when they are at
// least as large, so a small buffer costs little, and every request stream
// has one.
const frameReaderBuffer = 1024

func newFrameReader(r io.Reader, maxHeaders uint64) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, frameReaderBuffer), maxHeaders: maxHeaders}
}

// errTruncated marks a stream that ended inside a frame or a varint.
var errTruncated = errors.New("http3: stream ended inside a frame")

// readVarint reads one variable-length integer (RFC 9000, Section 16).
// It returns io.EOF if the stream ends before its first byte and
// errTruncated if it ends inside it.
func readVarint(r *bufio.Reader) (uint64, error) {
	first, err := r.Peek(1)
	if err != nil {
		return 0, err
	}
	n := 1 << (first[0] >> 6)
	b, err := r.Peek(n)
	if err != nil {
		if err == io.EOF {
			err = errTruncated
		}
		return 0, err
	}
	v, _ := wire.ConsumeVarint(b)
	r.Discard(n)
	return v, nil
}

// next reads the next frame of a known type, skipping frames of unknown
// types (RFC 9114, Section 9) and whatever is left of a DATA frame. It
// returns io.EOF at a clean end of the stream, a connection *Error of
// type H3_FRAME_ERROR if the stream ends inside a frame or
// H3_EXCESSIVE_LOAD if a frame is over its limit, and stream errors as
// they come.
func (fr *frameReader) next() (frame, error) {
	if err := fr.skip(fr.dataLeft); err != nil {
		return frame{}, err
	}
	fr.dataLeft = 0
	for {
		typ, err := readVarint(fr.r)
		if err == io.EOF {
			return frame{}, io.EOF // a clean end between frames
		}
		if err != nil {
			return frame{}, fr.frameErr(err)
		}
		length, err := readVarint(fr.r)
		if err != nil {
			return frame{}, fr.frameErr(err)
		}
		var limit uint64
		switch typ {
		case frameData:
			fr.dataLeft = length
			return frame{typ: typ, length: length}, nil
		case frameHeaders, framePushPromise:
			limit = fr.maxHeaders
		case frameCancelPush, frameSettings, frameGoAway, frameMaxPushID:
			limit = maxControlFrame
		default:
			if isHTTP2Frame(typ) {
				return frame{}, connError(ErrCodeFrameUnexpected, "HTTP/2 frame type %#x", typ)
			}
			// RFC 9114, Section 9: unknown frame types are ignored.
			if err := fr.skip(length); err != nil {
				return frame{}, err
			}
			continue
		}
		if length > limit {
			return frame{}, connError(ErrCodeExcessiveLoad, "frame type %#x of %d bytes", typ, length)
		}
		p := make([]byte, length)
		if _, err := io.ReadFull(fr.r, p); err != nil {
			return frame{}, fr.frameErr(err)
		}
		return frame{typ: typ, length: length, payload: p}, nil
	}
}

// readData reads from the payload of the current DATA frame; it returns
// 0, nil when the payload is done.
func (fr *frameReader) readData(p []byte) (int, error) {
	if fr.dataLeft == 0 {
		return 0, nil
	}
	if uint64(len(p)) > fr.dataLeft {
		p = p[:fr.dataLeft]
	}
	n, err := fr.r.Read(p)
	fr.dataLeft -= uint64(n)
	if err != nil {
		return n, fr.frameErr(err)
	}
	return n, nil
}

// skip discards n bytes of a frame payload.
func (fr *frameReader) skip(n uint64) error {
	for n > 0 {
		chunk := n
		if chunk > 1<<30 {
			chunk = 1 << 30
		}
		m, err := fr.r.Discard(int(chunk))
		n -= uint64(m)
		if err != nil {
			return fr.frameErr(err)
		}
	}
	return nil
}

// frameErr converts an error met inside a frame: the stream ending there
// is a connection error of type H3_FRAME_ERROR (RFC 9114, Section 7.1).
func (fr *frameReader) frameErr(err error) error {
	if err == errTruncated || err == io.ErrUnexpectedEOF || err == io.EOF {
		return connError(ErrCodeFrameError, "stream ended inside a frame")
	}
	return err
}

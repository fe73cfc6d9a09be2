package http3

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/quince-go/quic"
)

// body reads the content of a message, the payloads of its DATA frames,
// and its trailer section (RFC 9114, Section 4.1). It serves as the Body
// of server requests and client responses.
type body struct {
	c      *conn
	st     *quic.Stream
	fr     *frameReader
	ctx    context.Context // bounds waits for blocked trailers
	client bool

	// contentLength is the declared length, -1 if none (RFC 9114,
	// Section 4.1.2: a mismatch is malformed).
	contentLength int64
	// trailer is filled from a trailing HEADERS frame.
	trailer *http.Header
	// onEnd runs once when the body ends, with io.EOF or the error.
	onEnd func(error)

	mu     sync.Mutex
	n      int64
	err    error
	closed bool
}

// Read reads content. It returns io.EOF once the peer's FIN came after a
// well-formed message, and an *Error for stream or connection errors.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.read(p)
	if err != nil && err != io.EOF && b.client && b.ctx.Err() != nil {
		// The request's context cancelled the stream.
		err = b.ctx.Err()
	}
	if err != nil {
		b.fail(err)
	}
	return n, err
}

// read runs under mu.
func (b *body) read(p []byte) (int, error) {
	for b.fr.dataLeft == 0 {
		f, err := b.fr.next()
		if err == io.EOF {
			if b.contentLength >= 0 && b.n != b.contentLength {
				return 0, malformed("content-length %d, got %d bytes", b.contentLength, b.n)
			}
			return 0, io.EOF
		}
		if err != nil {
			return 0, fromQUIC(err)
		}
		switch f.typ {
		case frameData:
			continue
		case frameHeaders:
			if err := b.readTrailers(f.payload); err != nil {
				return 0, err
			}
			continue
		case framePushPromise:
			if b.client {
				// No MAX_PUSH_ID was sent (RFC 9114, Section 7.2.5).
				return 0, connError(ErrCodeIDError, "PUSH_PROMISE without MAX_PUSH_ID")
			}
			return 0, connError(ErrCodeFrameUnexpected, "PUSH_PROMISE from a client")
		default:
			return 0, connError(ErrCodeFrameUnexpected, "frame type %#x on a request stream", f.typ)
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := b.fr.readData(p)
	b.n += int64(n)
	if b.contentLength >= 0 && b.n > b.contentLength {
		return n, malformed("content over content-length %d", b.contentLength)
	}
	if err != nil {
		return n, fromQUIC(err)
	}
	return n, nil
}

// readTrailers decodes the trailer section, after which only the end of
// the stream may come (RFC 9114, Section 4.1).
func (b *body) readTrailers(block []byte) error {
	fields, err := b.c.decodeHeaders(b.ctx, b.st.StreamID(), block)
	if err != nil {
		return err
	}
	m, err := parseFields(fields, trailerSection)
	if err != nil {
		return err
	}
	if *b.trailer == nil {
		*b.trailer = make(http.Header, len(m.header))
	}
	for k, vs := range m.header {
		(*b.trailer)[k] = vs
	}
	// Unknown frames may still come; DATA and HEADERS may not.
	for {
		f, err := b.fr.next()
		if err == io.EOF {
			if b.contentLength >= 0 && b.n != b.contentLength {
				return malformed("content-length %d, got %d bytes", b.contentLength, b.n)
			}
			return io.EOF
		}
		if err != nil {
			return fromQUIC(err)
		}
		return connError(ErrCodeFrameUnexpected, "frame type %#x after trailers", f.typ)
	}
}

// fail records the body's end. Connection errors close the connection;
// stream errors of this side abort the stream with their code (RFC 9114,
// Section 8). Runs under mu.
func (b *body) fail(err error) {
	if b.err != nil {
		return
	}
	b.err = err
	var h3err *Error
	if errors.As(err, &h3err) && !h3err.Remote {
		if h3err.Connection {
			b.c.abort(h3err)
		} else {
			b.st.CancelRead(uint64(h3err.Code))
			b.st.CancelWrite(uint64(h3err.Code))
		}
	}
	if b.onEnd != nil {
		b.onEnd(err)
	}
}

// Close stops reading. On a response body that did not reach its end it
// cancels the request, with H3_REQUEST_CANCELLED (RFC 9114, Section 4.1.1).
// On a request body, the server asks the client to stop sending with
// H3_NO_ERROR.
func (b *body) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		code := ErrCodeNoError
		if b.client {
			code = ErrCodeRequestCancelled
			b.st.CancelWrite(uint64(code))
		}
		b.st.CancelRead(uint64(code))
		b.err = errBodyClosed
		if b.onEnd != nil {
			b.onEnd(errBodyClosed)
		}
	}
	return nil
}

var errBodyClosed = errors.New("http3: read on closed body")

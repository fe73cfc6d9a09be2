package http3

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/quince-go/quic"
)

// sniffLen is how much content a responseWriter holds back before it sends
// the header section, to sniff Content-Type and, if the handler ends
// first, set Content-Length.
const sniffLen = 4096

// responseWriter is the http.ResponseWriter of one request stream. It
// sends the header section as a HEADERS frame, content as DATA frames,
// and declared trailers as a trailing HEADERS frame (RFC 9114, Section
// 4.1).
type responseWriter struct {
	c    *conn
	st   *quic.Stream
	w    sendBuffer
	head bool // a HEAD request: no content

	header      http.Header // the handler's
	sent        http.Header // header's copy when WriteHeader set the status
	status      int         // 0 until WriteHeader
	committed   bool        // the header section is in w
	pending     []byte
	written     int64
	declaredLen int64 // Content-Length set by the handler, or -1
	trailers    []string
	err         error
	hdrBuf      []byte
	// cancel, if set, ends the request's context when the stream fails
	// under a Write or Flush, as when the client sent STOP_SENDING.
	cancel context.CancelCauseFunc
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
)

func newResponseWriter(c *conn, st *quic.Stream, head bool) *responseWriter {
	return &responseWriter{
		c:           c,
		st:          st,
		w:           sendBuffer{st: st},
		head:        head,
		header:      make(http.Header),
		declaredLen: -1,
	}
}

// Header returns the header map; changes after the header section was
// sent affect only declared trailers.
func (rw *responseWriter) Header() http.Header { return rw.header }

// WriteHeader sets the status. Informational (1xx) statuses other than 101
// are sent at once, with the header fields set so far; a final status is
// sent with the first content or Flush.
func (rw *responseWriter) WriteHeader(code int) {
	if rw.status != 0 || rw.err != nil {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("http3: invalid WriteHeader code %d", code))
	}
	if code < 200 && code != http.StatusSwitchingProtocols {
		rw.writeFields(code, rw.header, nil)
		if rw.err == nil {
			rw.err = rw.w.Flush()
		}
		return
	}
	rw.status = code
	// As in net/http, later changes to the header map are not sent,
	// except for trailers.
	rw.sent = rw.header.Clone()
	if cl := rw.sent.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			rw.declaredLen = n
		} else {
			rw.sent.Del("Content-Length")
		}
	}
	for _, v := range rw.sent.Values("Trailer") {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				rw.trailers = append(rw.trailers, http.CanonicalHeaderKey(k))
			}
		}
	}
}

// bodyAllowed reports whether the status permits content (RFC 9110,
// Section 6.4.1).
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && (status < 100 || status > 199)
}

// Write writes content as DATA frames.
func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if rw.err != nil {
		return 0, rw.err
	}
	if !bodyAllowed(rw.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if rw.declaredLen >= 0 && rw.written+int64(len(p)) > rw.declaredLen {
		return 0, http.ErrContentLength
	}
	rw.written += int64(len(p))
	if rw.head {
		return len(p), nil
	}
	if !rw.committed {
		if len(rw.pending)+len(p) <= sniffLen {
			rw.pending = append(rw.pending, p...)
			return len(p), nil
		}
		rw.commit()
	}
	rw.writeData(p)
	if rw.err != nil {
		return 0, rw.err
	}
	return len(p), nil
}

// commit puts the header section and held-back content in w.
func (rw *responseWriter) commit() {
	if rw.committed {
		return
	}
	rw.committed = true
	if _, ok := rw.sent["Content-Type"]; !ok && rw.written > 0 && bodyAllowed(rw.status) {
		rw.sent.Set("Content-Type", http.DetectContentType(rw.pending))
	}
	if _, ok := rw.sent["Date"]; !ok {
		rw.sent.Set("Date", nowHTTP())
	}
	rw.writeFields(rw.status, rw.sent, func(k string) bool { return strings.HasPrefix(k, http.TrailerPrefix) })
	if len(rw.pending) > 0 {
		rw.writeData(rw.pending)
		rw.pending = nil
	}
}

// writeFields writes a HEADERS frame with :status and h.
func (rw *responseWriter) writeFields(status int, h http.Header, skip func(string) bool) {
	if rw.err != nil {
		return
	}
	fields := make([]field, 0, len(h)+1)
	if status != 0 {
		fields = append(fields, field{Name: ":status", Value: strconv.Itoa(status)})
	}
	fields = appendHeaderFields(fields, h, skip)
	b, err := rw.c.encodeHeaders(rw.hdrBuf[:0], rw.st.StreamID(), fields)
	if err != nil {
		rw.err = err
		return
	}
	rw.hdrBuf = b
	_, rw.err = rw.w.Write(b)
}

// writeData writes p as one DATA frame.
func (rw *responseWriter) writeData(p []byte) {
	if rw.err != nil || len(p) == 0 {
		return
	}
	var hdr [16]byte
	h := appendFrameHeader(hdr[:0], frameData, uint64(len(p)))
	if _, rw.err = rw.w.Write(h); rw.err == nil {
		_, rw.err = rw.w.Write(p)
	}
	if rw.err != nil {
		rw.streamFailed(rw.err)
	}
}

// streamFailed records err, a failure of the stream under a write, and
// ends the request's context with it: a handler that is not writing, or
// that ignores Write's error, learns from its context that the client
// cancelled.
func (rw *responseWriter) streamFailed(err error) {
	rw.err = fromQUIC(err)
	if rw.cancel != nil {
		rw.cancel(rw.err)
	}
}

// Flush sends the header section and the content written so far.
func (rw *responseWriter) Flush() { rw.FlushError() }

// FlushError is Flush that returns the stream's error.
func (rw *responseWriter) FlushError() error {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	rw.commit()
	if rw.err == nil {
		if err := rw.w.Flush(); err != nil {
			rw.streamFailed(err)
		}
	}
	return rw.err
}

// finish ends the response after the handler returned: the header section
// if not sent yet (with Content-Length when all content is known), the
// held-back content, the trailers, and the FIN.
func (rw *responseWriter) finish() error {
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	if !rw.committed && rw.declaredLen < 0 && bodyAllowed(rw.status) && !rw.head {
		if _, ok := rw.sent["Trailer"]; !ok {
			rw.sent.Set("Content-Length", strconv.FormatInt(rw.written, 10))
		}
	}
	rw.commit()
	if rw.declaredLen >= 0 && rw.written < rw.declaredLen && bodyAllowed(rw.status) && !rw.head && rw.err == nil {
		// A short body would be malformed (RFC 9114, Section 4.1.2).
		rw.err = fmt.Errorf("http3: handler wrote %d bytes of Content-Length %d", rw.written, rw.declaredLen)
		return rw.err
	}
	if tr := rw.trailerFields(); len(tr) > 0 {
		rw.writeFields(0, tr, nil)
	}
	if rw.err == nil {
		// The last of the response and the FIN go together.
		rw.err = rw.w.close()
	}
	return rw.err
}

// trailerFields collects the trailers: declared keys and keys with
// http.TrailerPrefix.
func (rw *responseWriter) trailerFields() http.Header {
	var tr http.Header
	for _, k := range rw.trailers {
		if vs, ok := rw.header[k]; ok {
			if tr == nil {
				tr = make(http.Header)
			}
			tr[k] = vs
		}
	}
	for k, vs := range rw.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			if tr == nil {
				tr = make(http.Header)
			}
			tr[http.CanonicalHeaderKey(strings.TrimPrefix(k, http.TrailerPrefix))] = vs
		}
	}
	return tr
}

// sendBufSize is how much of a response a sendBuffer holds before it
// writes to the stream.
const sendBufSize = 16 << 10

// sendBuffer gathers a response's frames for its stream, so that small
// frames share Writes (and packets), and so that close sends what is held
// with the FIN in one step. Its buffer grows to what is held, up to
// sendBufSize: a small response costs no large allocation.
type sendBuffer struct {
	st  *quic.Stream
	buf []byte
}

// Write holds p, writing the held bytes first when p does not fit; p of
// sendBufSize or more goes to the stream at once.
func (b *sendBuffer) Write(p []byte) (int, error) {
	if len(b.buf)+len(p) > sendBufSize {
		if err := b.Flush(); err != nil {
			return 0, err
		}
		if len(p) >= sendBufSize {
			return b.st.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what is held to the stream.
func (b *sendBuffer) Flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.st.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// close writes what is held and closes the stream for writing.
func (b *sendBuffer) close() error {
	_, err := b.st.WriteClose(b.buf)
	b.buf = nil
	return err
}

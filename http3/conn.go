package http3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/http3/internal/qpack"
	"github.com/quince-go/quic/internal/core/wire"
)

// Unidirectional stream types, RFC 9114, Section 6.2, and RFC 9204,
// Section 4.2.
const (
	streamControl      = 0x00
	streamPush         = 0x01
	streamQPACKEncoder = 0x02
	streamQPACKDecoder = 0x03
)

// limits are one endpoint's HTTP/3 settings and QPACK budget.
type limits struct {
	// maxFieldSectionSize bounds decoded header sections
	// (SETTINGS_MAX_FIELD_SECTION_SIZE).
	maxFieldSectionSize uint64
	// qpackCapacity is the dynamic table capacity the peer's encoder may
	// use (SETTINGS_QPACK_MAX_TABLE_CAPACITY), and the most this side's
	// encoder uses of the peer's.
	qpackCapacity uint64
	// qpackBlocked is SETTINGS_QPACK_BLOCKED_STREAMS.
	qpackBlocked uint64
}

// Defaults of limits.
const (
	defaultMaxFieldSectionSize = 1 << 20
	defaultQPACKCapacity       = 4096
	defaultQPACKBlocked        = 16
)

func makeLimits(maxHeaderBytes, qpackCapacity, qpackBlocked int) limits {
	l := limits{
		maxFieldSectionSize: defaultMaxFieldSectionSize,
		qpackCapacity:       defaultQPACKCapacity,
		qpackBlocked:        defaultQPACKBlocked,
	}
	if maxHeaderBytes > 0 {
		l.maxFieldSectionSize = uint64(maxHeaderBytes)
	}
	switch {
	case qpackCapacity > 0:
		l.qpackCapacity = uint64(qpackCapacity)
	case qpackCapacity < 0:
		l.qpackCapacity = 0
	}
	switch {
	case qpackBlocked > 0:
		l.qpackBlocked = uint64(qpackBlocked)
	case qpackBlocked < 0:
		l.qpackBlocked = 0
	}
	return l
}

// maxHeadersFrame bounds the encoded size of a HEADERS frame: a field
// section within the size limit encodes into less than twice its size.
func (l limits) maxHeadersFrame() uint64 {
	return 2*l.maxFieldSectionSize + 4096
}

// conn is the HTTP/3 state of one QUIC session that both the client and
// the server keep: the control and QPACK streams of both sides, SETTINGS,
// GOAWAY and the QPACK encoder and decoder.
type conn struct {
	s        *quic.Session
	isServer bool
	lim      limits

	ctrlMu sync.Mutex
	ctrl   *quic.Stream // this side's control stream

	encMu     sync.Mutex
	enc       *qpack.Encoder
	encStream *quic.Stream

	decMu     sync.Mutex
	dec       *qpack.Decoder
	decStream *quic.Stream
	// decPending holds decoder instructions not yet written; decTimer,
	// when set, writes them (see queueDecoder). Under decMu.
	decPending []byte
	decTimer   bool
	// decWriteMu keeps the writes of decPending in order.
	decWriteMu sync.Mutex
	// blocked holds a channel for each request stream whose field section
	// waits for dynamic table entries (RFC 9204, Section 2.1.2).
	blocked map[uint64]chan struct{}

	// tls is the session's TLS state, which the handshake fixed: taken
	// once (Session.ConnectionState is a call to the session's loop)
	// rather than for every request.
	tlsOnce sync.Once
	tls     tls.ConnectionState

	mu sync.Mutex
	// Which critical streams the peer opened (RFC 9114, Section 6.2.1;
	// RFC 9204, Section 4.2): a second one is H3_STREAM_CREATION_ERROR.
	peerControl, peerEncoder, peerDecoder bool
	peerSettings                          *settings
	settingsReady                         chan struct{}
	// goaway is the smallest ID of the peer's GOAWAY frames, or -1.
	goaway     int64
	goawayCh   chan struct{}
	maxPushID  int64 // the client's MAX_PUSH_ID, on a server
	onGoAwayFn func(id uint64)
}

// newConn starts HTTP/3 on s: it opens this side's control stream with
// SETTINGS and its QPACK streams (RFC 9114, Section 6.2: settings are
// sent at once, without waiting for the peer), a greased stream, and a
// goroutine that accepts the peer's unidirectional streams.
func newConn(ctx context.Context, s *quic.Session, isServer bool, lim limits) (*conn, error) {
	c := &conn{
		s:             s,
		isServer:      isServer,
		lim:           lim,
		enc:           qpack.NewEncoder(0, 0, 0),
		dec:           qpack.NewDecoder(lim.qpackCapacity, lim.qpackBlocked, lim.maxFieldSectionSize),
		blocked:       make(map[uint64]chan struct{}),
		settingsReady: make(chan struct{}),
		goaway:        -1,
		goawayCh:      make(chan struct{}),
		maxPushID:     -1,
	}
	open := func(typ uint64, first []byte) (*quic.Stream, error) {
		st, err := s.OpenUniStream(ctx)
		if err != nil {
			return nil, err
		}
		b := wire.AppendVarint(nil, typ)
		if _, err := st.Write(append(b, first...)); err != nil {
			return nil, err
		}
		return st, nil
	}
	grease := rand.Uint64N(1 << 16)
	var first []byte
	first = appendSettingsFrame(first, settings{
		qpackMaxTableCapacity: lim.qpackCapacity,
		qpackBlockedStreams:   lim.qpackBlocked,
		maxFieldSectionSize:   lim.maxFieldSectionSize,
	}, grease)
	// RFC 9114, Section 7.2.8: a reserved frame type, to be ignored.
	first = appendFrame(first, greaseValue(grease+1), []byte("quince"))
	var err error
	if c.ctrl, err = open(streamControl, first); err != nil {
		return nil, err
	}
	if c.encStream, err = open(streamQPACKEncoder, nil); err != nil {
		return nil, err
	}
	if c.decStream, err = open(streamQPACKDecoder, nil); err != nil {
		return nil, err
	}
	go c.greaseStream(grease)
	go c.acceptUni()
	return c, nil
}

// tlsState returns the session's TLS state. Sessions reach HTTP/3 with
// their handshake complete, after which the TLS state does not change.
func (c *conn) tlsState() tls.ConnectionState {
	c.tlsOnce.Do(func() { c.tls = c.s.ConnectionState().TLS })
	return c.tls
}

// greaseStream opens a stream of a reserved type (RFC 9114, Section
// 6.2.3) that the peer must ignore. It does not wait if the peer's
// stream limit leaves no room for it.
func (c *conn) greaseStream(n uint64) {
	ctx, cancel := context.WithCancel(c.s.Context())
	cancel() // only if a stream is available now
	st, err := c.s.OpenUniStream(ctx)
	if err != nil {
		return
	}
	b := wire.AppendVarint(nil, greaseValue(n+2))
	st.Write(append(b, "grease"...))
	st.CloseWrite()
}

// abort closes the connection with a connection error (RFC 9114, Section
// 8); other errors become H3_INTERNAL_ERROR.
func (c *conn) abort(err error) {
	var h3err *Error
	if !errors.As(err, &h3err) {
		h3err = connError(ErrCodeInternalError, "%v", err)
	}
	c.s.CloseWithError(uint64(h3err.Code), h3err.Reason)
}

// closing reports whether the session has ended.
func (c *conn) closing() bool {
	return c.s.Context().Err() != nil
}

// acceptUni takes the peer's unidirectional streams until the session
// ends.
func (c *conn) acceptUni() {
	ctx := c.s.Context()
	for {
		st, err := c.s.AcceptUniStream(ctx)
		if err != nil {
			return
		}
		go c.handleUni(st)
	}
}

// handleUni reads the type of a peer's unidirectional stream and serves
// it (RFC 9114, Section 6.2).
func (c *conn) handleUni(st *quic.Stream) {
	br := bufio.NewReader(st)
	typ, err := readVarint(br)
	if err != nil {
		// RFC 9114, Section 6.2: a stream may end before its type.
		st.CancelRead(uint64(ErrCodeNoError))
		return
	}
	dup := func(seen *bool) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		d := *seen
		*seen = true
		return d
	}
	switch typ {
	case streamControl:
		if dup(&c.peerControl) {
			c.abort(connError(ErrCodeStreamCreationError, "second control stream"))
			return
		}
		err = c.readControl(br)
	case streamQPACKEncoder:
		if dup(&c.peerEncoder) {
			c.abort(connError(ErrCodeStreamCreationError, "second QPACK encoder stream"))
			return
		}
		err = c.readEncoderStream(br)
	case streamQPACKDecoder:
		if dup(&c.peerDecoder) {
			c.abort(connError(ErrCodeStreamCreationError, "second QPACK decoder stream"))
			return
		}
		err = c.readDecoderStream(br)
	case streamPush:
		if c.isServer {
			// RFC 9114, Section 6.2.2: only servers push.
			c.abort(connError(ErrCodeStreamCreationError, "push stream from a client"))
		} else {
			// This client never sends MAX_PUSH_ID, so every push ID is
			// over its limit (RFC 9114, Section 4.6).
			c.abort(connError(ErrCodeIDError, "push stream without MAX_PUSH_ID"))
		}
		return
	default:
		// RFC 9114, Section 6.2: unknown and reserved types are
		// ignored; the sender is asked to stop.
		st.CancelRead(uint64(ErrCodeStreamCreationError))
		return
	}
	if c.closing() {
		return
	}
	var h3err *Error
	if !errors.As(err, &h3err) || !h3err.Connection {
		// RFC 9114, Section 6.2.1: closing a critical stream, by FIN or
		// reset, is a connection error.
		h3err = connError(ErrCodeClosedCriticalStream, "critical stream %#x ended: %v", typ, err)
	}
	c.abort(h3err)
}

// readControl reads the peer's control stream: SETTINGS first, then
// GOAWAY, MAX_PUSH_ID and CANCEL_PUSH (RFC 9114, Section 6.2.1). It
// returns when the stream or the connection fails.
func (c *conn) readControl(br *bufio.Reader) error {
	fr := newFrameReader(br, 0)
	f, err := fr.next()
	if err != nil {
		return err
	}
	if f.typ != frameSettings {
		return connError(ErrCodeMissingSettings, "control stream starts with frame type %#x", f.typ)
	}
	s, err := parseSettings(f.payload)
	if err != nil {
		return err
	}
	c.applySettings(s)
	for {
		f, err := fr.next()
		if err != nil {
			return err
		}
		switch f.typ {
		case frameGoAway:
			id, err := parseIDFrame(f.typ, f.payload)
			if err != nil {
				return err
			}
			if err := c.handleGoAway(id); err != nil {
				return err
			}
		case frameMaxPushID:
			id, err := parseIDFrame(f.typ, f.payload)
			if err != nil {
				return err
			}
			if !c.isServer {
				return connError(ErrCodeFrameUnexpected, "MAX_PUSH_ID from a server")
			}
			// RFC 9114, Section 7.2.7: MAX_PUSH_ID may not go down.
			c.mu.Lock()
			down := int64(id) < c.maxPushID
			c.maxPushID = int64(id)
			c.mu.Unlock()
			if down {
				return connError(ErrCodeIDError, "MAX_PUSH_ID went down")
			}
		case frameCancelPush:
			if _, err := parseIDFrame(f.typ, f.payload); err != nil {
				return err
			}
			if !c.isServer {
				// RFC 9114, Section 7.2.3: no push ID was allowed.
				return connError(ErrCodeIDError, "CANCEL_PUSH without MAX_PUSH_ID")
			}
			// A server that never pushes has nothing to cancel.
		default:
			// DATA, HEADERS, SETTINGS again, PUSH_PROMISE.
			return connError(ErrCodeFrameUnexpected, "frame type %#x on the control stream", f.typ)
		}
	}
}

// applySettings takes the peer's SETTINGS: its QPACK limits give this
// side's encoder a dynamic table (RFC 9204, Section 3.2.3).
func (c *conn) applySettings(s settings) {
	c.mu.Lock()
	c.peerSettings = &s
	c.mu.Unlock()
	capacity := min(c.lim.qpackCapacity, s.qpackMaxTableCapacity)
	if capacity > 0 {
		c.encMu.Lock()
		c.enc = qpack.NewEncoder(capacity, s.qpackMaxTableCapacity, s.qpackBlockedStreams)
		c.encMu.Unlock()
	}
	close(c.settingsReady)
}

// peerMaxFieldSectionSize returns the peer's SETTINGS_MAX_FIELD_SECTION_SIZE,
// 0 if it set none or its SETTINGS have not come.
func (c *conn) peerMaxFieldSectionSize() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.peerSettings == nil {
		return 0
	}
	return c.peerSettings.maxFieldSectionSize
}

// handleGoAway takes a GOAWAY (RFC 9114, Section 5.2): from a server it
// carries a client-initiated bidirectional stream ID, and IDs never go up.
func (c *conn) handleGoAway(id uint64) error {
	if !c.isServer && id%4 != 0 {
		return connError(ErrCodeIDError, "GOAWAY with stream ID %d", id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.goaway >= 0 && int64(id) > c.goaway {
		return connError(ErrCodeIDError, "GOAWAY ID went up from %d to %d", c.goaway, id)
	}
	first := c.goaway < 0
	c.goaway = int64(id)
	if first {
		close(c.goawayCh)
	}
	if c.onGoAwayFn != nil {
		c.onGoAwayFn(id)
	}
	return nil
}

// goneAway returns the ID of the peer's GOAWAY, or -1.
func (c *conn) goneAway() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.goaway
}

// sendGoAway sends GOAWAY with id on the control stream.
func (c *conn) sendGoAway(id uint64) error {
	c.ctrlMu.Lock()
	defer c.ctrlMu.Unlock()
	_, err := c.ctrl.Write(appendGoAway(nil, id))
	return err
}

// readEncoderStream feeds the peer's encoder stream to the decoder and
// wakes the request streams it unblocks.
func (c *conn) readEncoderStream(r io.Reader) error {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.decMu.Lock()
			unblocked, qerr := c.dec.HandleEncoderStream(buf[:n])
			for _, id := range unblocked {
				if ch, ok := c.blocked[id]; ok {
					close(ch)
					delete(c.blocked, id)
				}
			}
			if qerr == nil {
				c.queueDecoderLocked()
			}
			c.decMu.Unlock()
			if qerr != nil {
				return qpackError(ErrCodeQPACKEncoderStreamError, qerr)
			}
		}
		if err != nil {
			return err
		}
	}
}

// readDecoderStream feeds the peer's decoder stream to the encoder.
func (c *conn) readDecoderStream(r io.Reader) error {
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			c.encMu.Lock()
			qerr := c.enc.HandleDecoderStream(buf[:n])
			c.encMu.Unlock()
			if qerr != nil {
				return qpackError(ErrCodeQPACKDecoderStreamError, qerr)
			}
		}
		if err != nil {
			return err
		}
	}
}

// qpackError makes a connection error of a QPACK failure, with the code
// the QPACK package chose or else code.
func qpackError(code ErrCode, err error) *Error {
	var qerr *qpack.Error
	if errors.As(err, &qerr) {
		code = ErrCode(qerr.Code)
	}
	return &Error{Code: code, Connection: true, Reason: err.Error(), err: err}
}

// encodeHeaders encodes fields for stream id as a HEADERS frame appended
// to b, after writing the encoder instructions it needs to the encoder
// stream, in order.
func (c *conn) encodeHeaders(b []byte, id int64, fields []field) ([]byte, error) {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	block, err := c.enc.EncodeHeaders(nil, uint64(id), fields)
	if err != nil {
		return nil, err
	}
	if ins := c.enc.EncoderStream(); len(ins) > 0 {
		if _, err := c.encStream.Write(ins); err != nil {
			return nil, err
		}
	}
	return appendFrame(b, frameHeaders, block), nil
}

// decodeHeaders decodes the field section of a HEADERS frame on stream id,
// waiting while it is blocked on dynamic table entries (RFC 9204, Section
// 2.1.2) until ctx ends. A field section over this side's size limit is a
// stream error (errHeadersTooLarge); other failures are connection errors.
func (c *conn) decodeHeaders(ctx context.Context, id int64, block []byte) ([]field, error) {
	for {
		c.decMu.Lock()
		fields, err := c.dec.DecodeHeaders(uint64(id), block)
		if err == qpack.ErrBlocked {
			ch := make(chan struct{})
			c.blocked[uint64(id)] = ch
			c.decMu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				c.decMu.Lock()
				delete(c.blocked, uint64(id))
				c.streamCancelledLocked(id)
				c.decMu.Unlock()
				return nil, ctx.Err()
			}
		}
		c.queueDecoderLocked()
		c.decMu.Unlock()
		if err != nil {
			if errors.Is(err, qpack.ErrFieldSectionTooLarge) {
				return nil, errHeadersTooLarge
			}
			return nil, qpackError(ErrCodeQPACKDecompressionFailed, err)
		}
		return fields, nil
	}
}

// errHeadersTooLarge is a field section over SETTINGS_MAX_FIELD_SECTION_SIZE.
var errHeadersTooLarge = streamError(ErrCodeMessageError, "field section too large")

// streamCancelled tells the decoder that stream id was abandoned before
// its field sections were decoded (RFC 9204, Section 4.4.2).
func (c *conn) streamCancelled(id int64) {
	c.decMu.Lock()
	c.streamCancelledLocked(id)
	c.decMu.Unlock()
}

func (c *conn) streamCancelledLocked(id int64) {
	c.dec.StreamCancelled(uint64(id))
	c.queueDecoderLocked()
}

// decoderDelay is how long decoder instructions may wait to be written,
// so that those of many field sections share a write and a packet rather
// than each request costing a packet of its own for its Section
// Acknowledgment. RFC 9204, Section 4.4.3, lets a decoder delay them to
// coalesce them; the peer's encoder meanwhile only references fewer of
// its newest entries.
const decoderDelay = 2 * time.Millisecond

// queueDecoderLocked takes the decoder's pending instructions for the
// decoder stream, which a timer writes within decoderDelay. decMu held.
func (c *conn) queueDecoderLocked() {
	ins := c.dec.DecoderStream()
	if len(ins) == 0 {
		return
	}
	c.decPending = append(c.decPending, ins...)
	if !c.decTimer {
		c.decTimer = true
		time.AfterFunc(decoderDelay, c.writeDecoder)
	}
}

// writeDecoder writes the queued decoder instructions. A failed write
// means the session is ending.
func (c *conn) writeDecoder() {
	c.decWriteMu.Lock()
	defer c.decWriteMu.Unlock()
	c.decMu.Lock()
	b := c.decPending
	c.decPending = nil
	c.decTimer = false
	c.decMu.Unlock()
	if len(b) > 0 {
		c.decStream.Write(b)
	}
}

package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/quince-go/quic"
)

// Transport is an http.RoundTripper that makes HTTP/3 requests. It keeps
// one QUIC session per authority (host:port) and sends concurrent requests
// on it; a session whose server sent GOAWAY takes no new requests, which
// go to a new session. Requests are cancelled, with H3_REQUEST_CANCELLED,
// when their context ends. Only "https" URLs are served. A Transport is
// safe for concurrent use and must not be copied after first use.
type Transport struct {
	// TLSClientConfig configures TLS; ALPN is always "h3". nil means the
	// defaults (the system roots).
	TLSClientConfig *tls.Config
	// QUICConfig configures the QUIC sessions; nil means the defaults.
	QUICConfig *quic.Config

	// MaxResponseHeaderBytes bounds the decoded size of a response's
	// header section, announced as SETTINGS_MAX_FIELD_SECTION_SIZE; zero
	// means 1 MiB.
	MaxResponseHeaderBytes int
	// QPACKTableCapacity and QPACKBlockedStreams are as on Server.
	QPACKTableCapacity  int
	QPACKBlockedStreams int

	mu     sync.Mutex
	dialer *quic.Dialer
	conns  map[string]*clientConn
}

var _ http.RoundTripper = (*Transport)(nil)

// errRetry marks a request that the server did not process (rejected, or
// after its GOAWAY), which may be sent again on another session.
var errRetry = errors.New("http3: request not processed; retry")

// RoundTrip sends req on the authority's session, dialing one if needed,
// and returns the response once its header section came. The response
// body streams; reading it to the end or closing it ends the request.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "https" || req.URL.Host == "" {
		closeBody(req)
		return nil, fmt.Errorf("http3: unsupported URL %v", req.URL)
	}
	const maxAttempts = 3
	for attempt := 1; ; attempt++ {
		cc, err := t.getConn(req.Context(), authorityAddr(req.URL.Host))
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := cc.roundTrip(req)
		if err == nil {
			return resp, nil
		}
		if !errors.Is(err, errRetry) || attempt == maxAttempts {
			return nil, err
		}
		// RFC 9114, Section 4.1.1: a rejected request may be retried.
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// authorityAddr adds the default port 443 to host.
func authorityAddr(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "443")
}

// getConn returns a session for addr that takes new requests, dialing one
// if none does. Waiters on a dial in progress share it.
func (t *Transport) getConn(ctx context.Context, addr string) (*clientConn, error) {
	t.mu.Lock()
	if t.conns == nil {
		t.conns = make(map[string]*clientConn)
	}
	cc := t.conns[addr]
	if cc != nil && !cc.usable() {
		delete(t.conns, addr)
		cc = nil
	}
	if cc == nil {
		dctx, cancel := context.WithCancel(context.Background())
		cc = &clientConn{t: t, addr: addr, ready: make(chan struct{}), cancelDial: cancel}
		t.conns[addr] = cc
		go cc.dial(dctx, t.getDialer())
	}
	t.mu.Unlock()
	select {
	case <-cc.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if cc.err != nil {
		t.forget(cc)
		return nil, cc.err
	}
	return cc, nil
}

// getDialer returns the Dialer whose sessions share a socket. t.mu held.
func (t *Transport) getDialer() *quic.Dialer {
	if t.dialer == nil {
		var conf *tls.Config
		if t.TLSClientConfig != nil {
			conf = t.TLSClientConfig.Clone()
		} else {
			conf = &tls.Config{}
		}
		conf.NextProtos = []string{NextProtoH3}
		t.dialer = &quic.Dialer{TLSConfig: conf, Config: t.QUICConfig}
	}
	return t.dialer
}

// forget removes cc from the pool if it is there.
func (t *Transport) forget(cc *clientConn) {
	t.mu.Lock()
	if t.conns[cc.addr] == cc {
		delete(t.conns, cc.addr)
	}
	t.mu.Unlock()
}

// CloseIdleConnections closes the sessions that have no request in flight.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	var idle []*clientConn
	for addr, cc := range t.conns {
		select {
		case <-cc.ready:
		default:
			continue
		}
		if cc.err == nil && cc.inFlight() == 0 {
			idle = append(idle, cc)
			delete(t.conns, addr)
		}
	}
	t.mu.Unlock()
	for _, cc := range idle {
		cc.c.s.CloseWithError(uint64(ErrCodeNoError), "")
	}
}

// Close closes every session, with H3_NO_ERROR; requests in flight fail.
func (t *Transport) Close() error {
	t.mu.Lock()
	conns := t.conns
	t.conns = nil
	t.mu.Unlock()
	for _, cc := range conns {
		cc.cancelDial() // a dial in progress ends now, not at its handshake timeout
		<-cc.ready
		if cc.err == nil {
			cc.c.s.CloseWithError(uint64(ErrCodeNoError), "")
		}
	}
	return nil
}

// clientConn is one HTTP/3 session of a Transport.
type clientConn struct {
	t     *Transport
	addr  string
	ready chan struct{} // closed once dialed; then c or err is set
	c     *conn
	err   error
	// cancelDial ends the dial early; Close calls it.
	cancelDial context.CancelFunc

	mu     sync.Mutex
	active int
}

func (cc *clientConn) dial(ctx context.Context, d *quic.Dialer) {
	defer close(cc.ready)
	// The dial outlives the request that started it; the handshake's own
	// timeout bounds it, or the Transport's Close.
	s, err := d.DialContext(ctx, "udp", cc.addr)
	if err != nil {
		cc.err = err
		return
	}
	if alpn := s.ConnectionState().ALPN; alpn != NextProtoH3 {
		s.CloseWithError(uint64(ErrCodeGeneralProtocolError), "")
		cc.err = fmt.Errorf("http3: server chose ALPN %q", alpn)
		return
	}
	t := cc.t
	c, err := newConn(s.Context(), s, false, makeLimits(t.MaxResponseHeaderBytes, t.QPACKTableCapacity, t.QPACKBlockedStreams))
	if err != nil {
		s.CloseWithError(uint64(ErrCodeInternalError), "")
		cc.err = err
		return
	}
	cc.c = c
	go cc.watch()
}

// watch drops the session from the pool once it ends or its server sends
// GOAWAY (RFC 9114, Section 5.2), and closes it after GOAWAY once its
// last request is done.
func (cc *clientConn) watch() {
	select {
	case <-cc.c.s.Context().Done():
		cc.t.forget(cc)
		return
	case <-cc.c.goawayCh:
	}
	cc.t.forget(cc)
	cc.mu.Lock()
	idle := cc.active == 0
	cc.mu.Unlock()
	if idle {
		cc.c.s.CloseWithError(uint64(ErrCodeNoError), "")
	}
}

// usable reports whether the session may take a new request.
func (cc *clientConn) usable() bool {
	select {
	case <-cc.ready:
		return cc.err == nil && !cc.c.closing() && cc.c.goneAway() < 0
	default:
		return true // being dialed
	}
}

func (cc *clientConn) inFlight() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.active
}

// done ends one request; after GOAWAY the last one closes the session.
func (cc *clientConn) done() {
	cc.mu.Lock()
	cc.active--
	idle := cc.active == 0
	cc.mu.Unlock()
	if idle && cc.c.goneAway() >= 0 {
		cc.c.s.CloseWithError(uint64(ErrCodeNoError), "")
	}
}

// roundTrip sends req on a new request stream (RFC 9114, Section 4.1).
func (cc *clientConn) roundTrip(req *http.Request) (_ *http.Response, err error) {
	ctx := req.Context()
	c := cc.c
	if c.goneAway() >= 0 {
		return nil, errRetry
	}
	fields, err := requestFields(req)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if lim := c.peerMaxFieldSectionSize(); lim > 0 && fieldSectionSize(fields) > lim {
		closeBody(req)
		return nil, fmt.Errorf("http3: request header section over the server's limit of %d bytes", lim)
	}
	cc.mu.Lock()
	cc.active++
	cc.mu.Unlock()
	finished := false
	defer func() {
		if !finished {
			cc.done()
		}
	}()
	st, err := c.s.OpenStream(ctx)
	if err != nil {
		if c.closing() && ctx.Err() == nil {
			return nil, errRetry
		}
		return nil, err
	}
	id := st.StreamID()
	if g := c.goneAway(); g >= 0 && id >= g {
		st.CancelWrite(uint64(ErrCodeRequestCancelled))
		st.CancelRead(uint64(ErrCodeRequestCancelled))
		return nil, errRetry
	}
	// A request's context cancels its stream (RFC 9114, Section 4.1.1).
	stop := context.AfterFunc(ctx, func() {
		st.CancelWrite(uint64(ErrCodeRequestCancelled))
		st.CancelRead(uint64(ErrCodeRequestCancelled))
		c.streamCancelled(id)
	})
	defer func() {
		if !finished {
			stop()
		}
	}()
	frame, err := c.encodeHeaders(nil, id, fields)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	if hasBody {
		_, err = st.Write(frame)
	} else {
		// The header section and the FIN leave together.
		_, err = st.WriteClose(frame)
	}
	if err != nil {
		closeBody(req)
		return nil, cc.streamErr(ctx, err)
	}
	if hasBody {
		go cc.writeBody(st, req)
	}

	fr := newFrameReader(st, c.lim.maxHeadersFrame())
	var m *message
	for m == nil {
		f, err := fr.next()
		if err == io.EOF {
			err = streamError(ErrCodeRequestIncomplete, "stream ended without a response")
		}
		if err != nil {
			return nil, cc.fail(ctx, st, err)
		}
		switch f.typ {
		case frameHeaders:
		case framePushPromise:
			return nil, cc.fail(ctx, st, connError(ErrCodeIDError, "PUSH_PROMISE without MAX_PUSH_ID"))
		default:
			return nil, cc.fail(ctx, st, connError(ErrCodeFrameUnexpected, "response starts with frame type %#x", f.typ))
		}
		fields, err := c.decodeHeaders(ctx, id, f.payload)
		if err != nil {
			return nil, cc.fail(ctx, st, err)
		}
		rm, err := parseFields(fields, responseSection)
		if err != nil {
			return nil, cc.fail(ctx, st, err)
		}
		if rm.status >= 200 {
			m = rm
		}
		// Interim responses (1xx) are skipped (RFC 9114, Section 4.1).
	}

	resp := &http.Response{
		Status:        strconv.Itoa(m.status) + " " + http.StatusText(m.status),
		StatusCode:    m.status,
		Proto:         "HTTP/3.0",
		ProtoMajor:    3,
		Header:        m.header,
		ContentLength: m.contentLength,
		Request:       req,
	}
	tlsState := c.tlsState()
	resp.TLS = &tlsState
	for _, v := range m.header.Values("Trailer") {
		if resp.Trailer == nil {
			resp.Trailer = make(http.Header)
		}
		for _, k := range splitList(v) {
			resp.Trailer[http.CanonicalHeaderKey(k)] = nil
		}
	}
	b := &body{
		c:             c,
		st:            st,
		fr:            fr,
		ctx:           ctx,
		client:        true,
		contentLength: m.contentLength,
		trailer:       &resp.Trailer,
	}
	if req.Method == http.MethodHead || !bodyAllowed(m.status) {
		// RFC 9114, Section 4.1.2: such responses have no content
		// whatever their Content-Length says.
		b.contentLength = -1
	}
	finished = true
	var once sync.Once
	b.onEnd = func(error) {
		once.Do(func() {
			stop()
			cc.done()
		})
	}
	resp.Body = b
	return resp, nil
}

// fail ends a request on a read error and returns the error RoundTrip
// returns: ctx's error if it ended, errRetry if the server rejected it.
func (cc *clientConn) fail(ctx context.Context, st *quic.Stream, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err = fromQUIC(err)
	var h3err *Error
	if errors.As(err, &h3err) {
		switch {
		case h3err.Remote && !h3err.Connection && h3err.Code == ErrCodeRequestRejected:
			return fmt.Errorf("%w: %w", errRetry, err)
		case h3err.Connection && !h3err.Remote:
			cc.c.abort(h3err)
		case !h3err.Remote:
			st.CancelRead(uint64(h3err.Code))
			st.CancelWrite(uint64(h3err.Code))
		}
	}
	st.CancelRead(uint64(ErrCodeRequestCancelled))
	st.CancelWrite(uint64(ErrCodeRequestCancelled))
	cc.c.streamCancelled(st.StreamID())
	if cc.c.closing() && errors.Is(err, context.Canceled) {
		return errRetry
	}
	return err
}

// streamErr converts a write error of the request's stream.
func (cc *clientConn) streamErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fromQUIC(err)
}

// writeBody sends the request body as DATA frames, then its trailers and
// the FIN. A failing body cancels the request.
func (cc *clientConn) writeBody(st *quic.Stream, req *http.Request) {
	defer req.Body.Close()
	const hdrRoom = 9
	buf := make([]byte, hdrRoom+32<<10)
	for {
		n, rerr := req.Body.Read(buf[hdrRoom:])
		if n > 0 {
			var h [hdrRoom]byte
			hdr := appendFrameHeader(h[:0], frameData, uint64(n))
			start := hdrRoom - len(hdr)
			copy(buf[start:], hdr)
			if _, err := st.Write(buf[start : hdrRoom+n]); err != nil {
				// The server stopped reading, or the request ended.
				return
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			st.CancelWrite(uint64(ErrCodeRequestCancelled))
			return
		}
	}
	if len(req.Trailer) > 0 {
		fields := appendHeaderFields(nil, req.Trailer, nil)
		frame, err := cc.c.encodeHeaders(nil, st.StreamID(), fields)
		if err != nil {
			st.CancelWrite(uint64(ErrCodeInternalError))
			return
		}
		if _, err := st.Write(frame); err != nil {
			return
		}
	}
	st.CloseWrite()
}

// requestFields builds the header section of req (RFC 9114, Section
// 4.3.1).
func requestFields(req *http.Request) ([]field, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	for i := 0; i < len(method); i++ {
		if !isTokenChar(method[i]) {
			return nil, fmt.Errorf("http3: invalid method %q", method)
		}
	}
	if !validValue(host) || host == "" {
		return nil, fmt.Errorf("http3: invalid host %q", host)
	}
	fields := make([]field, 0, 4+len(req.Header))
	fields = append(fields, field{Name: ":method", Value: method})
	if method != http.MethodConnect {
		path := req.URL.RequestURI()
		if path == "" {
			path = "/"
		}
		if !validValue(path) {
			return nil, fmt.Errorf("http3: invalid path %q", path)
		}
		fields = append(fields,
			field{Name: ":scheme", Value: "https"},
			field{Name: ":authority", Value: host},
			field{Name: ":path", Value: path})
	} else {
		fields = append(fields, field{Name: ":authority", Value: host})
	}
	for k, vs := range req.Header {
		if !validName(strings.ToLower(k)) {
			return nil, fmt.Errorf("http3: invalid header field name %q", k)
		}
		for _, v := range vs {
			if !validValue(strings.TrimSpace(v)) {
				return nil, fmt.Errorf("http3: invalid value of header field %q", k)
			}
		}
	}
	fields = appendHeaderFields(fields, req.Header, func(k string) bool {
		return k == "Content-Length" || k == "Trailer"
	})
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case req.ContentLength > 0:
		fields = append(fields, field{Name: "content-length", Value: strconv.FormatInt(req.ContentLength, 10)})
	case req.ContentLength == 0 && !hasBody && (method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch):
		fields = append(fields, field{Name: "content-length", Value: "0"})
	}
	if len(req.Trailer) > 0 {
		keys := make([]string, 0, len(req.Trailer))
		for k := range req.Trailer {
			keys = append(keys, strings.ToLower(k))
		}
		fields = append(fields, field{Name: "trailer", Value: strings.Join(keys, ", ")})
	}
	return fields, nil
}

package http3

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/quince-go/quic"
)

// NextProtoH3 is the ALPN protocol identifier of HTTP/3 (RFC 9114,
// Section 3.1).
const NextProtoH3 = "h3"

// Server serves HTTP/3 requests with an http.Handler. Its zero value with
// a Handler is ready to Serve; ListenAndServe also needs Addr and
// TLSConfig. A Server must not be copied after first use.
type Server struct {
	// Addr is the UDP address ListenAndServe listens on ("host:port");
	// empty means ":443".
	Addr string
	// Handler serves each request; nil means http.DefaultServeMux.
	Handler http.Handler
	// TLSConfig is used by ListenAndServe; "h3" is added to its NextProtos
	// if absent.
	TLSConfig *tls.Config
	// QUICConfig configures the QUIC sessions of ListenAndServe; nil
	// means the defaults.
	QUICConfig *quic.Config

	// MaxHeaderBytes bounds the decoded size of a request's header
	// section (RFC 9114, Section 4.2.2), announced to clients as
	// SETTINGS_MAX_FIELD_SECTION_SIZE. Larger requests are answered with
	// 431. Zero means 1 MiB.
	MaxHeaderBytes int
	// QPACKTableCapacity is the QPACK dynamic table capacity clients may
	// use and the most this server uses of theirs (RFC 9204, Section
	// 3.2.3); zero means 4096, negative means no dynamic table.
	QPACKTableCapacity int
	// QPACKBlockedStreams is how many request streams may wait for QPACK
	// encoder instructions (SETTINGS_QPACK_BLOCKED_STREAMS); zero means
	// 16, negative none.
	QPACKBlockedStreams int

	// ErrorLog logs handler panics and failed connections; nil means the
	// log package's standard logger.
	ErrorLog *log.Logger

	mu        sync.Mutex
	listeners map[*quic.Listener]struct{}
	conns     map[*serverConn]struct{}
	closing   bool
	done      chan struct{} // closed by Shutdown and Close
}

// ListenAndServe listens on s.Addr with s.TLSConfig and serves HTTP/3
// until Shutdown or Close; it then returns http.ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if s.TLSConfig == nil {
		return errors.New("http3: ListenAndServe needs a TLSConfig")
	}
	return s.listenAndServe(s.TLSConfig.Clone())
}

// ListenAndServeTLS is ListenAndServe with the certificate and key of
// certFile and keyFile (PEM).
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	var conf *tls.Config
	if s.TLSConfig != nil {
		conf = s.TLSConfig.Clone()
	} else {
		conf = &tls.Config{}
	}
	conf.Certificates = []tls.Certificate{cert}
	return s.listenAndServe(conf)
}

// ListenAndServe serves HTTP/3 on the UDP address addr with handler (nil
// means http.DefaultServeMux), using the certificate and key of certFile
// and keyFile (PEM). It always returns a non-nil error.
func ListenAndServe(addr, certFile, keyFile string, handler http.Handler) error {
	s := &Server{Addr: addr, Handler: handler}
	return s.ListenAndServeTLS(certFile, keyFile)
}

func (s *Server) listenAndServe(conf *tls.Config) error {
	if !hasProto(conf.NextProtos, NextProtoH3) {
		conf.NextProtos = append(conf.NextProtos, NextProtoH3)
	}
	addr := s.Addr
	if addr == "" {
		addr = ":443"
	}
	l, err := quic.Listen("udp", addr, conf, s.QUICConfig)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

func hasProto(list []string, p string) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}

// Serve accepts sessions on l and serves HTTP/3 on each, until Shutdown
// or Close (then it returns http.ErrServerClosed) or l fails. The
// listener's TLS configuration must offer ALPN "h3"; sessions that
// negotiated another protocol are closed. Shutdown and Close close l.
func (s *Server) Serve(l *quic.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return http.ErrServerClosed
	}
	s.init()
	s.listeners[l] = struct{}{}
	done := s.done
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		sess, err := l.Accept(ctx)
		if err != nil {
			select {
			case <-done:
				return http.ErrServerClosed
			default:
			}
			s.mu.Lock()
			delete(s.listeners, l)
			s.mu.Unlock()
			return err
		}
		if sess.ConnectionState().ALPN != NextProtoH3 {
			sess.CloseWithError(uint64(ErrCodeGeneralProtocolError), "ALPN is not h3")
			continue
		}
		go s.ServeSession(sess)
	}
}

func (s *Server) init() {
	if s.listeners == nil {
		s.listeners = make(map[*quic.Listener]struct{})
		s.conns = make(map[*serverConn]struct{})
		s.done = make(chan struct{})
	}
}

// ServeSession serves HTTP/3 on one session whose handshake negotiated
// ALPN "h3", which lets a program that speaks several protocols on one
// Listener hand the HTTP/3 sessions over. It returns when the session
// ends.
func (s *Server) ServeSession(sess *quic.Session) error {
	s.mu.Lock()
	s.init()
	if s.closing {
		s.mu.Unlock()
		sess.CloseWithError(uint64(ErrCodeNoError), "server closed")
		return http.ErrServerClosed
	}
	s.mu.Unlock()
	c, err := newConn(sess.Context(), sess, true, makeLimits(s.MaxHeaderBytes, s.QPACKTableCapacity, s.QPACKBlockedStreams))
	if err != nil {
		sess.CloseWithError(uint64(ErrCodeInternalError), "")
		return err
	}
	sc := &serverConn{srv: s, c: c, idle: make(chan struct{})}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sess.CloseWithError(uint64(ErrCodeNoError), "server closed")
		return http.ErrServerClosed
	}
	s.conns[sc] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
	}()
	return sc.serve()
}

// Shutdown shuts the server down gracefully: it stops accepting sessions,
// sends GOAWAY on every session (RFC 9114, Section 5.2) so that clients
// send new requests elsewhere, waits until the requests in flight are
// answered or ctx ends, then closes the sessions with H3_NO_ERROR and the
// listeners. It returns ctx's error if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	s.mu.Unlock()

	for _, sc := range conns {
		sc.goAway()
	}
	var err error
	for _, sc := range conns {
		select {
		case <-sc.idle:
		case <-sc.c.s.Context().Done():
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		// The last responses may not have reached the clients yet, and
		// closing a session discards what is unacknowledged: give the
		// clients, which close idle sessions after GOAWAY, a moment to do
		// so first.
		linger := time.NewTimer(shutdownLinger)
		defer linger.Stop()
		for _, sc := range conns {
			select {
			case <-sc.c.s.Context().Done():
				continue
			case <-ctx.Done():
				err = ctx.Err()
			case <-linger.C:
			}
			break
		}
	}
	s.closeAll()
	return err
}

// shutdownLinger bounds how long Shutdown waits for clients to close their
// sessions once their requests are done.
const shutdownLinger = 2 * time.Second

// Close closes the listeners and every session at once, with H3_NO_ERROR;
// requests in flight fail.
func (s *Server) Close() error {
	s.mu.Lock()
	s.init()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	s.mu.Unlock()
	s.closeAll()
	return nil
}

func (s *Server) closeAll() {
	s.mu.Lock()
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		conns = append(conns, sc)
	}
	ls := make([]*quic.Listener, 0, len(s.listeners))
	for l := range s.listeners {
		ls = append(ls, l)
	}
	clear(s.listeners)
	s.mu.Unlock()
	for _, sc := range conns {
		sc.c.s.CloseWithError(uint64(ErrCodeNoError), "")
	}
	for _, l := range ls {
		l.Close()
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
	} else {
		log.Printf(format, args...)
	}
}

func nowHTTP() string { return time.Now().UTC().Format(http.TimeFormat) }

// serverConn is one HTTP/3 session of a Server.
type serverConn struct {
	srv *Server
	c   *conn

	mu sync.Mutex
	// maxID is the highest request stream ID taken, -1 before any.
	maxID    int64
	active   int
	goaway   int64 // the ID of this side's GOAWAY, -1 before it
	idle     chan struct{}
	idleDone bool
}

// serve accepts request streams until the session ends.
func (sc *serverConn) serve() error {
	sc.maxID, sc.goaway = -4, -1
	ctx := sc.c.s.Context()
	for {
		st, err := sc.c.s.AcceptStream(ctx)
		if err != nil {
			sc.mu.Lock()
			if !sc.idleDone {
				sc.idleDone = true
				close(sc.idle)
			}
			sc.mu.Unlock()
			return context.Cause(ctx)
		}
		sc.mu.Lock()
		if sc.goaway >= 0 && st.StreamID() >= sc.goaway {
			sc.mu.Unlock()
			// RFC 9114, Section 5.2: requests at or past the GOAWAY ID
			// are rejected unprocessed; the client may retry them.
			st.CancelRead(uint64(ErrCodeRequestRejected))
			st.CancelWrite(uint64(ErrCodeRequestRejected))
			continue
		}
		sc.maxID = max(sc.maxID, st.StreamID())
		sc.active++
		sc.mu.Unlock()
		go func() {
			sc.handle(st)
			sc.mu.Lock()
			sc.active--
			if sc.active == 0 && sc.goaway >= 0 && !sc.idleDone {
				sc.idleDone = true
				close(sc.idle)
			}
			sc.mu.Unlock()
		}()
	}
}

// goAway sends GOAWAY with the ID after the last request taken; idle is
// closed once no request is in flight.
func (sc *serverConn) goAway() {
	sc.mu.Lock()
	if sc.goaway >= 0 {
		sc.mu.Unlock()
		return
	}
	sc.goaway = sc.maxID + 4
	id := sc.goaway
	if sc.active == 0 && !sc.idleDone {
		sc.idleDone = true
		close(sc.idle)
	}
	sc.mu.Unlock()
	sc.c.sendGoAway(uint64(id))
}

// handle serves one request stream (RFC 9114, Section 4.1).
func (sc *serverConn) handle(st *quic.Stream) {
	c := sc.c
	fr := newFrameReader(st, c.lim.maxHeadersFrame())
	f, err := fr.next()
	if err != nil {
		if err == io.EOF {
			// RFC 9114, Section 4.1: a stream that ends without a
			// complete request.
			err = streamError(ErrCodeRequestIncomplete, "no HEADERS")
		}
		sc.fail(st, err)
		return
	}
	switch f.typ {
	case frameHeaders:
	case framePushPromise:
		sc.fail(st, connError(ErrCodeFrameUnexpected, "PUSH_PROMISE from a client"))
		return
	default:
		sc.fail(st, connError(ErrCodeFrameUnexpected, "request stream starts with frame type %#x", f.typ))
		return
	}
	ctx, cancel := context.WithCancelCause(c.s.Context())
	defer cancel(context.Canceled)
	// A client that gives up resets the request stream or stops it
	// (RFC 9114, Section 4.1.1): the handler's context ends then, even if
	// it is neither reading the body nor writing.
	stopWatch := context.AfterFunc(st.Context(), func() {
		var se *quic.StreamError
		if errors.As(context.Cause(st.Context()), &se) && se.Remote {
			cancel(&Error{Code: ErrCode(se.ErrorCode), Remote: true, Reason: "client cancelled the request"})
		}
	})
	defer stopWatch()
	fields, err := c.decodeHeaders(ctx, st.StreamID(), f.payload)
	if err == errHeadersTooLarge {
		sc.reject(st, http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	if err != nil {
		sc.fail(st, err)
		return
	}
	m, err := parseFields(fields, requestSection)
	if err != nil {
		sc.fail(st, err)
		return
	}
	u, err := requestURL(m)
	if err != nil {
		sc.fail(st, err)
		return
	}
	req := &http.Request{
		Method:        m.method,
		URL:           u,
		Proto:         "HTTP/3.0",
		ProtoMajor:    3,
		Header:        m.header,
		ContentLength: m.contentLength,
		Host:          u.Host,
		RemoteAddr:    c.s.RemoteAddr().String(),
		RequestURI:    m.path,
	}
	if m.method == http.MethodConnect {
		req.RequestURI = m.authority
	}
	req.Header.Del("Host")
	tlsState := c.tlsState()
	req.TLS = &tlsState
	if vs := req.Header.Values("Trailer"); len(vs) > 0 {
		req.Trailer = make(http.Header)
		for _, v := range vs {
			for _, k := range splitList(v) {
				req.Trailer[http.CanonicalHeaderKey(k)] = nil
			}
		}
	}
	b := &body{
		c:             c,
		st:            st,
		fr:            fr,
		ctx:           ctx,
		contentLength: m.contentLength,
		trailer:       &req.Trailer,
		onEnd: func(err error) {
			if err != io.EOF && err != errBodyClosed {
				cancel(err)
			}
		},
	}
	req.Body = b
	if m.contentLength == 0 {
		req.Body = http.NoBody
	}
	// What the handler left unread the client need not send (RFC 9114,
	// Section 4.1).
	defer b.Close()
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.s.LocalAddr())
	ctx = context.WithValue(ctx, sessionContextKey{}, c.s)
	req = req.WithContext(ctx)
	rw := newResponseWriter(c, st, m.method == http.MethodHead)
	rw.cancel = cancel
	if !sc.serveHTTP(rw, req, st) {
		return
	}
	if err := rw.finish(); err != nil {
		cancel(err)
		var h3err *Error
		if !errors.As(err, &h3err) {
			st.CancelWrite(uint64(ErrCodeInternalError))
		}
	}
}

// serveHTTP runs the handler; a panic resets the stream with
// H3_INTERNAL_ERROR and returns false.
func (sc *serverConn) serveHTTP(rw *responseWriter, req *http.Request, st *quic.Stream) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			if p != http.ErrAbortHandler {
				buf := make([]byte, 64<<10)
				buf = buf[:runtime.Stack(buf, false)]
				sc.srv.logf("http3: panic serving %v: %v\n%s", req.RemoteAddr, p, buf)
			}
			st.CancelRead(uint64(ErrCodeInternalError))
			st.CancelWrite(uint64(ErrCodeInternalError))
			ok = false
		}
	}()
	h := sc.srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	h.ServeHTTP(rw, req)
	return true
}

// fail ends a request stream on err: a connection error closes the
// session; a stream error resets both directions with its code.
func (sc *serverConn) fail(st *quic.Stream, err error) {
	var h3err *Error
	if !errors.As(err, &h3err) {
		// The stream or session failed under us.
		st.CancelRead(uint64(ErrCodeRequestCancelled))
		st.CancelWrite(uint64(ErrCodeRequestCancelled))
		return
	}
	if h3err.Connection {
		sc.c.abort(h3err)
		return
	}
	if h3err.Remote {
		return
	}
	st.CancelRead(uint64(h3err.Code))
	st.CancelWrite(uint64(h3err.Code))
}

// reject answers a request the server will not read with status.
func (sc *serverConn) reject(st *quic.Stream, status int) {
	st.CancelRead(uint64(ErrCodeNoError))
	rw := newResponseWriter(sc.c, st, false)
	rw.WriteHeader(status)
	rw.finish()
}

// sessionContextKey is the key of a request context's *quic.Session.
type sessionContextKey struct{}

// SessionFromContext returns the QUIC session a request handled by a
// Server came on, from the request's context.
func SessionFromContext(ctx context.Context) (*quic.Session, bool) {
	s, ok := ctx.Value(sessionContextKey{}).(*quic.Session)
	return s, ok
}

func splitList(v string) []string {
	var out []string
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/mux"
	"github.com/quince-go/quic/internal/qlog"
	"github.com/quince-go/quic/internal/timer"
)

// Session is a QUIC connection. One goroutine, started with the session,
// owns its core state; the methods of Session and Stream hand work to it
// and wait for its signals. The methods are safe for concurrent use.
type Session struct {
	mux     *mux.Mux
	release func() // a Dialer's hold on its socket, dropped when the session ends
	// l is the Listener whose socket the session uses, or nil: the one
	// that accepted it or, for a client session, that dialed it.
	l    *Listener
	conf *Config // may be nil

	inbox chan *mux.Datagram
	ops   chan *op

	// Signals from the loop; each holds at most one pending wake-up.
	acceptBidi, acceptUni chan struct{}
	openBidi, openUni     chan struct{}
	datagrams             chan struct{}

	handshakeDone chan struct{} // closed when the handshake completes
	closed        chan struct{} // closed when the session ends; err is set first
	loopDone      chan struct{} // closed when the loop goroutine returns
	abort         chan struct{} // closed to end the loop at once, as a failed Dial does
	err           error

	ctx    context.Context
	cancel context.CancelCauseFunc

	stateMu sync.Mutex
	state   ConnectionState
	peer    netip.AddrPort // where datagrams go; changes with the path
	local   netip.AddrPort // the socket's address; changes with Migrate
	stats   Stats          // the last Stats, kept when the session ends

	// Fixed before the loop starts.
	keepAlive   time.Duration // Config.KeepAlivePeriod; capped at handshake
	idleTimeout time.Duration // Config.MaxIdleTimeout, 0 for the default
	tokens      TokenStore    // a client's Config.TokenStore, or nil
	serverName  string        // a client's TLS server name, for tokens
	unvalidated *atomic.Int64 // a Listener's count this session is in, or nil
	logger      *slog.Logger  // Config.Logger, or nil
	odcid       []byte        // names the session in logs and its trace
	trace       *qlog.Tracer  // the qlog trace, or nil

	// Owned by the loop goroutine.
	conn             *core.Conn
	streams          map[int64]*Stream
	connIDs          map[string]struct{} // registered with the mux
	origDCID         []byte              // a server's registration of the client's first DCID
	peerReg          bool                // peer address registered with the mux
	closedSent       bool                // closed is closed
	queued           bool                // handed to the Listener's accept queue
	sendBatch        *mux.Batch          // the datagrams of one flush, on s.mux
	timer            *timer.Timer
	hsDeadline       time.Time      // Config.HandshakeTimeout after the start; zero once complete
	lastRecv         time.Time      // when a datagram last arrived, for keep-alives
	peerAddr         netip.AddrPort // the loop's copy of peer
	mig              *migration     // a client's pending Migrate, or nil
	rejected0        bool           // the server rejected this client's 0-RTT
	keyUpdatesLogged uint64         // key updates logged so far

	// The server's preferred address (preferred.go). tokenPeer is the
	// dialed address, which names a client's tokens. wantPref: a client
	// moves to the server's preferred address once the handshake is
	// confirmed; it has probed it prefProbes times, and probes again at
	// prefRetryAt unless that is zero. A server session's
	// preferred-address socket is pref, or nil; its datagrams come in
	// prefInbox; onPref: the latest one processed arrived there, and
	// replies go from there.
	tokenPeer   netip.AddrPort
	wantPref    bool
	prefProbes  int
	prefRetryAt time.Time
	pref        *mux.Mux
	prefInbox   chan *mux.Datagram
	onPref      bool
}

// ConnectionState describes a session once its handshake completed.
type ConnectionState struct {
	TLS     tls.ConnectionState
	Version uint32 // the QUIC version
	ALPN    string // the negotiated application protocol

	// Retried is true if the server sent a Retry to validate the client's
	// address (RFC 9000, Section 8.1.2).
	Retried bool
	// Resumed is true if the TLS handshake resumed an earlier session
	// (RFC 9001, Section 4.5).
	Resumed bool
	// EarlyDataAccepted is true if the server accepted the client's 0-RTT
	// data (RFC 9001, Section 4.6.2).
	EarlyDataAccepted bool
	// EarlyDataRejected, on a client, is true if it offered 0-RTT and the
	// server rejected it; the early data went again in 1-RTT packets
	// (RFC 9001, Section 4.6.2). A session that did not offer 0-RTT has
	// neither EarlyDataAccepted nor EarlyDataRejected.
	EarlyDataRejected bool
	// KeyUpdates counts the 1-RTT key updates so far, by either side
	// (RFC 9001, Section 6).
	KeyUpdates uint64
}

// op is work that a user goroutine hands to the loop goroutine. Most calls
// make one op and one closure, a few small allocations per call; Read and
// Write reuse an op of their stream (see Stream.rop), so that a transfer's
// steady state allocates nothing per call.
type op struct {
	fn         func(c *core.Conn)
	afterFlush bool // signal done only after the loop has sent what fn made
	// done receives one value when fn has run; capacity 1, so that the loop
	// never blocks on it and the op can be reused.
	done chan struct{}
}

// newOp returns an op that runs fn.
func newOp(fn func(c *core.Conn)) *op {
	return &op{fn: fn, done: make(chan struct{}, 1)}
}

// inboxSize is each session's inbox capacity; a full inbox drops datagrams.
const inboxSize = 256

// maxBatch is how many queued datagrams the loop takes before it sends.
const maxBatch = 32

// newSession makes the session of c on m; its handshake must complete
// within hsTimeout of now.
func newSession(m *mux.Mux, c *core.Conn, l *Listener, conf *Config) *Session {
	s := &Session{
		mux:           m,
		l:             l,
		conf:          conf,
		peer:          c.PeerAddr(),
		local:         m.LocalAddr(),
		inbox:         make(chan *mux.Datagram, inboxSize),
		ops:           make(chan *op),
		acceptBidi:    make(chan struct{}, 1),
		acceptUni:     make(chan struct{}, 1),
		openBidi:      make(chan struct{}, 1),
		openUni:       make(chan struct{}, 1),
		datagrams:     make(chan struct{}, 1),
		handshakeDone: make(chan struct{}),
		closed:        make(chan struct{}),
		loopDone:      make(chan struct{}),
		abort:         make(chan struct{}),
		conn:          c,
		streams:       make(map[int64]*Stream),
		connIDs:       make(map[string]struct{}),
		sendBatch:     m.NewBatch(),
		timer:         timer.New(),
		hsDeadline:    time.Now().Add(conf.handshakeTimeout()),
		keepAlive:     conf.keepAlivePeriod(),
		idleTimeout:   conf.maxIdleTimeout(),
		logger:        conf.logger(),
		peerAddr:      c.PeerAddr(),
		tokenPeer:     c.PeerAddr(),
		wantPref:      c.IsClient() && conf.usePreferredAddress(),
	}
	s.peer = s.peerAddr
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	return s
}

// register routes connID to the session. Only the loop goroutine, or the
// creator before the loop starts, calls it.
func (s *Session) register(connID []byte) error {
	if err := s.mux.Register(connID, s.inbox); err != nil {
		return err
	}
	if s.pref != nil {
		if err := s.pref.Register(connID, s.prefInbox); err != nil {
			s.mux.Unregister(connID)
			return err
		}
	}
	s.connIDs[string(connID)] = struct{}{}
	return nil
}

// unregister undoes register. Loop goroutine, or the creator before the
// loop starts.
func (s *Session) unregister(connID []byte) {
	s.mux.Unregister(connID)
	if s.pref != nil {
		s.pref.Unregister(connID)
	}
	delete(s.connIDs, string(connID))
}

// run is the session's goroutine. first, if not nil, is the datagram that
// created a server session.
func (s *Session) run(first *mux.Datagram) {
	defer s.finish()
	if first != nil {
		s.conn.Receive(first.Data, first.From, time.Now())
		first.Release()
		if s.conn.Stats().PacketsReceived == 0 {
			// Nothing in the datagram that created this server session
			// opened with the Initial keys: it was garbage dressed as an
			// Initial. End the session without a word, rather than let
			// it hold an accept slot until the idle timeout.
			s.conn.CloseWithTransportError(wire.ProtocolViolation, "", time.Now())
			return
		}
		// A ClientHello with a post-quantum key share spans two
		// datagrams, which arrive together and wait in the inbox (the
		// mux held the second until the session registered). Take them
		// before the first flush, so that the reply is the server's
		// flight rather than an ACK of the first datagram alone, sent
		// ahead of it in a datagram of its own; the ACK goes with the
		// flight as promptly (RFC 9000, Section 13.2.1).
		s.drainReady()
	}
	for {
		s.flush()
		if s.conn.IsClosed() {
			return
		}
		select {
		case d := <-s.inbox:
			s.receive(d, s.inbox, false)
		case d := <-s.prefInbox: // nil, never ready, without a preferred address
			s.receive(d, s.prefInbox, true)
		case o := <-s.ops:
			s.runOp(o)
		case <-s.timer.C():
			s.timer.Fired()
			now := time.Now()
			if !s.hsDeadline.IsZero() && !now.Before(s.hsDeadline) {
				s.handshakeTimeout(now)
				return
			}
			s.conn.OnTimeout(now)
			s.keepAliveDue(now)
			s.preferredDue(now)
		case <-s.mux.Done():
			return
		case <-s.abort:
			return
		}
		s.drainReady()
	}
}

// runOp runs o and signals its caller.
func (s *Session) runOp(o *op) {
	o.fn(s.conn)
	if o.afterFlush {
		s.flush()
	}
	o.done <- struct{}{}
}

// maxDrain bounds the ops and datagram batches the loop takes without
// sending in between.
const maxDrain = 64

// drainReady runs the ops and takes the datagrams that are already waiting,
// up to maxDrain, before the loop sends: what many goroutines write at
// once, and the acknowledgments of what arrived meanwhile, then share
// packets rather than each going out in its own.
func (s *Session) drainReady() {
	for range maxDrain {
		if s.conn.IsClosed() {
			return
		}
		select {
		case o := <-s.ops:
			s.runOp(o)
		case d := <-s.inbox:
			s.receive(d, s.inbox, false)
		case d := <-s.prefInbox:
			s.receive(d, s.prefInbox, true)
		default:
			return
		}
	}
}

// receive hands d and whatever else waits in inbox, up to maxBatch, to the
// core. onPref says inbox is prefInbox.
func (s *Session) receive(d *mux.Datagram, inbox chan *mux.Datagram, onPref bool) {
	for i := 0; ; i++ {
		now := time.Now()
		s.conn.ReceiveAt(d.Data, d.From, onPref, now)
		d.Release()
		s.lastRecv = now
		if i == maxBatch {
			return
		}
		select {
		case d = <-inbox:
		default:
			return
		}
	}
}

// flush handles the core's events, sends every datagram the core has, and
// re-arms the timer.
func (s *Session) flush() {
	s.handleEvents()
	now := time.Now()
	if s.wantPref && s.conn.HandshakeConfirmed() {
		s.wantPref = false
		s.moveToPreferred(now)
	}
	s.followAlternate()
	if out := s.outMux(); s.sendBatch.Mux() != out {
		s.sendBatch = out.NewBatch() // the session moved to another socket
	}
	b := s.sendBatch
	for {
		buf := b.Next()
		n, to := s.conn.Send(buf, now)
		if n == 0 {
			break
		}
		if s.pref != nil && s.conn.SentFromAlternate() != s.onPref {
			// A probing datagram that leaves from the other socket.
			s.sendFromOther(buf[:n], to)
			continue
		}
		b.Commit(n, to)
	}
	// The batch goes out in as few system calls as the platform allows
	// (GSO runs within one sendmmsg on Linux). A failed write is a lost
	// datagram; recovery resends.
	b.Flush()
	s.handleEvents()
	if s.logger != nil {
		s.logKeyUpdates()
	}
	t, ok := s.conn.Timeout()
	if !s.hsDeadline.IsZero() && (!ok || s.hsDeadline.Before(t)) {
		t, ok = s.hsDeadline, true
	}
	if ka, kok := s.keepAliveDeadline(); kok && (!ok || ka.Before(t)) {
		t, ok = ka, true
	}
	if pr := s.prefRetryAt; !pr.IsZero() && (!ok || pr.Before(t)) {
		t, ok = pr, true
	}
	if ok {
		s.timer.Set(t, now)
	} else {
		s.timer.Stop()
	}
}

// handshakeTimeout ends a session whose handshake outlived
// Config.HandshakeTimeout: it tells the peer with CONNECTION_CLOSE and
// NO_ERROR and ends at once, without the closing period, as an endpoint
// that has not established state may (RFC 9000, Section 10.2).
func (s *Session) handshakeTimeout(now time.Time) {
	s.setClosed(ErrHandshakeTimeout)
	s.conn.CloseWithTransportError(wire.NoError, "handshake timeout", now)
	s.flush()
}

func (s *Session) handleEvents() {
	for {
		e, ok := s.conn.NextEvent()
		if !ok {
			return
		}
		switch e.Kind {
		case core.EventHandshakeComplete:
			s.onHandshakeComplete()
		case core.EventStreamAcceptable:
			signal(s.acceptBidi)
			signal(s.acceptUni)
		case core.EventStreamsAvailable:
			signal(s.openBidi)
			signal(s.openUni)
		case core.EventStreamReadable:
			if st := s.streams[e.StreamID]; st != nil {
				if code, reset := s.conn.StreamResetByPeer(e.StreamID); reset {
					st.peerCancelled(code)
				}
				signal(st.readable)
			}
		case core.EventStreamWritable:
			if st := s.streams[e.StreamID]; st != nil {
				signal(st.writable)
			}
		case core.EventStreamStopped:
			if st := s.streams[e.StreamID]; st != nil {
				st.stopped(e.Code)
			}
		case core.EventDatagram:
			signal(s.datagrams)
		case core.EventNewToken:
			if s.tokens != nil {
				s.tokens.Put(tokenKey(s.serverName, s.tokenPeer, s.conn.Version()), e.Token)
			}
		case core.EventPathChanged:
			s.pathChanged(e.Addr)
		case core.EventEarlyDataRejected:
			s.rejected0 = true
			s.stateMu.Lock()
			s.state.EarlyDataRejected = true
			s.stateMu.Unlock()
		case core.EventPathValidated:
			s.migrationValidated()
		case core.EventPathFailed:
			s.migrationFailed()
		case core.EventConnIDIssued:
			// A collision with another session's random ID is all but
			// impossible; the peer's packets to it would then be lost.
			s.register(e.ConnID)
		case core.EventConnIDRetired:
			s.unregister(e.ConnID)
		case core.EventClosed:
			s.saveState()
			s.setClosed(connError(s.conn.Err()))
		}
	}
}

func (s *Session) onHandshakeComplete() {
	s.hsDeadline = time.Time{}
	s.lastRecv = time.Now()
	s.capKeepAlive()
	s.validated()
	s.stateMu.Lock()
	s.state = ConnectionState{
		TLS:               s.conn.TLSState(),
		Version:           s.conn.Version(),
		ALPN:              s.conn.ALPN(),
		Retried:           s.conn.Retried(),
		Resumed:           s.conn.Resumed(),
		EarlyDataAccepted: s.conn.EarlyDataAccepted(),
		EarlyDataRejected: s.rejected0,
	}
	cs := s.state
	s.stateMu.Unlock()
	s.logHandshake(&cs)
	// The peer may now send a stateless reset from its address to an ID
	// the mux does not know; route those here (RFC 9000, Section 10.3.1).
	if s.mux.RegisterPeer(s.peerAddr, s.inbox) == nil {
		s.peerReg = true
		if s.pref != nil {
			s.pref.RegisterPeer(s.peerAddr, s.prefInbox)
		}
	}
	close(s.handshakeDone)
	if s.l != nil && !s.conn.IsClient() {
		s.queued = s.l.enqueue(s)
	}
}

// validated takes the session out of its Listener's count of handshakes
// from unvalidated addresses, once it completes or ends. Loop goroutine.
func (s *Session) validated() {
	if s.unvalidated != nil {
		s.unvalidated.Add(-1)
		s.unvalidated = nil
	}
}

// setClosed records why the session ended and wakes every waiter.
func (s *Session) setClosed(err error) {
	if s.closedSent {
		return
	}
	s.closedSent = true
	s.err = err
	s.logClosed(err)
	if s.trace != nil {
		// The trace so far reaches the file before Close returns, even
		// if the program exits during the closing period.
		s.trace.Flush()
	}
	s.cancel(err) // before closed, so that its waiters see the cause set
	close(s.closed)
}

// finish runs when the loop ends: it releases the session's routes,
// buffered datagrams, and its hold on a Dialer's socket.
func (s *Session) finish() {
	s.timer.Stop()
	s.validated()
	s.saveState()
	if !s.conn.IsDraining() {
		// The socket went away under an open session: nothing can be
		// sent, but the core must still end its TLS handshake.
		if s.l != nil {
			s.setClosed(ErrListenerClosed)
		} else {
			s.setClosed(errSocketClosed)
		}
		s.conn.CloseWithTransportError(wire.NoError, "", time.Now())
	}
	s.setClosed(errSocketClosed) // does nothing if already closed
	for id := range s.connIDs {
		s.unregister([]byte(id))
	}
	if s.origDCID != nil {
		s.mux.Unregister(s.origDCID)
	}
	if s.peerReg {
		s.unregisterPeer()
	}
	if s.mig != nil {
		s.mig.drop(s.inbox)
		s.mig = nil
	}
	// The muxes send nothing more to the inboxes now (internal/mux
	// contract).
	for {
		select {
		case d := <-s.inbox:
			d.Release()
			continue
		case d := <-s.prefInbox:
			d.Release()
			continue
		default:
		}
		break
	}
	if s.release != nil {
		s.release()
	}
	if s.l != nil {
		s.l.sessionDone(s, s.queued)
	}
	if s.trace != nil {
		s.trace.Close()
	}
	close(s.loopDone)
}

// signal wakes the waiter on c, if any, without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// do runs fn on the loop goroutine and returns once it has run. It returns
// the session's error if the loop has ended, or ctx's if ctx ends first.
func (s *Session) do(ctx context.Context, fn func(c *core.Conn)) error {
	return s.submit(ctx, newOp(fn))
}

func (s *Session) submit(ctx context.Context, o *op) error {
	var ctxDone <-chan struct{}
	if ctx != nil {
		ctxDone = ctx.Done()
	}
	select {
	case s.ops <- o:
	case <-s.loopDone:
		return s.err
	case <-ctxDone:
		return ctx.Err()
	}
	// The loop runs o at once and always signals done.
	<-o.done
	return nil
}

// closeErr returns the session's error once it has ended, else nil.
func (s *Session) closeErr() error {
	select {
	case <-s.closed:
		return s.err
	default:
		return nil
	}
}

// OpenStream opens a bidirectional stream. It waits while the peer's limit
// on open streams is reached (RFC 9000, Section 4.6), until ctx ends or the
// session ends.
func (s *Session) OpenStream(ctx context.Context) (*Stream, error) {
	return s.openStream(ctx, true)
}

// OpenUniStream opens a unidirectional stream; it waits as OpenStream.
func (s *Session) OpenUniStream(ctx context.Context) (*Stream, error) {
	return s.openStream(ctx, false)
}

func (s *Session) openStream(ctx context.Context, bidi bool) (*Stream, error) {
	wake := s.openUni
	if bidi {
		wake = s.openBidi
	}
	for {
		var st *Stream
		var err error
		if e := s.do(ctx, func(c *core.Conn) {
			id, e := c.OpenStream(bidi)
			switch {
			case e == nil:
				st = s.newStream(id)
			case !errors.Is(e, core.ErrStreamLimit):
				err = streamError(e, s.err)
			}
		}); e != nil {
			return nil, e
		}
		if err != nil {
			return nil, err
		}
		if st != nil {
			// Another opener may fit too: let it try.
			signal(wake)
			return st, nil
		}
		select {
		case <-wake:
		case <-s.closed:
			return nil, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// AcceptStream waits for the next bidirectional stream the peer opens,
// until ctx ends or the session ends.
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	return s.acceptStream(ctx, true)
}

// AcceptUniStream waits for the next unidirectional stream the peer opens.
func (s *Session) AcceptUniStream(ctx context.Context) (*Stream, error) {
	return s.acceptStream(ctx, false)
}

func (s *Session) acceptStream(ctx context.Context, bidi bool) (*Stream, error) {
	wake := s.acceptUni
	if bidi {
		wake = s.acceptBidi
	}
	for {
		var st *Stream
		if e := s.do(ctx, func(c *core.Conn) {
			if id, ok := c.AcceptStream(bidi); ok {
				st = s.newStream(id)
			}
		}); e != nil {
			return nil, e
		}
		if st != nil {
			signal(wake) // more may be waiting
			return st, nil
		}
		select {
		case <-wake:
		case <-s.closed:
			return nil, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// CloseWithError closes the session immediately with an application error
// code and reason, which the peer sees as a remote *ApplicationError
// (RFC 9000, Section 10.2). It returns once the CONNECTION_CLOSE is sent;
// later calls on the session and its streams return a local
// *ApplicationError. Closing a closed session does nothing.
func (s *Session) CloseWithError(code uint64, reason string) error {
	o := newOp(func(c *core.Conn) {
		if !c.IsDraining() {
			c.Close(code, reason, time.Now())
		}
	})
	o.afterFlush = true
	s.submit(nil, o)
	return nil
}

// Close closes the session with application error code 0 and no reason.
func (s *Session) Close() error { return s.CloseWithError(0, "") }

// Context returns a context that is canceled when the session ends; its
// cause (context.Cause) is the session's error.
func (s *Session) Context() context.Context { return s.ctx }

// LocalAddr returns the address of the UDP socket the session sends from.
// It changes when Migrate moves the session to a new one, and, on a server
// with Config.PreferredAddress, when the client moves to that address.
func (s *Session) LocalAddr() net.Addr {
	s.stateMu.Lock()
	local := s.local
	s.stateMu.Unlock()
	return net.UDPAddrFromAddrPort(local)
}

// RemoteAddr returns the peer's address. It changes when the peer's
// address does (RFC 9000, Section 9).
func (s *Session) RemoteAddr() net.Addr {
	s.stateMu.Lock()
	peer := s.peer
	s.stateMu.Unlock()
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port()))
}

// ConnectionState returns the TLS state, QUIC version, application
// protocol and what the handshake did, which are known once it has
// completed (sessions returned by Dial and Accept have completed it), and
// the key updates so far.
func (s *Session) ConnectionState() ConnectionState {
	s.do(nil, func(*core.Conn) { s.saveState() }) // fails once the session ended
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.state
}

// saveState records the live parts of the session's state and its Stats,
// for ConnectionState and Stats. Loop goroutine.
func (s *Session) saveState() {
	st := s.collectStats()
	s.stateMu.Lock()
	s.state.KeyUpdates = st.KeyUpdates
	if s.conn.HandshakeComplete() {
		s.state.EarlyDataAccepted = s.conn.EarlyDataAccepted()
	}
	s.stats = st
	s.stateMu.Unlock()
}

// HandshakeComplete returns a channel that is closed when the handshake
// has completed. Sessions from Dial and Accept have completed it; one from
// DialEarly may not have yet.
func (s *Session) HandshakeComplete() <-chan struct{} { return s.handshakeDone }

// UpdateKeys starts a 1-RTT key update (RFC 9001, Section 6.1). It fails
// before the handshake is confirmed and while the previous update is not
// yet complete: the peer must first acknowledge a packet sent with the new
// keys.
func (s *Session) UpdateKeys() error {
	var err error
	if e := s.do(nil, func(c *core.Conn) { err = c.InitiateKeyUpdate() }); e != nil {
		return e
	}
	return err
}

// unregisterPeer undoes the registration of s.peerAddr with the muxes.
func (s *Session) unregisterPeer() {
	s.mux.UnregisterPeer(s.peerAddr, s.inbox)
	if s.pref != nil {
		s.pref.UnregisterPeer(s.peerAddr, s.prefInbox)
	}
}

// pathChanged follows the core to the peer's new address (RFC 9000,
// Section 9.3). Loop goroutine.
func (s *Session) pathChanged(addr netip.AddrPort) {
	if addr == s.peerAddr || !addr.IsValid() {
		return
	}
	if s.peerReg {
		s.unregisterPeer()
		s.peerReg = s.mux.RegisterPeer(addr, s.inbox) == nil
		if s.peerReg && s.pref != nil {
			s.pref.RegisterPeer(addr, s.prefInbox)
		}
	}
	s.peerAddr = addr
	if s.conn.IsClient() {
		// A client's server address changes only when it moves to the
		// preferred address (RFC 9000, Section 9).
		s.preferredMoved()
	}
	s.stateMu.Lock()
	s.peer = addr
	s.stateMu.Unlock()
	s.logPath("quic: peer address changed", addr)
}

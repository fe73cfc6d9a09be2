package quic

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/mux"
)

// Listener accepts QUIC sessions on one UDP socket.
type Listener struct {
	mux     *mux.Mux
	tlsConf *tls.Config
	conf    *Config

	// pref is the socket at Config.PreferredAddress, bound to prefAddr,
	// or nil (preferred.go).
	pref     *mux.Mux
	prefAddr netip.AddrPort

	// A slot is taken for every session from its first Initial until
	// Accept returns it or it ends unaccepted, so that at most
	// AcceptBacklog sessions handshake or wait; the mux refuses the rest.
	slots chan struct{}
	queue chan *Session // handshaken sessions for Accept; never closed

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept goroutine and every session goroutine

	// unvalidated counts the sessions handshaking with a client whose
	// address no token validated; past half the backlog, new clients get
	// a Retry (see retryNeeded).
	unvalidated atomic.Int64

	mu       sync.Mutex
	sessions map[*Session]struct{}
	closed   bool

	closeOnce sync.Once
	closeErr  error
}

// Listen listens for QUIC sessions on the UDP address (network "udp",
// "udp4" or "udp6"). tlsConf must hold a certificate and list the
// application protocols in NextProtos; conf may be nil.
func Listen(network, address string, tlsConf *tls.Config, conf *Config) (*Listener, error) {
	if tlsConf == nil {
		return nil, errNoTLSConfig
	}
	if tlsConf.MinVersion < tls.VersionTLS13 {
		// QUIC needs TLS 1.3 (RFC 9001, Section 4.2). One copy serves
		// all the Listener's sessions, so that they share its automatic
		// session ticket keys and resume each other's sessions; the core
		// would otherwise copy the config for each session.
		tlsConf = tlsConf.Clone()
		tlsConf.MinVersion = tls.VersionTLS13
	}
	laddr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, err
	}
	uc, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	backlog := conf.acceptBacklog()
	l := &Listener{
		tlsConf:  tlsConf,
		conf:     conf,
		slots:    make(chan struct{}, backlog),
		queue:    make(chan *Session, backlog),
		sessions: make(map[*Session]struct{}),
	}
	l.mux, err = mux.New(uc, mux.Config{Server: true, Versions: conf.versions(), AcceptBacklog: backlog, Retry: l.retryNeeded})
	if err != nil {
		uc.Close()
		return nil, err
	}
	if a := conf.preferredAddress(); a.IsValid() {
		if err := l.listenPreferred(a); err != nil {
			l.mux.Close()
			return nil, err
		}
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// retryNeeded tells the mux whether a new client without a valid token
// gets a Retry: always with Config.RequireRetry, and otherwise while more
// than half the accept backlog is taken by handshakes with unvalidated
// addresses, which may be spoofed (RFC 9000, Section 8.1). It runs on the
// mux's reader goroutine.
func (l *Listener) retryNeeded() bool {
	return l.conf.requireRetry() || l.unvalidated.Load() > int64(cap(l.slots)/2)
}

// acceptLoop starts a session for every new connection the mux accepts,
// while a slot is free.
func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.ctx.Done():
			return
		}
		d, err := l.mux.Accept(l.ctx)
		if err != nil {
			return
		}
		if !l.startSession(d) {
			<-l.slots
		}
	}
}

// startSession makes a server session from d, a client's first Initial,
// and starts its goroutine, which takes d over. It reports false if it
// turned the connection down.
func (l *Listener) startSession(d *mux.Datagram) bool {
	h, err := wire.ParseInvariantHeader(d.Data, core.ConnIDLen)
	if err != nil {
		// The mux parsed it before queueing it; this does not happen.
		d.Release()
		return false
	}
	// odcid is where the client's Initials go: its first Destination
	// Connection ID or, after a Retry, the Retry's Source Connection ID.
	odcid := append([]byte(nil), h.DstConnID...)
	abort := func(c *core.Conn) bool {
		if c != nil {
			c.CloseWithTransportError(wire.InternalError, "", time.Now()) // ends its TLS
		}
		l.mux.Unregister(odcid)
		d.Release()
		return false
	}
	scid := make([]byte, core.ConnIDLen)
	rand.Read(scid)
	cfg := l.conf.coreConfig(l.tlsConf, l.mux.StatelessResetKey())
	// NEW_TOKEN tokens open in the mux with the same key (RFC 9000,
	// Section 8.1.3).
	cfg.TokenKey = l.mux.TokenKey()
	l.offerPreferred(cfg)
	opts := core.ServerOptions{
		PeerAddr:         d.From,
		OrigDstConnID:    odcid,
		SrcConnID:        scid,
		Version:          h.Version,
		AddressValidated: d.Validation.AddressValidated,
	}
	if d.Validation.OrigDstConnID != nil {
		// After a Retry (RFC 9000, Section 7.3).
		opts.OrigDstConnID = d.Validation.OrigDstConnID
		opts.RetrySrcConnID = odcid
	}
	trace := l.conf.trace(cfg, false, opts.OrigDstConnID)
	c, err := core.NewServer(cfg, opts, time.Now())
	if err != nil {
		if trace != nil {
			trace.Close()
		}
		return abort(nil)
	}
	s := newSession(l.mux, c, l, l.conf)
	s.usePreferredMux(l.pref)
	s.observed(opts.OrigDstConnID, trace)
	if !opts.AddressValidated {
		l.unvalidated.Add(1)
		s.unvalidated = &l.unvalidated
	}
	// Datagrams to the client's first DCID (its retransmitted Initials,
	// 0-RTT) go to the session until it ends.
	if err := l.mux.Register(odcid, s.inbox); err != nil {
		return abort(c)
	}
	s.origDCID = odcid
	if err := s.register(scid); err != nil {
		return abort(c)
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		s.unregister(scid)
		return abort(c)
	}
	l.sessions[s] = struct{}{}
	l.wg.Add(1)
	l.mu.Unlock()
	go func() {
		defer l.wg.Done()
		s.run(d)
	}()
	return true
}

// Dial opens a client session to address ("host:port") from the
// Listener's own socket, so that one UDP port both accepts and dials, and
// returns it once the handshake has completed; it honours ctx as
// Dialer.DialContext does. tlsConf must list the application protocols in
// NextProtos; if its ServerName is empty, the host of address is used.
// conf may be nil; it need not be the Listener's.
//
// The peer's address must be of the socket's family: an IPv4 socket cannot
// reach an IPv6 peer, while an IPv6 socket not bound to IPv6 only reaches
// IPv4 peers by their IPv4-mapped addresses. The session does not count
// against the accept backlog and is not returned by Accept; Close closes
// it with the Listener's other sessions.
func (l *Listener) Dial(ctx context.Context, address string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	if tlsConf == nil {
		return nil, errNoTLSConfig
	}
	if l.ctx.Err() != nil {
		return nil, ErrListenerClosed
	}
	local := l.mux.LocalAddr().Addr()
	network := "udp6"
	if local.Is4() || local.Is4In6() {
		network = "udp4"
	}
	peer, host, err := resolveUDP(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if network == "udp4" && !peer.Addr().Is4() {
		return nil, &net.AddrError{Err: "IPv6 peer for an IPv4 listener", Addr: address}
	}
	if local.Is6() && !local.Is4In6() && peer.Addr().Is4() {
		// A dual-stack socket reports IPv4 peers in the mapped form;
		// use that form, so that the core sees replies come from the
		// address it sends to.
		peer = netip.AddrPortFrom(netip.AddrFrom16(peer.Addr().As16()), peer.Port())
	}
	if tlsConf.ServerName == "" {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = host
	}
	return dialSession(ctx, l.mux, nil, l, tlsConf, conf, peer, false)
}

// startDialed starts the goroutine of s, a session that Dial made, unless
// the Listener is closed.
func (l *Listener) startDialed(s *Session) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.sessions[s] = struct{}{}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		s.run(nil)
	}()
	return true
}

// enqueue hands s, whose handshake completed, to Accept. It runs on s's
// loop goroutine and reports whether s was queued.
func (l *Listener) enqueue(s *Session) bool {
	select {
	case l.queue <- s: // s holds a slot, so there is room
		return true
	default:
		return false
	}
}

// sessionDone runs on s's loop goroutine as it ends. A server session
// that was not queued for Accept frees its slot.
func (l *Listener) sessionDone(s *Session, queued bool) {
	l.mu.Lock()
	delete(l.sessions, s)
	l.mu.Unlock()
	if !queued && !s.conn.IsClient() {
		<-l.slots
	}
}

// Accept returns the next session whose handshake has completed. It waits
// until one does, ctx ends, or the Listener closes (ErrListenerClosed).
func (l *Listener) Accept(ctx context.Context) (*Session, error) {
	for {
		if l.ctx.Err() != nil {
			return nil, ErrListenerClosed
		}
		select {
		case s := <-l.queue:
			<-l.slots
			if s.closeErr() != nil {
				continue // ended while it waited
			}
			return s, nil
		case <-l.ctx.Done():
			return nil, ErrListenerClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close closes the Listener and every session it accepted or is
// handshaking: each peer receives CONNECTION_CLOSE with application error
// code 0. It returns once the socket is closed and every goroutine of the
// Listener and its sessions has returned.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.mu.Lock()
		l.closed = true
		sessions := make([]*Session, 0, len(l.sessions))
		for s := range l.sessions {
			sessions = append(sessions, s)
		}
		l.mu.Unlock()
		for _, s := range sessions {
			s.CloseWithError(0, "")
		}
		l.closeErr = l.mux.Close()
		// Sessions end as soon as they see the mux closed.
		l.wg.Wait()
		if l.pref != nil {
			l.pref.Close()
		}
	})
	return l.closeErr
}

// Addr returns the Listener's UDP address. See also PreferredAddr.
func (l *Listener) Addr() net.Addr { return net.UDPAddrFromAddrPort(l.mux.LocalAddr()) }

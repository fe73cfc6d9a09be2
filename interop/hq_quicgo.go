package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	quicgo "github.com/quic-go/quic-go"
)

// quicgoStream adapts a quic-go stream, whose Close closes only the send
// direction, to hqStream.
type quicgoStream struct{ *quicgo.Stream }

func (s quicgoStream) CloseWrite() error { return s.Stream.Close() }

func quicgoVersions(vs []uint32) []quicgo.Version {
	var out []quicgo.Version
	for _, v := range vs {
		out = append(out, quicgo.Version(v))
	}
	return out
}

// QuicGoClient is a Client on quic-go.
func QuicGoClient(ctx context.Context, addr string, opts ClientOptions, files []File) (ConnInfo, error) {
	raddr, err := net.ResolveUDPAddr(opts.Network, addr)
	if err != nil {
		return ConnInfo{}, err
	}
	tr, err := quicgoTransport(opts.Network, raddr)
	if err != nil {
		return ConnInfo{}, err
	}
	defer tr.Close()
	dial := tr.Dial
	if opts.Early {
		dial = tr.DialEarly
	}
	conf := quicgoConfig(opts.Versions)
	conf.Allow0RTT = opts.Early
	if opts.CountKeyUpdates {
		conf.Tracer = keyUpdateTracer
	}
	conn, err := dial(ctx, raddr, opts.TLS, conf)
	if err != nil {
		return ConnInfo{}, fmt.Errorf("quic-go dial: %w", err)
	}
	var prog *progress
	var action *actionResult
	var newTr *quicgo.Transport // the transport a migration moved to
	if opts.Action != NoAction {
		action = newActionResult()
		prog = newProgress(opts.ActionAfter, func() {
			if opts.Action != ActionMigrate {
				action.finish(errActionUnsupported)
				return
			}
			var err error
			newTr, err = quicgoMigrate(ctx, conn, opts.Network, raddr)
			action.finish(err)
		})
	}
	err = fetchAll(files, func(f File) error {
		st, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return fmt.Errorf("%s: open stream: %w", f.Path, err)
		}
		return fetchStream(quicgoStream{st}, f, prog)
	})
	if err == nil && action != nil {
		err = action.wait(ctx)
	}
	ci := quicgoConnInfo(ctx, conn)
	ci.ActionDone = action != nil && err == nil
	if action != nil {
		select {
		case <-action.done: // newTr is set
			if newTr != nil {
				defer newTr.Close()
			}
		default:
		}
	}
	if err != nil {
		conn.CloseWithError(1, "fetch failed")
		return ci, err
	}
	if cause := context.Cause(conn.Context()); cause != nil {
		return ci, fmt.Errorf("quic-go connection ended early: %w", cause)
	}
	if opts.BeforeClose != nil {
		opts.BeforeClose(ctx)
	}
	return ci, conn.CloseWithError(0, "")
}

// quicgoTransport opens a quic-go Transport on a new socket for raddr's
// address family.
func quicgoTransport(network string, raddr *net.UDPAddr) (*quicgo.Transport, error) {
	laddr := &net.UDPAddr{IP: net.IPv4zero}
	if raddr.IP.To4() == nil {
		laddr = &net.UDPAddr{IP: net.IPv6zero}
	}
	uc, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	return &quicgo.Transport{Conn: uc}, nil
}

// quicgoMigrate moves conn to a new socket (quic-go's AddPath, Probe and
// Switch) and returns its transport, which must outlive the connection.
func quicgoMigrate(ctx context.Context, conn *quicgo.Conn, network string, raddr *net.UDPAddr) (*quicgo.Transport, error) {
	tr, err := quicgoTransport(network, raddr)
	if err != nil {
		return nil, err
	}
	path, err := conn.AddPath(tr)
	if err == nil {
		err = path.Probe(ctx)
	}
	if err == nil {
		err = path.Switch()
	}
	if err != nil {
		tr.Close()
		return nil, fmt.Errorf("quic-go migration: %w", err)
	}
	return tr, nil
}

// quicgoConnInfo describes conn once its handshake completed (or it ended).
func quicgoConnInfo(ctx context.Context, conn *quicgo.Conn) ConnInfo {
	select {
	case <-conn.HandshakeComplete():
	case <-conn.Context().Done():
	case <-ctx.Done():
	}
	cs := conn.ConnectionState()
	all, remote := quicgoKeyUpdates(conn)
	return ConnInfo{
		Version: uint32(cs.Version), CipherSuite: cs.TLS.CipherSuite, ALPN: cs.TLS.NegotiatedProtocol,
		Resumed: cs.TLS.DidResume, EarlyData: cs.Used0RTT,
		KeyUpdates: all, PeerKeyUpdates: remote,
	}
}

// quicgoServer is a Server on quic-go.
type quicgoServer struct {
	serverLog
	tr     *quicgo.Transport
	accept func(context.Context) (*quicgo.Conn, error)
	close  func() error
	addr   net.Addr
	ctx    context.Context
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// StartQuicGoServer listens with quic-go and serves hq-interop.
func StartQuicGoServer(opts ServerOptions) (Server, error) {
	if opts.Action != NoAction {
		return nil, fmt.Errorf("quic-go server: %w", errActionUnsupported)
	}
	laddr, err := net.ResolveUDPAddr(opts.Network, opts.Addr)
	if err != nil {
		return nil, err
	}
	uc, err := net.ListenUDP(opts.Network, laddr)
	if err != nil {
		return nil, err
	}
	tr := &quicgo.Transport{Conn: uc}
	if opts.Retry {
		// Every client's address is validated with a Retry first.
		tr.VerifySourceAddress = func(net.Addr) bool { return true }
	}
	conf := quicgoConfig(opts.Versions)
	conf.Allow0RTT = opts.Allow0RTT
	if opts.CountKeyUpdates {
		conf.Tracer = keyUpdateTracer
	}
	s := &quicgoServer{tr: tr}
	if opts.Allow0RTT {
		l, err := tr.ListenEarly(opts.TLS, conf)
		if err != nil {
			uc.Close()
			return nil, err
		}
		s.accept, s.close, s.addr = l.Accept, l.Close, l.Addr()
	} else {
		l, err := tr.Listen(opts.TLS, conf)
		if err != nil {
			uc.Close()
			return nil, err
		}
		s.accept, s.close, s.addr = l.Accept, l.Close, l.Addr()
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *quicgoServer) Addr() *net.UDPAddr { return s.addr.(*net.UDPAddr) }

func (s *quicgoServer) Close() error {
	s.stop()
	s.close()
	err := s.tr.Close()
	s.wg.Wait()
	return err
}

func (s *quicgoServer) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.accept(s.ctx)
		if err != nil {
			return
		}
		// An early listener returns connections before their handshake
		// completes; their 0-RTT requests wait until it has.
		i := s.addConn(quicgoConnInfo(s.ctx, conn))
		s.wg.Add(1)
		go s.serveConn(i, conn)
	}
}

func (s *quicgoServer) serveConn(i int, conn *quicgo.Conn) {
	defer s.wg.Done()
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		s.endConn(i, quicgoConnInfo(s.ctx, conn))
	}()
	for {
		st, err := conn.AcceptStream(s.ctx)
		if err != nil {
			if !quicgoClosedByPeer(err) && s.ctx.Err() == nil {
				s.fail(fmt.Errorf("quic-go server: accept stream: %w", err))
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := serveStream(quicgoStream{st}, nil); err != nil && !quicgoClosedByPeer(err) && s.ctx.Err() == nil {
				s.fail(fmt.Errorf("quic-go server: %w", err))
			}
		}()
	}
}

// quicgoClosedByPeer reports whether err is the peer's application close
// with code 0, or the idle timeout that follows when that close was lost.
func quicgoClosedByPeer(err error) bool {
	var ae *quicgo.ApplicationError
	var it *quicgo.IdleTimeoutError
	return errors.As(err, &ae) && ae.Remote && ae.ErrorCode == 0 || errors.As(err, &it)
}

// quicgoConfig is quic-go's configuration for versions vs. Its handshake
// timeout is raised from 5 s (10 s for the whole handshake) so that 30%
// loss cases measure the peer, not quic-go's patience.
func quicgoConfig(vs []uint32) *quicgo.Config {
	return &quicgo.Config{Versions: quicgoVersions(vs), HandshakeIdleTimeout: 15 * time.Second}
}

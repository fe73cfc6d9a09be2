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
	laddr := &net.UDPAddr{IP: net.IPv4zero}
	if raddr.IP.To4() == nil {
		laddr = &net.UDPAddr{IP: net.IPv6zero}
	}
	uc, err := net.ListenUDP(opts.Network, laddr)
	if err != nil {
		return ConnInfo{}, err
	}
	tr := &quicgo.Transport{Conn: uc}
	defer tr.Close()
	conn, err := tr.Dial(ctx, raddr, opts.TLS, quicgoConfig(opts.Versions))
	if err != nil {
		return ConnInfo{}, fmt.Errorf("quic-go dial: %w", err)
	}
	cs := conn.ConnectionState()
	ci := ConnInfo{Version: uint32(cs.Version), CipherSuite: cs.TLS.CipherSuite, ALPN: cs.TLS.NegotiatedProtocol}
	err = fetchAll(files, func(f File) error {
		st, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return fmt.Errorf("%s: open stream: %w", f.Path, err)
		}
		return fetchStream(quicgoStream{st}, f)
	})
	if err != nil {
		conn.CloseWithError(1, "fetch failed")
		return ci, err
	}
	if cause := context.Cause(conn.Context()); cause != nil {
		return ci, fmt.Errorf("quic-go connection ended early: %w", cause)
	}
	return ci, conn.CloseWithError(0, "")
}

// quicgoServer is a Server on quic-go.
type quicgoServer struct {
	serverLog
	tr   *quicgo.Transport
	l    *quicgo.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// StartQuicGoServer listens with quic-go and serves hq-interop.
func StartQuicGoServer(opts ServerOptions) (Server, error) {
	laddr, err := net.ResolveUDPAddr(opts.Network, opts.Addr)
	if err != nil {
		return nil, err
	}
	uc, err := net.ListenUDP(opts.Network, laddr)
	if err != nil {
		return nil, err
	}
	tr := &quicgo.Transport{Conn: uc}
	l, err := tr.Listen(opts.TLS, quicgoConfig(opts.Versions))
	if err != nil {
		uc.Close()
		return nil, err
	}
	s := &quicgoServer{tr: tr, l: l}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *quicgoServer) Addr() *net.UDPAddr { return s.l.Addr().(*net.UDPAddr) }

func (s *quicgoServer) Close() error {
	s.stop()
	s.l.Close()
	err := s.tr.Close()
	s.wg.Wait()
	return err
}

func (s *quicgoServer) acceptLoop() {
	defer s.wg.Done()
	for {
		conn, err := s.l.Accept(s.ctx)
		if err != nil {
			return
		}
		cs := conn.ConnectionState()
		s.addConn(ConnInfo{Version: uint32(cs.Version), CipherSuite: cs.TLS.CipherSuite, ALPN: cs.TLS.NegotiatedProtocol})
		s.wg.Add(1)
		go s.serveConn(conn)
	}
}

func (s *quicgoServer) serveConn(conn *quicgo.Conn) {
	defer s.wg.Done()
	var wg sync.WaitGroup
	defer wg.Wait()
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
			if err := serveStream(quicgoStream{st}); err != nil && !quicgoClosedByPeer(err) && s.ctx.Err() == nil {
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

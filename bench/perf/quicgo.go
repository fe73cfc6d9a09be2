package perf

import (
	"context"
	"crypto/tls"
	"net"
	"sync"

	quicgo "github.com/quic-go/quic-go"
)

func quicgoConfig() *quicgo.Config {
	return &quicgo.Config{MaxIdleTimeout: IdleTimeout}
}

type quicgoServer struct {
	tr     *quicgo.Transport
	l      *quicgo.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startQuicGoServer(addr string, tlsConf *tls.Config) (*quicgoServer, error) {
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	uc, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	tr := &quicgo.Transport{Conn: uc}
	l, err := tr.Listen(tlsConf, quicgoConfig())
	if err != nil {
		uc.Close()
		return nil, err
	}
	s := &quicgoServer{tr: tr, l: l}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *quicgoServer) Addr() *net.UDPAddr { return s.l.Addr().(*net.UDPAddr) }

func (s *quicgoServer) Close() error {
	s.cancel()
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
		s.wg.Add(1)
		go s.serve(conn)
	}
}

func (s *quicgoServer) serve(conn *quicgo.Conn) {
	defer s.wg.Done()
	for {
		st, err := conn.AcceptStream(s.ctx)
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			ServeStream(quicgoStream{st})
		}()
	}
}

// quicgoStream adapts a quic-go stream, whose Close closes only the send
// direction.
type quicgoStream struct{ *quicgo.Stream }

func (s quicgoStream) CloseWrite() error { return s.Stream.Close() }

type quicgoClient struct {
	tr      *quicgo.Transport
	tlsConf *tls.Config
}

func newQuicGoClient(tlsConf *tls.Config) (*quicgoClient, error) {
	uc, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		return nil, err
	}
	return &quicgoClient{tr: &quicgo.Transport{Conn: uc}, tlsConf: tlsConf}, nil
}

func (c *quicgoClient) Dial(ctx context.Context, addr string) (Conn, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	tlsConf := c.tlsConf
	if tlsConf.ServerName == "" {
		tlsConf = tlsConf.Clone()
		host, _, _ := net.SplitHostPort(addr)
		tlsConf.ServerName = host
	}
	conn, err := c.tr.Dial(ctx, raddr, tlsConf, quicgoConfig())
	if err != nil {
		return nil, err
	}
	return quicgoConn{conn}, nil
}

func (c *quicgoClient) Close() error { return c.tr.Close() }

type quicgoConn struct{ c *quicgo.Conn }

func (c quicgoConn) OpenStream(ctx context.Context) (Stream, error) {
	st, err := c.c.OpenStreamSync(ctx)
	if err != nil {
		return nil, err
	}
	return quicgoStream{st}, nil
}

func (c quicgoConn) PacketCounts() (uint64, uint64, bool) {
	s := c.c.ConnectionStats()
	return s.PacketsSent, s.PacketsReceived, true
}

func (c quicgoConn) Close() error { return c.c.CloseWithError(0, "") }

package perf

import (
	"context"
	"crypto/tls"
	"net"
	"sync"

	quic "github.com/quince-go/quic"
)

func quinceConfig() *quic.Config {
	return &quic.Config{MaxIdleTimeout: IdleTimeout, AcceptBacklog: 1024}
}

type quinceServer struct {
	l      *quic.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startQuinceServer(addr string, tlsConf *tls.Config) (*quinceServer, error) {
	l, err := quic.Listen("udp", addr, tlsConf, quinceConfig())
	if err != nil {
		return nil, err
	}
	s := &quinceServer{l: l}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *quinceServer) Addr() *net.UDPAddr { return s.l.Addr().(*net.UDPAddr) }

func (s *quinceServer) Close() error {
	s.cancel()
	err := s.l.Close()
	s.wg.Wait()
	return err
}

func (s *quinceServer) acceptLoop() {
	defer s.wg.Done()
	for {
		sess, err := s.l.Accept(s.ctx)
		if err != nil {
			return
		}
		s.wg.Add(1)
		go s.serve(sess)
	}
}

func (s *quinceServer) serve(sess *quic.Session) {
	defer s.wg.Done()
	for {
		st, err := sess.AcceptStream(s.ctx)
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer st.Close()
			ServeStream(st)
		}()
	}
}

type quinceClient struct{ d *quic.Dialer }

func newQuinceClient(tlsConf *tls.Config) *quinceClient {
	return &quinceClient{d: &quic.Dialer{TLSConfig: tlsConf, Config: quinceConfig()}}
}

func (c *quinceClient) Dial(ctx context.Context, addr string) (Conn, error) {
	s, err := c.d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	return quinceConn{s}, nil
}

// Close does nothing: a Dialer's socket closes with its last session.
func (c *quinceClient) Close() error { return nil }

type quinceConn struct{ s *quic.Session }

func (c quinceConn) OpenStream(ctx context.Context) (Stream, error) {
	st, err := c.s.OpenStream(ctx)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// PacketCounts: quince's public API has no packet counters.
func (c quinceConn) PacketCounts() (uint64, uint64, bool) { return 0, 0, false }

func (c quinceConn) Close() error { return c.s.Close() }

package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	quic "github.com/quince-go/quic"
)

// QuinceClient is a Client on quince's public API.
func QuinceClient(ctx context.Context, addr string, opts ClientOptions, files []File) (ConnInfo, error) {
	d := &quic.Dialer{TLSConfig: opts.TLS, Config: &quic.Config{Versions: opts.Versions}}
	s, err := d.DialContext(ctx, opts.Network, addr)
	if err != nil {
		return ConnInfo{}, fmt.Errorf("quince dial: %w", err)
	}
	cs := s.ConnectionState()
	ci := ConnInfo{Version: cs.Version, CipherSuite: cs.TLS.CipherSuite, ALPN: cs.ALPN}
	err = fetchAll(files, func(f File) error {
		st, err := s.OpenStream(ctx)
		if err != nil {
			return fmt.Errorf("%s: open stream: %w", f.Path, err)
		}
		defer st.Close()
		return fetchStream(st, f)
	})
	if err != nil {
		s.CloseWithError(1, "fetch failed")
		return ci, err
	}
	// A session that ended before this close ended some other way.
	if cause := context.Cause(s.Context()); cause != nil {
		return ci, fmt.Errorf("quince session ended early: %w", cause)
	}
	return ci, s.CloseWithError(0, "")
}

// quinceServer is a Server on quince's public API.
type quinceServer struct {
	serverLog
	l    *quic.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// StartQuinceServer listens with quince and serves hq-interop.
func StartQuinceServer(opts ServerOptions) (Server, error) {
	l, err := quic.Listen(opts.Network, opts.Addr, opts.TLS, &quic.Config{Versions: opts.Versions})
	if err != nil {
		return nil, err
	}
	s := &quinceServer{l: l}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

func (s *quinceServer) Addr() *net.UDPAddr { return s.l.Addr().(*net.UDPAddr) }

func (s *quinceServer) Close() error {
	s.stop()
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
		cs := sess.ConnectionState()
		s.addConn(ConnInfo{Version: cs.Version, CipherSuite: cs.TLS.CipherSuite, ALPN: cs.ALPN})
		s.wg.Add(1)
		go s.serveSession(sess)
	}
}

func (s *quinceServer) serveSession(sess *quic.Session) {
	defer s.wg.Done()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		st, err := sess.AcceptStream(s.ctx)
		if err != nil {
			if !quinceClosedByPeer(err) && s.ctx.Err() == nil {
				s.fail(fmt.Errorf("quince server: accept stream: %w", err))
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer st.Close()
			if err := serveStream(st); err != nil && !quinceClosedByPeer(err) && s.ctx.Err() == nil {
				s.fail(fmt.Errorf("quince server: %w", err))
			}
		}()
	}
}

// quinceClosedByPeer reports whether err is the peer's application close
// with code 0, the way every hq-interop client here ends, or the idle
// timeout that follows when that close was lost (the relay drops it).
func quinceClosedByPeer(err error) bool {
	var ae *quic.ApplicationError
	return errors.As(err, &ae) && ae.Remote && ae.Code == 0 || errors.Is(err, quic.ErrIdleTimeout)
}

package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	quic "github.com/quince-go/quic"
)

// handshakeTimeout is quince's limit on a handshake in these tests, raised
// from its default of 10 s as quic-go's is (see quicgoConfig), to its 30 s
// for the whole handshake: under 30% loss each way, a run of lost flights
// backs the probe timeout off past 10 s now and then, and the lossy cases
// measure whether the handshake completes, not the stack's patience.
const handshakeTimeout = 30 * time.Second

// QuinceClient is a Client on quince's public API.
func QuinceClient(ctx context.Context, addr string, opts ClientOptions, files []File) (ConnInfo, error) {
	conf := &quic.Config{Versions: opts.Versions, Allow0RTT: opts.Early, HandshakeTimeout: handshakeTimeout}
	d := &quic.Dialer{TLSConfig: opts.TLS, Config: conf}
	dial := d.DialContext
	if opts.Early {
		dial = d.DialEarlyContext
	}
	s, err := dial(ctx, opts.Network, addr)
	if err != nil {
		return ConnInfo{}, fmt.Errorf("quince dial: %w", err)
	}
	var prog *progress
	var action *actionResult
	if opts.Action != NoAction {
		action = newActionResult()
		prog = newProgress(opts.ActionAfter, func() { action.finish(quinceAction(ctx, s, opts.Action)) })
	}
	// With Early, the streams may open and their requests go before the
	// handshake completes, in 0-RTT packets.
	err = fetchAll(files, func(f File) error {
		st, err := s.OpenStream(ctx)
		if err != nil {
			return fmt.Errorf("%s: open stream: %w", f.Path, err)
		}
		defer st.Close()
		return fetchStream(st, f, prog)
	})
	if err == nil && action != nil {
		err = action.wait(ctx)
	}
	ci := quinceConnInfo(s)
	ci.ActionDone = action != nil && err == nil
	if err != nil {
		s.CloseWithError(1, "fetch failed")
		return ci, err
	}
	// A session that ended before this close ended some other way.
	if cause := context.Cause(s.Context()); cause != nil {
		return ci, fmt.Errorf("quince session ended early: %w", cause)
	}
	if opts.BeforeClose != nil {
		opts.BeforeClose(ctx)
	}
	return ci, s.CloseWithError(0, "")
}

// quinceConnInfo describes s once its handshake completed (or it ended).
func quinceConnInfo(s *quic.Session) ConnInfo {
	select {
	case <-s.HandshakeComplete():
	case <-s.Context().Done():
	}
	cs := s.ConnectionState()
	return ConnInfo{
		Version: cs.Version, CipherSuite: cs.TLS.CipherSuite, ALPN: cs.ALPN,
		Retried: cs.Retried, Resumed: cs.Resumed, EarlyData: cs.EarlyDataAccepted,
		KeyUpdates: int64(s.Stats().KeyUpdates), PeerKeyUpdates: -1,
	}
}

// quinceAction does a on s.
func quinceAction(ctx context.Context, s *quic.Session, a Action) error {
	switch a {
	case ActionKeyUpdate:
		if err := s.UpdateKeys(); err != nil {
			return fmt.Errorf("UpdateKeys: %w", err)
		}
		return nil
	case ActionMigrate:
		if err := s.Migrate(ctx); err != nil {
			return fmt.Errorf("Migrate: %w", err)
		}
		return nil
	}
	return errActionUnsupported
}

// quinceServer is a Server on quince's public API.
type quinceServer struct {
	serverLog
	opts ServerOptions
	l    *quic.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// StartQuinceServer listens with quince and serves hq-interop.
func StartQuinceServer(opts ServerOptions) (Server, error) {
	conf := &quic.Config{Versions: opts.Versions, RequireRetry: opts.Retry, Allow0RTT: opts.Allow0RTT, HandshakeTimeout: handshakeTimeout}
	l, err := quic.Listen(opts.Network, opts.Addr, opts.TLS, conf)
	if err != nil {
		return nil, err
	}
	s := &quinceServer{opts: opts, l: l}
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
		i := s.addConn(quinceConnInfo(sess))
		s.wg.Add(1)
		go s.serveSession(i, sess)
	}
}

func (s *quinceServer) serveSession(i int, sess *quic.Session) {
	defer s.wg.Done()
	var prog *progress
	var action *actionResult
	if s.opts.Action != NoAction {
		action = newActionResult()
		prog = newProgress(s.opts.ActionAfter, func() { action.finish(quinceAction(s.ctx, sess, s.opts.Action)) })
	}
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		ci := quinceConnInfo(sess)
		if action != nil {
			select {
			case <-action.done:
				ci.ActionDone = action.err == nil
				if action.err != nil {
					s.fail(fmt.Errorf("quince server: %w", action.err))
				}
			default:
			}
		}
		s.endConn(i, ci)
	}()
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
			if err := serveStream(st, prog); err != nil && !quinceClosedByPeer(err) && s.ctx.Err() == nil {
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

package quic

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
)

// StreamListener presents a Listener as a net.Listener: its Accept returns
// each bidirectional stream that a peer opens, on any session the Listener
// accepts, as a net.Conn (a *Stream). An existing server written for
// net.Listener, such as http.Serve or a line-protocol server, runs over it
// unchanged, one stream per connection.
//
// The StreamListener accepts every session and every bidirectional stream
// itself; do not call the Listener's Accept or the sessions' AcceptStream
// alongside it. Unidirectional streams are not accepted; the peer's limit on
// them (Config.MaxIncomingUniStreams) is soon reached. Streams opened by a
// peer wait, within Config.MaxIncomingStreams per session, until Accept
// takes them. Sessions end when their peer closes them, by idle timeout, or
// with the Listener.
type StreamListener struct {
	l      *Listener
	conns  chan *Stream
	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the session and stream acceptors

	stopped chan struct{} // closed when the session acceptor returns
	err     error         // why it returned; set before stopped is closed

	closeOnce sync.Once
	closeErr  error
}

var _ net.Listener = (*StreamListener)(nil)

// NewStreamListener returns a StreamListener over l, which it owns from now
// on: closing the StreamListener closes l.
func NewStreamListener(l *Listener) *StreamListener {
	sl := &StreamListener{
		l:       l,
		conns:   make(chan *Stream),
		stopped: make(chan struct{}),
	}
	sl.ctx, sl.cancel = context.WithCancel(context.Background())
	sl.wg.Add(1)
	go sl.acceptSessions()
	return sl
}

// ListenStreams is Listen followed by NewStreamListener.
func ListenStreams(network, address string, tlsConf *tls.Config, conf *Config) (*StreamListener, error) {
	l, err := Listen(network, address, tlsConf, conf)
	if err != nil {
		return nil, err
	}
	return NewStreamListener(l), nil
}

// acceptSessions accepts sessions and starts a stream acceptor for each,
// until the Listener or the StreamListener closes.
func (sl *StreamListener) acceptSessions() {
	defer sl.wg.Done()
	defer close(sl.stopped)
	for {
		s, err := sl.l.Accept(sl.ctx)
		if err != nil {
			sl.err = err
			if sl.ctx.Err() != nil {
				sl.err = net.ErrClosed
			}
			return
		}
		sl.wg.Add(1)
		go sl.acceptStreams(s)
	}
}

// acceptStreams hands the streams that s's peer opens to Accept, until s
// ends or the StreamListener closes.
func (sl *StreamListener) acceptStreams(s *Session) {
	defer sl.wg.Done()
	for {
		st, err := s.AcceptStream(sl.ctx)
		if err != nil {
			return
		}
		select {
		case sl.conns <- st:
		case <-sl.ctx.Done():
			st.CancelRead(0)
			st.CancelWrite(0)
			return
		}
	}
}

// Accept waits for the next bidirectional stream a peer opens and returns
// it as a net.Conn (a *Stream). After Close, or once the Listener has
// closed, it returns an error that matches net.ErrClosed.
func (sl *StreamListener) Accept() (net.Conn, error) {
	select {
	case st := <-sl.conns:
		return st, nil
	case <-sl.stopped:
		return nil, sl.err
	}
}

// Close closes the StreamListener and its Listener, with every session of
// it, and returns once their goroutines have ended. Accept calls blocked
// in it return an error matching net.ErrClosed.
func (sl *StreamListener) Close() error {
	sl.closeOnce.Do(func() {
		sl.cancel()
		sl.closeErr = sl.l.Close()
		sl.wg.Wait()
	})
	return sl.closeErr
}

// Addr returns the Listener's UDP address.
func (sl *StreamListener) Addr() net.Addr { return sl.l.Addr() }

// Listener returns the underlying Listener, for its Dial.
func (sl *StreamListener) Listener() *Listener { return sl.l }

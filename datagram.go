package quic

import (
	"context"

	"github.com/quince-go/quic/internal/core"
)

// Unreliable datagrams (RFC 9221), enabled with Config.EnableDatagrams.

// SendDatagram sends p in a DATAGRAM frame as soon as congestion control
// allows (RFC 9221, Section 5); p is copied. A datagram is never sent
// again if lost, and if datagrams are sent faster than the path carries
// them the oldest waiting ones are dropped. It returns
// ErrDatagramsUnsupported if the peer does not accept datagrams,
// ErrDatagramTooLarge if p does not fit in one packet on the path now
// (see Stats.PathMTU), and the session's error once it has ended.
func (s *Session) SendDatagram(p []byte) error {
	var err error
	if e := s.do(nil, func(c *core.Conn) {
		if err = c.SendDatagram(p); err != nil {
			err = streamError(err, s.err)
		}
	}); e != nil {
		return e
	}
	return err
}

// ReceiveDatagram returns the next datagram the peer sent, waiting until
// one arrives, ctx ends, or the session ends (its error). At most 128 wait
// to be received; older ones are dropped for newer.
func (s *Session) ReceiveDatagram(ctx context.Context) ([]byte, error) {
	for {
		var p []byte
		var ok bool
		if e := s.do(ctx, func(c *core.Conn) { p, ok = c.ReceiveDatagram() }); e != nil {
			return nil, e
		}
		if ok {
			signal(s.datagrams) // more may be waiting
			return p, nil
		}
		select {
		case <-s.datagrams:
		case <-s.closed:
			return nil, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

package core

import (
	"errors"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Unreliable datagrams (RFC 9221). A datagram goes in one DATAGRAM frame in
// one 1-RTT packet; it counts towards congestion control like any
// ack-eliciting packet but is never sent again when lost.

var (
	// ErrDatagramsUnsupported: the peer did not advertise
	// max_datagram_frame_size, or its transport parameters have not arrived
	// yet (RFC 9221, Section 3).
	ErrDatagramsUnsupported = errors.New("quic: peer does not accept datagrams")
	// ErrDatagramTooLarge: the datagram does not fit in one packet on the
	// path now, or exceeds the peer's max_datagram_frame_size.
	ErrDatagramTooLarge = errors.New("quic: datagram too large")
)

// Bounds of the datagram queues, beyond which the oldest datagram is
// dropped: a late datagram is usually worth less than a new one.
const (
	maxSendDatagrams = 128
	maxRecvDatagrams = 128
)

// datagramQueue is a FIFO of datagrams that drops the oldest when full.
type datagramQueue struct {
	q    [][]byte
	head int
}

func (q *datagramQueue) len() int { return len(q.q) - q.head }

// push adds d, dropping the oldest datagram if the queue holds max; it
// reports whether one was dropped.
func (q *datagramQueue) push(d []byte, max int) (dropped bool) {
	if q.len() >= max {
		q.pop()
		dropped = true
	}
	if q.head > 0 && q.head == len(q.q) {
		q.q, q.head = q.q[:0], 0
	}
	q.q = append(q.q, d)
	return dropped
}

func (q *datagramQueue) peek() []byte { return q.q[q.head] }

func (q *datagramQueue) pop() []byte {
	d := q.q[q.head]
	q.q[q.head] = nil
	q.head++
	if q.head == len(q.q) {
		q.q, q.head = q.q[:0], 0
	} else if q.head >= 64 && q.head*2 >= len(q.q) {
		// Slide the live part down so the slice does not grow forever.
		n := copy(q.q, q.q[q.head:])
		clear(q.q[n:])
		q.q, q.head = q.q[:n], 0
	}
	return d
}

// MaxDatagramSize returns the largest datagram SendDatagram takes now, or
// 0 if the peer accepts none. It depends on the path (RFC 9221, Section 5)
// and may grow as path MTU discovery finds room.
func (c *Conn) MaxDatagramSize() int {
	if c.peerParams == nil || c.peerParams.MaxDatagramFrameSize == 0 {
		return 0
	}
	// One DATAGRAM frame with a Length field alone in a 1-RTT packet: a
	// short header with a 4-byte packet number, and the AEAD tag.
	room := c.maxDatagram - (1 + len(c.connIDs.peerID()) + 4) - protect.TagLen
	frameLimit := int(min(c.peerParams.MaxDatagramFrameSize, uint64(c.maxDatagram)))
	n := min(room, frameLimit) - 1
	// Take the Length field off.
	n -= wire.VarintLen(uint64(max(n, 0)))
	return max(n, 0)
}

// SendDatagram queues p to be sent in a DATAGRAM frame as soon as
// congestion control allows (RFC 9221, Section 5). p is copied. It returns
// ErrDatagramsUnsupported if the peer does not accept datagrams (or the
// handshake has not told yet), ErrDatagramTooLarge if p exceeds
// MaxDatagramSize, and the connection's error once it is closed. If
// datagrams pile up faster than they can be sent, the oldest queued ones
// are dropped. A datagram is never sent again if lost.
func (c *Conn) SendDatagram(p []byte) error {
	if c.closing.state != stateOpen {
		return c.closeErr()
	}
	if c.peerParams == nil || c.peerParams.MaxDatagramFrameSize == 0 {
		return ErrDatagramsUnsupported
	}
	if len(p) > c.MaxDatagramSize() {
		return ErrDatagramTooLarge
	}
	if c.datagramsOut.push(append([]byte(nil), p...), maxSendDatagrams) {
		c.stats.DatagramsDropped++
	}
	return nil
}

// ReceiveDatagram returns the oldest datagram received and not yet taken,
// or false if there is none. EventDatagram says when some arrived. At most
// 128 wait; older ones are dropped to make room.
func (c *Conn) ReceiveDatagram() ([]byte, bool) {
	if c.datagramsIn.len() == 0 {
		return nil, false
	}
	return c.datagramsIn.pop(), true
}

// onDatagramFrame queues a received datagram (RFC 9221, Sections 3 and 5).
func (c *Conn) onDatagramFrame(f *wire.DatagramFrame) error {
	limit := c.cfg.MaxDatagramFrameSize
	if limit == 0 {
		return wire.Errorf(wire.ProtocolViolation, f.Type(), "DATAGRAM frame without max_datagram_frame_size")
	}
	if uint64(f.Len()) > limit {
		return wire.Errorf(wire.ProtocolViolation, f.Type(), "DATAGRAM frame of %d bytes exceeds max_datagram_frame_size %d", f.Len(), limit)
	}
	if c.datagramsIn.push(append([]byte(nil), f.Data...), maxRecvDatagrams) {
		c.stats.DatagramsDropped++
	}
	c.events.push(Event{Kind: EventDatagram})
	return nil
}

// appendDatagrams writes queued datagrams into a 1-RTT packet. One that
// does not fit waits for the next packet, unless it would not fit even an
// empty one (the path shrank), in which case it is dropped.
func (c *Conn) appendDatagrams(w *frameWriter) {
	for c.datagramsOut.len() > 0 {
		f := stash(&c.out.datagram, wire.DatagramFrame{Data: c.datagramsOut.peek()})
		if len(f.Data) > c.MaxDatagramSize() {
			c.datagramsOut.pop()
			c.stats.DatagramsDropped++
			continue
		}
		// Not recorded for loss recovery: a lost datagram stays lost; the
		// packet still counts for congestion control.
		if !w.add(f, sentFrame{}) {
			return
		}
		c.datagramsOut.pop()
		c.stats.DatagramsSentFrames++
	}
}

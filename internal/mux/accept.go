package mux

import (
	"context"
	"errors"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// ErrNotServer is returned by Accept on a mux without Config.Server.
var ErrNotServer = errors.New("mux: Accept on a client mux")

// Accept returns the next datagram that opens a new connection: one
// beginning with a client's first Initial of a supported version. It
// blocks until one arrives, ctx is done, or the mux closes (ErrClosed).
//
// The mux reserves the datagram's Destination Connection ID (the client's
// original one) when it queues the datagram, until the caller either
// Registers the ID with the new session's inbox or Unregisters it to turn
// the connection down. Meanwhile the mux holds the first few later
// datagrams for that ID (counted as Held), which Register hands to the
// inbox in order and Unregister releases, and drops the rest (counted as
// Pending). The caller owns the returned datagram and must Release it.
func (m *Mux) Accept(ctx context.Context) (*Datagram, error) {
	if m.backlog == nil {
		return nil, ErrNotServer
	}
	select {
	case d := <-m.backlog:
		return d, nil
	default:
	}
	select {
	case d := <-m.backlog:
		return d, nil
	case <-m.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// acceptOrRefuse queues d, a client's first Initial, for Accept and
// reserves its Destination Connection ID, or, when the backlog is full,
// refuses the connection. An Initial whose token asks for it is answered
// with INVALID_TOKEN or a Retry instead (see validate).
func (m *Mux) acceptOrRefuse(d *Datagram, h wire.InvariantHeader) {
	if !m.validate(d, h) {
		d.Release()
		return
	}
	if len(m.backlog) < cap(m.backlog) {
		if !m.reserve(h.DstConnID) {
			// A session registered the ID since handle looked it up.
			m.stats.unroutable.Add(1)
			d.Release()
			return
		}
		// Only this goroutine sends on backlog, so there is room.
		m.backlog <- d
		m.stats.accepted.Add(1)
		return
	}
	if m.allowReply() {
		if lh, err := wire.ParseLongHeader(d.Data); err == nil && m.sendClose(d, lh, wire.ConnectionRefused) {
			m.stats.refused.Add(1)
		}
	}
	d.Release()
}

// sendClose answers lh, a client's first Initial in d, with an Initial
// packet that carries CONNECTION_CLOSE with code (RFC 9000, Sections 10.2.3
// and 20.1): CONNECTION_REFUSED when the backlog is full, INVALID_TOKEN for
// a bad Retry token. It is protected with the server's Initial keys derived
// from the client's Destination Connection ID (RFC 9001, Section 5.2). The
// server's Source Connection ID is that same ID, which a server may keep
// (RFC 9000, Section 7.2). The reply is far smaller than the 1200-byte
// trigger, within the anti-amplification limit (Section 8.1). It reports
// whether the reply was sent.
func (m *Mux) sendClose(d *Datagram, lh wire.LongHeader, code wire.ErrorCode) bool {
	_, server := protect.InitialKeys(lh.Version, lh.DstConnID)
	const pnLen = 1
	b, lengthOff, pnOff := wire.AppendLongHeader(m.scratch[:0], wire.LongHeaderFields{
		Type:            wire.PacketInitial,
		Version:         lh.Version,
		DstConnID:       lh.SrcConnID,
		SrcConnID:       lh.DstConnID,
		PacketNumber:    0,
		PacketNumberLen: pnLen,
	})
	cc := wire.ConnectionCloseFrame{Code: uint64(code)}
	b = cc.Append(b)
	// RFC 9001, Section 5.4.2: the header protection sample starts 4 bytes
	// after the start of the Packet Number field; pad with PADDING frames
	// (zero bytes) so that the payload and tag cover it.
	for len(b)+protect.TagLen < pnOff+4+protect.SampleLen {
		b = append(b, 0)
	}
	wire.PutLongHeaderLength(b, lengthOff, len(b)-pnOff+protect.TagLen)
	b = server.Seal(b, pnOff, pnLen, 0)
	return m.WriteTo(b, d.From) == nil
}

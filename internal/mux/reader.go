package mux

import (
	"errors"
	"net"

	"github.com/quince-go/quic/internal/core/wire"
)

// maxConsecutiveReadErrors is how many read errors in a row stop the reader:
// a socket that only fails would otherwise spin.
const maxConsecutiveReadErrors = 100

// readLoop is the reader goroutine. It returns when the socket is closed or
// keeps failing.
func (m *Mux) readLoop() {
	defer close(m.readerEnd)
	if m.batch != nil {
		m.readBatches()
		return
	}
	errs := 0
	for {
		d := m.pool.get()
		n, from, err := m.conn.ReadFromUDPAddrPort(d.buf[:cap(d.buf)])
		if err != nil {
			d.Release()
			if errors.Is(err, net.ErrClosed) {
				m.readErr = ErrClosed
				return
			}
			m.stats.readErrors.Add(1)
			if errs++; errs >= maxConsecutiveReadErrors {
				m.readErr = err
				m.signalDone()
				return
			}
			continue
		}
		errs = 0
		d.Data = d.buf[:n]
		d.From = from
		m.handle(d)
	}
}

// readBatches is readLoop with batched reads (recvmmsg on Linux).
func (m *Mux) readBatches() {
	defer m.batch.release()
	errs := 0
	for {
		err := m.batch.read(m.handleFn)
		if err == nil {
			errs = 0
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			m.readErr = ErrClosed
			return
		}
		m.stats.readErrors.Add(1)
		if errs++; errs >= maxConsecutiveReadErrors {
			m.readErr = err
			m.signalDone()
			return
		}
	}
}

// handle routes one datagram and takes ownership of it.
func (m *Mux) handle(d *Datagram) {
	m.stats.received.Add(1)
	if len(d.Data) > m.cfg.MaxDatagramSize {
		m.stats.oversized.Add(1)
		d.Release()
		return
	}
	h, err := wire.ParseInvariantHeader(d.Data, m.cfg.ConnIDLen)
	if err != nil {
		m.stats.malformed.Add(1)
		d.Release()
		return
	}
	switch m.deliverByID(h.DstConnID, d) {
	case routeDelivered:
		return
	case routeFull:
		m.stats.inboxFull.Add(1)
		d.Release()
		return
	case routeReserved:
		m.hold(h.DstConnID, d)
		return
	}
	if h.Long {
		m.handleUnknownLong(d, h)
	} else {
		m.handleUnknownShort(d, h)
	}
}

// handleUnknownLong handles a long header whose Destination Connection ID
// is not in the table.
func (m *Mux) handleUnknownLong(d *Datagram, h wire.InvariantHeader) {
	switch {
	case !m.cfg.Server || h.Version == 0:
		// A client accepts no new connections, and nobody answers
		// Version Negotiation (RFC 9000, Section 6.1).
	case !m.supports(h.Version):
		if len(d.Data) < minInitialDatagram {
			// RFC 9000, Section 6.1: a server MAY drop a packet of an
			// unsupported version in a datagram too small to carry an
			// Initial; answering it could amplify an attack.
			break
		}
		m.sendVersionNegotiation(d, h)
		d.Release()
		return
	case m.isNewConnection(d, h):
		m.acceptOrRefuse(d, h)
		return
	}
	m.stats.unroutable.Add(1)
	d.Release()
}

// handleUnknownShort handles a short header whose Destination Connection ID
// is not in the table.
func (m *Mux) handleUnknownShort(d *Datagram, h wire.InvariantHeader) {
	if m.deliverToPeers(d) {
		return
	}
	switch {
	case !mayReset(d):
		m.stats.unroutable.Add(1)
	case m.allowReply():
		m.sendStatelessReset(d, h.DstConnID)
	}
	d.Release()
}

// supports reports whether v is in Config.Versions.
func (m *Mux) supports(v uint32) bool {
	for _, s := range m.cfg.Versions {
		if s == v {
			return true
		}
	}
	return false
}

// isNewConnection reports whether d starts with a client's first Initial of
// a supported version: an Initial packet in a datagram of at least 1200
// bytes (RFC 9000, Section 14.1) with a Destination Connection ID of at
// least 8 bytes (Section 7.2).
func (m *Mux) isNewConnection(d *Datagram, h wire.InvariantHeader) bool {
	if len(d.Data) < minInitialDatagram || len(h.DstConnID) < minClientInitialConnIDLen {
		return false
	}
	lh, err := wire.ParseLongHeader(d.Data)
	return err == nil && lh.Type == wire.PacketInitial
}

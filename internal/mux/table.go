package mux

import (
	"errors"
	"net/netip"
	"slices"
)

// ErrConnIDInUse is returned by Register for a connection ID that another
// inbox has registered.
var ErrConnIDInUse = errors.New("mux: connection ID already registered")

// errConnIDLen is returned by Register for an ID of the wrong length.
var errConnIDLen = errors.New("mux: connection ID length is not Config.ConnIDLen")

// Register routes datagrams whose Destination Connection ID is connID to
// inbox. A session registers each connection ID it issues, and a server
// session also the client's original Destination Connection ID, which is
// reserved for it from the moment its Initial is queued for Accept; Register
// turns that reservation into a route. connID is copied.
//
// Register returns ErrConnIDInUse if another inbox has connID, ErrClosed
// after Close, and an error if connID is neither Config.ConnIDLen bytes long
// nor a reservation.
func (m *Mux) Register(connID []byte, inbox chan<- *Datagram) error {
	if inbox == nil {
		panic("mux: Register with a nil inbox")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	cur, ok := m.ids[string(connID)]
	switch {
	case ok && cur == inbox:
		return nil
	case ok && cur != nil:
		return ErrConnIDInUse
	case !ok && len(connID) != m.cfg.ConnIDLen:
		return errConnIDLen
	}
	m.ids[string(connID)] = inbox
	// Datagrams held for a reservation go to the session first, in order.
	for _, d := range m.held[string(connID)] {
		select {
		case inbox <- d:
		default:
			d.Release()
		}
	}
	delete(m.held, string(connID))
	return nil
}

// Unregister removes the route or reservation of connID. Once it returns,
// the mux sends no more datagrams for connID. A session unregisters each
// connection ID it retires, and all of them when it ends.
func (m *Mux) Unregister(connID []byte) {
	m.mu.Lock()
	delete(m.ids, string(connID))
	held := m.held[string(connID)]
	delete(m.held, string(connID))
	m.mu.Unlock()
	for _, d := range held {
		d.Release()
	}
}

// maxHeldPerID is how many datagrams the mux holds for a connection waiting
// in Accept. A client's first flight may span several datagrams (a large
// ClientHello, RFC 9001, Section 4.3), which would otherwise be lost until
// the client's PTO resends them.
const maxHeldPerID = 4

// hold keeps d, for connID's reservation, until the ID is registered or
// unregistered, up to maxHeldPerID datagrams; it takes d over. Only the
// reader calls it.
func (m *Mux) hold(connID []byte, d *Datagram) {
	m.mu.Lock()
	inbox, reserved := m.ids[string(connID)]
	switch {
	case reserved && inbox == nil && len(m.held[string(connID)]) < maxHeldPerID:
		m.held[string(connID)] = append(m.held[string(connID)], d)
		m.mu.Unlock()
		m.stats.held.Add(1)
		return
	case reserved && inbox != nil:
		// Registered since the lookup.
		m.stats.delivered.Add(1)
		select {
		case inbox <- d:
			m.mu.Unlock()
			return
		default:
			m.stats.delivered.Add(^uint64(0))
		}
	}
	m.mu.Unlock()
	m.stats.pending.Add(1)
	d.Release()
}

// releaseHeld releases every held datagram; Close calls it.
func (m *Mux) releaseHeld() {
	m.mu.Lock()
	held := m.held
	m.held = make(map[string][]*Datagram)
	m.mu.Unlock()
	for _, l := range held {
		for _, d := range l {
			d.Release()
		}
	}
}

// RegisterPeer routes to inbox the short-header datagrams from addr whose
// connection ID is unknown, instead of answering them with a stateless
// reset: such a datagram may be the peer's stateless reset, which the
// session's core recognises by its token (RFC 9000, Section 10.3.1). When
// several inboxes register one address, each gets a copy. A session
// registers its peer's address once the handshake can have given it a
// reset token, and unregisters it when the path changes or it ends.
func (m *Mux) RegisterPeer(addr netip.AddrPort, inbox chan<- *Datagram) error {
	if inbox == nil {
		panic("mux: RegisterPeer with a nil inbox")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if !slices.Contains(m.peers[addr], inbox) {
		m.peers[addr] = append(m.peers[addr], inbox)
	}
	return nil
}

// UnregisterPeer undoes RegisterPeer(addr, inbox). Once it returns, the mux
// sends no more datagrams to inbox on account of addr.
func (m *Mux) UnregisterPeer(addr netip.AddrPort, inbox chan<- *Datagram) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := slices.DeleteFunc(m.peers[addr], func(c chan<- *Datagram) bool { return c == inbox })
	if len(l) == 0 {
		delete(m.peers, addr)
	} else {
		m.peers[addr] = l
	}
}

// reserve marks connID as taken by a connection waiting in Accept. It
// reports false if connID is already in the table.
func (m *Mux) reserve(connID []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ids[string(connID)]; ok {
		return false
	}
	m.ids[string(connID)] = nil
	return true
}

// routeResult is what the table says about a datagram.
type routeResult int

const (
	routeUnknown routeResult = iota
	routeDelivered
	routeFull
	routeReserved
)

// deliverByID hands d to the inbox registered for connID, without
// blocking. The read lock is held across the send so that an inbox is never
// used after Unregister returns. On routeFull and routeReserved, d is still
// the caller's.
func (m *Mux) deliverByID(connID []byte, d *Datagram) routeResult {
	m.mu.RLock()
	defer m.mu.RUnlock()
	inbox, ok := m.ids[string(connID)]
	switch {
	case !ok:
		return routeUnknown
	case inbox == nil:
		return routeReserved
	}
	// Count before the send, so that a receiver of d sees it counted.
	m.stats.delivered.Add(1)
	select {
	case inbox <- d:
		return routeDelivered
	default:
		m.stats.delivered.Add(^uint64(0))
		return routeFull
	}
}

// deliverToPeers hands d, or copies of it, to every inbox registered for
// d.From, counting each. It reports whether any was registered; if so d is
// consumed.
func (m *Mux) deliverToPeers(d *Datagram) (found bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	l := m.peers[d.From]
	if len(l) == 0 {
		return false
	}
	for i, inbox := range l {
		c := d
		if i < len(l)-1 {
			c = m.pool.clone(d)
		}
		m.stats.delivered.Add(1)
		select {
		case inbox <- c:
		default:
			m.stats.delivered.Add(^uint64(0))
			m.stats.inboxFull.Add(1)
			c.Release()
		}
	}
	return true
}

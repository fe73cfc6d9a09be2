package core

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// The server's preferred address (RFC 9000, Section 9.6).

var errNoPreferredAddress = errors.New("quic: the server offered no preferred address of this address family")

// preferredAddressParam returns a server's preferred_address transport
// parameter, or nil if Config offers none.
func (c *Conn) preferredAddressParam() *wire.PreferredAddress {
	v4, v6 := c.cfg.PreferredIPv4, c.cfg.PreferredIPv6
	if !v4.IsValid() && !v6.IsValid() || c.connIDs.localLen == 0 {
		// RFC 9000, Section 18.2: not with zero-length connection IDs.
		return nil
	}
	l := c.connIDs.issuePreferred()
	pa := &wire.PreferredAddress{ConnID: l.id, ResetToken: l.resetToken}
	if v4.IsValid() && v4.Addr().Unmap().Is4() {
		pa.IPv4 = netip.AddrPortFrom(v4.Addr().Unmap(), v4.Port())
	}
	if v6.IsValid() && v6.Addr().Is6() && !v6.Addr().Is4In6() {
		pa.IPv6 = netip.AddrPortFrom(v6.Addr().WithZone(""), v6.Port())
	}
	return pa
}

// onPreferredAddress records a server's preferred address: its connection
// ID has sequence number 1 (RFC 9000, Section 5.1.1).
func (c *Conn) onPreferredAddress(pa *wire.PreferredAddress) error {
	if len(pa.ConnID) == 0 {
		// RFC 9000, Section 18.2.
		return wire.Errorf(wire.TransportParameterError, 0, "preferred_address with a zero-length connection ID")
	}
	if len(c.connIDs.peerID()) == 0 {
		return wire.Errorf(wire.TransportParameterError, 0, "preferred_address from a server using zero-length connection IDs")
	}
	c.peerPreferred = pa
	return withFrameType(c.connIDs.onNewConnectionID(&wire.NewConnectionIDFrame{Seq: 1, ConnID: pa.ConnID, ResetToken: pa.ResetToken}), 0)
}

// PreferredAddress returns the server's preferred address (RFC 9000,
// Section 9.6) of the current address family, and false if the server
// offered none.
func (c *Conn) PreferredAddress() (netip.AddrPort, bool) {
	pa := c.peerPreferred
	if pa == nil {
		return netip.AddrPort{}, false
	}
	if c.peerAddr.Addr().Unmap().Is4() {
		return pa.IPv4, pa.IPv4.IsValid()
	}
	return pa.IPv6, pa.IPv6.IsValid()
}

// MigrateToPreferredAddress starts validating the server's preferred
// address from the current local address (RFC 9000, Section 9.6.1): a
// PATH_CHALLENGE goes there with the connection ID of sequence number 1.
// When the answer comes, the connection sends there with that ID
// (EventPathChanged, EventPathValidated); if none comes, it stays where it
// is. It fails before the handshake is confirmed or without a preferred
// address of the current family.
func (c *Conn) MigrateToPreferredAddress(now time.Time) error {
	c.clock = now
	addr, ok := c.PreferredAddress()
	switch {
	case !c.isClient || !ok:
		return errNoPreferredAddress
	case c.closing.state != stateOpen:
		return c.Err()
	case !c.handshakeConfirmed:
		return ErrMigrationTooEarly
	}
	dcid := c.connIDs.peerIDBySeq(1)
	if dcid == nil {
		return ErrNoConnIDForMigration
	}
	c.path.preferred = true
	c.path.off = offPath{addr: addr, dcid: dcid, validated: true, challengeOwed: true}
	rand.Read(c.path.off.challenge[:])
	return nil
}

// switchToPreferred moves a client to the validated preferred address.
func (c *Conn) switchToPreferred(now time.Time) {
	p := &c.path
	addr := p.off.addr
	p.preferred = false
	p.off = offPath{}
	if !c.connIDs.usePeer(1) {
		return
	}
	p.formerServer = c.peerAddr
	c.peerAddr = addr
	p.lastValid = addr
	p.migrations++
	p.validations++
	c.resetPathState()
	c.events.push(Event{Kind: EventPathChanged, Addr: addr})
	c.events.push(Event{Kind: EventPathValidated, Addr: addr})
	c.setLossDetectionTimer(now)
}

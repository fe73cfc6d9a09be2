package core

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Receive processes one UDP datagram from the peer, with every packet
// coalesced in it (RFC 9000, Section 12.2). Packets that can't be
// authenticated are dropped; a protocol error closes the connection, which
// Err then reports. Receive modifies datagram in place (packets are
// decrypted where they lie) and keeps no reference to it.
func (c *Conn) Receive(datagram []byte, from netip.AddrPort, now time.Time) {
	c.ReceiveAt(datagram, from, false, now)
}

// ReceiveAt is Receive for a server that has a second local address, its
// preferred address (RFC 9000, Section 9.6): alternate says the datagram
// arrived there rather than at the address the connection started on.
// SentFromAlternate then says where each datagram Send returns must leave
// from.
func (c *Conn) ReceiveAt(datagram []byte, from netip.AddrPort, alternate bool, now time.Time) {
	c.path.rxAlt = alternate
	if c.closing.state >= stateDraining {
		return
	}
	if c.closing.state == stateClosing {
		// RFC 9000, Section 10.2.1: answer with CONNECTION_CLOSE, but
		// less and less often so that the answers can't amplify an attack.
		c.closing.received++
		if c.closing.received&(c.closing.received-1) == 0 {
			c.closing.closeOwed = true
		}
		return
	}
	c.stats.DatagramsReceived++
	c.stats.BytesReceived += uint64(len(datagram))
	if !c.acceptFrom(from, len(datagram)) {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(0, datagram, DropRejected, now)
		}
		return
	}
	whole := datagram
	first := true
	for len(datagram) > 0 {
		pkt, rest, err := wire.NextPacket(datagram, c.connIDs.localLen)
		if err != nil {
			c.stats.PacketsDropped++
			if c.cfg.Tracer != nil {
				c.tracePacketDropped(0, datagram, DropInvalid, now)
			}
			break
		}
		datagram = rest
		if err := c.receivePacket(pkt, whole, first, from, now); err != nil {
			c.closeWithError(err, now)
			return
		}
		first = false
		if c.closing.state >= stateDraining {
			return
		}
	}
	c.processBuffered0RTT(from, now)
}

// receivePacket processes one packet. An error is a connection error; packets
// that are merely undecryptable are dropped silently (RFC 9000, Section 12.2).
func (c *Conn) receivePacket(pkt, datagram []byte, first bool, from netip.AddrPort, now time.Time) error {
	if pkt[0]&0x80 == 0 {
		return c.receive1RTT(pkt, datagram, from, now)
	}
	if len(pkt) >= 5 && pkt[1]|pkt[2]|pkt[3]|pkt[4] == 0 {
		c.receiveVersionNegotiation(pkt, now)
		return nil
	}
	h, err := wire.ParseLongHeader(pkt)
	if err != nil {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(0, pkt, DropInvalid, now)
		}
		return nil
	}
	if h.Type == wire.PacketRetry {
		c.receiveRetry(&h, pkt, now)
		return nil
	}
	var s *space
	var pt wire.PacketType
	switch h.Type {
	case wire.PacketInitial:
		s, pt = &c.spaces[spaceInitial], wire.PacketInitial
		// RFC 9000, Section 14.1: an Initial from a client must arrive in
		// a datagram of at least 1,200 bytes.
		if !c.isClient && len(datagram) < minDatagramSize {
			c.stats.PacketsDropped++
			if c.cfg.Tracer != nil {
				c.tracePacketDropped(pt, pkt, DropRejected, now)
			}
			return nil
		}
		if c.isClient && len(h.Token) > 0 {
			// RFC 9000, Section 17.2.2: a server's Initial has no token.
			c.stats.PacketsDropped++
			if c.cfg.Tracer != nil {
				c.tracePacketDropped(pt, pkt, DropInvalid, now)
			}
			return nil
		}
	case wire.PacketHandshake:
		s, pt = &c.spaces[spaceHandshake], wire.PacketHandshake
	default:
		if c.isClient {
			// RFC 9000, Section 17.2.3: only clients send 0-RTT.
			c.stats.PacketsDropped++
			if c.cfg.Tracer != nil {
				c.tracePacketDropped(wire.Packet0RTT, pkt, DropRejected, now)
			}
			return nil
		}
		// 0-RTT packets share the application space with 1-RTT
		// (RFC 9000, Section 12.3).
		s, pt = &c.spaces[spaceApp], wire.Packet0RTT
	}
	if !c.connIDs.isLocal(h.DstConnID) && !(!c.isClient && bytes.Equal(h.DstConnID, c.initialDstConnID)) {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(pt, pkt, DropConnectionUnknown, now)
		}
		return nil
	}
	var keys *protect.Keys
	var switchTo uint32
	if pt == wire.Packet0RTT {
		if c.early.keys == nil || h.Version != c.early.version {
			if !c.buffer0RTT(pkt) {
				c.stats.PacketsDropped++
				if c.cfg.Tracer != nil {
					c.tracePacketDropped(pt, pkt, DropKeyUnavailable, now)
				}
			}
			return nil
		}
		keys = c.early.keys
	} else {
		keys, switchTo = c.readKeysFor(&h, s)
	}
	if keys == nil || s.discarded {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(pt, pkt, DropKeyUnavailable, now)
		}
		return nil
	}
	pnLen, err := keys.Header.RemoveHeaderProtection(pkt, h.PacketNumberOffset)
	if err != nil {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(pt, pkt, DropDecryptionFailure, now)
		}
		return nil
	}
	hdrLen := h.PacketNumberOffset + pnLen
	pn := wire.DecodePacketNumber(s.largestRecv, wire.ReadTruncatedPacketNumber(pkt[h.PacketNumberOffset:], pnLen), pnLen)
	if s.isDuplicate(pn) {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(pt, pkt, DropDuplicate, now)
		}
		return nil
	}
	payload, err := keys.Packet.Open(pkt, hdrLen, uint64(pn))
	if err != nil {
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(pt, pkt, DropDecryptionFailure, now)
		}
		return nil
	}
	if err := wire.CheckLongHeaderReservedBits(pkt[0]); err != nil {
		return wire.Errorf(wire.ProtocolViolation, 0, "reserved header bits are not zero")
	}
	if switchTo != 0 {
		// RFC 9369, Section 4: the server upgraded the connection.
		c.followVersion(switchTo)
	}
	c.vn.fixed = true
	if c.cfg.Tracer != nil {
		c.tracePacketReceived(pt, pn, pkt, payload, now)
	}

	// The first packet from the peer names its connection ID
	// (RFC 9000, Section 7.2).
	if !c.connIDs.havePeer() {
		c.connIDs.setPeerInitial(h.SrcConnID)
	} else if c.isClient && s.id == spaceInitial && !c.connIDs.peerChosen {
		// The client switches to the server's chosen connection ID with the
		// server's first Initial.
		c.connIDs.setPeerInitial(h.SrcConnID)
	}
	if c.rejectToken {
		// RFC 9000, Section 8.1.2: an invalid Retry token closes the
		// connection at once.
		c.rejectToken = false
		return wire.Errorf(wire.InvalidToken, 0, "invalid Retry token")
	}
	if s.id == spaceHandshake && !c.isClient {
		// RFC 9000, Section 8.1: a Handshake packet proves the client got
		// the server's Initial: its address is validated. RFC 9001,
		// Section 4.9.1: the server drops Initial keys now.
		c.addressValidated = true
		c.discardSpace(&c.spaces[spaceInitial], now)
	}
	return c.processPayload(s, pt, pn, payload, now)
}

func (c *Conn) receive1RTT(pkt, datagram []byte, from netip.AddrPort, now time.Time) error {
	k := &c.keys1RTT
	dcid, pnOffset, err := wire.ParseShortHeader(pkt, c.connIDs.localLen)
	if err != nil || k.read == nil || !c.connIDs.isLocal(dcid) {
		c.checkStatelessReset(datagram, now)
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(wire.Packet1RTT, pkt, DropKeyUnavailable, now)
		}
		return nil
	}
	s := &c.spaces[spaceApp]
	pnLen, err := k.read.Header.RemoveHeaderProtection(pkt, pnOffset)
	if err != nil {
		c.checkStatelessReset(datagram, now)
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(wire.Packet1RTT, pkt, DropDecryptionFailure, now)
		}
		return nil
	}
	hdrLen := pnOffset + pnLen
	pn := wire.DecodePacketNumber(s.largestRecv, wire.ReadTruncatedPacketNumber(pkt[pnOffset:], pnLen), pnLen)
	if s.isDuplicate(pn) {
		c.onDuplicate(from, pn, now)
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(wire.Packet1RTT, pkt, DropDuplicate, now)
		}
		return nil
	}
	largest := pn > s.largestRecv
	payload, err := c.open1RTT(pkt, hdrLen, pn, wire.ShortHeaderKeyPhase(pkt[0]), now)
	if err != nil {
		if _, ok := err.(*wire.TransportError); ok {
			return err
		}
		k.failedOpens++
		c.checkStatelessReset(datagram, now)
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(wire.Packet1RTT, pkt, DropDecryptionFailure, now)
		}
		return nil
	}
	if err := wire.CheckShortHeaderReservedBits(pkt[0]); err != nil {
		return wire.Errorf(wire.ProtocolViolation, 0, "reserved header bits are not zero")
	}
	if !c.isClient && !c.handshakeComplete {
		// RFC 9001, Section 5.7: a server must not process 1-RTT packets
		// before the handshake completes. One that overtook the client's
		// Finished is dropped; the client will send its data again.
		c.stats.PacketsDropped++
		if c.cfg.Tracer != nil {
			c.tracePacketDropped(wire.Packet1RTT, pkt, DropKeyUnavailable, now)
		}
		return nil
	}
	if !c.isClient {
		// RFC 9001, Section 4.9.3: the client sends no more 0-RTT
		// once it sends 1-RTT; only reordered packets could still come.
		c.early.keys = nil
	}
	if c.cfg.Tracer != nil {
		c.tracePacketReceived(wire.Packet1RTT, pn, pkt, payload, now)
	}
	if err := c.processPayload(s, wire.Packet1RTT, pn, payload, now); err != nil {
		return err
	}
	c.onPeerAddress(from, largest, now)
	return nil
}

// processPayload handles the frames of an authenticated packet and records
// it for acknowledgement.
func (c *Conn) processPayload(s *space, pt wire.PacketType, pn int64, payload []byte, now time.Time) error {
	c.stats.PacketsReceived++
	if len(payload) == 0 {
		// RFC 9000, Section 12.4: a packet must contain a frame.
		return wire.Errorf(wire.ProtocolViolation, 0, "packet %d has no frames", pn)
	}
	ackEliciting := false
	c.path.rxNonProbing = false
	for len(payload) > 0 {
		f, n, err := c.parser.Next(payload)
		if err != nil {
			return err
		}
		payload = payload[n:]
		typ := f.Type()
		if !wire.FrameAllowed(typ, pt) {
			// RFC 9000, Section 12.4, Table 3.
			return wire.Errorf(wire.ProtocolViolation, typ, "frame not allowed in %v packet", pt)
		}
		if wire.IsAckEliciting(typ) {
			ackEliciting = true
		}
		if !isProbingFrame(typ) {
			c.path.rxNonProbing = true // RFC 9000, Section 9.1
		}
		if err := c.handleFrame(s, f, now); err != nil {
			return err
		}
		if c.closing.state >= stateDraining {
			return nil
		}
	}
	if s.discarded {
		return nil
	}
	s.onPacketReceived(pn, ackEliciting, now, c.cfg.MaxAckDelay)
	// RFC 9000, Section 10.1: the idle timer restarts when a packet is
	// processed.
	c.lastActivity = now
	c.sentSinceRecv = false
	return nil
}

// checkStatelessReset recognizes a stateless reset: a datagram whose last 16
// bytes are a reset token the peer gave us (RFC 9000, Section 10.3.1).
func (c *Conn) checkStatelessReset(datagram []byte, now time.Time) {
	if len(datagram) < 21 {
		return
	}
	if c.connIDs.isPeerResetToken(datagram[len(datagram)-16:]) {
		c.enterDraining(&ConnError{Code: uint64(wire.NoError), StatelessReset: true, Remote: true, Reason: "stateless reset"}, now)
	}
}

package core

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/recovery"
	"github.com/quince-go/quic/internal/core/wire"
)

// Connection migration and path validation (RFC 9000, Sections 8.2 and 9).
//
// The Conn sends on one path, to c.peerAddr. A server follows the client to a
// new address when the highest-numbered non-probing packet so far arrives
// from it (NAT rebinding or migration): it sends there at once, within the
// anti-amplification limit until a PATH_CHALLENGE is answered, and goes back
// to the last validated address if validation fails. A client migrates on
// request (Migrate), after the session layer has moved to a new socket.
// Packets to any other address (a PATH_RESPONSE to a probe, a PATH_CHALLENGE
// on the path just left, the probe of a server's preferred address) go out
// one at a time in their own datagram (offPath).

// pathState is the path validation and migration state of a Conn.
type pathState struct {
	// Validation of the path to c.peerAddr (RFC 9000, Section 8.2).
	validating    bool
	challengeOwed bool           // a PATH_CHALLENGE is to be sent
	challenges    [3][8]byte     // the latest challenges sent; any answer validates
	nChallenges   int            // how many of challenges are set
	retryAt       time.Time      // a new PATH_CHALLENGE is sent then
	deadline      time.Time      // validation is abandoned then
	resetCC       bool           // validation resets congestion state (Section 9.4)
	lastValid     netip.AddrPort // the last validated peer address
	migratedBy    int64          // the packet number that moved a server to c.peerAddr
	padOwed       bool           // the datagram being built must be expanded (Section 8.2.1)
	challengeIn   bool           // the datagram being built has a PATH_CHALLENGE
	expanded      bool           // a challenge of this validation went in a 1,200-byte datagram
	mtuCheck      bool           // validating again in an expanded datagram (Section 8.2.3)

	// off is a datagram owed to an address other than c.peerAddr.
	off offPath

	// preferred: a client is validating the server's preferred address
	// (RFC 9000, Section 9.6) through off. formerServer: the address the
	// client moved away from to the preferred one.
	preferred    bool
	formerServer netip.AddrPort

	// ccFloor is the first application packet number sent on the current
	// congestion state: older packets count for neither congestion control
	// nor RTT (RFC 9000, Section 9.4).
	ccFloor int64

	// What Receive learned of the packet being processed; rxAlt: it
	// arrived at the server's alternate (preferred) local address.
	rxFrom       netip.AddrPort
	rxLen        int
	rxNonProbing bool
	rxAlt        bool

	// A server with a preferred address (RFC 9000, Section 9.6.2): sendAlt
	// says its non-probing packets leave from there, which it does once the
	// client sends non-probing packets there and the path from there is
	// validated; lastSendAlt says where the datagram Send last returned
	// leaves from.
	sendAlt, lastSendAlt bool

	// Counters for PathStats.
	migrations     int // times the peer address changed
	validations    int // paths validated after the handshake
	failedToValid  int // validations abandoned
	challengesSent int
	responsesSent  int
}

// offPath is one small datagram to an address other than the current path's:
// a PATH_RESPONSE, a PATH_CHALLENGE, or both. It keeps the anti-amplification
// count of that address (RFC 9000, Section 8.1) unless the address is
// validated.
type offPath struct {
	addr          netip.AddrPort
	alt           bool   // a server's: sent from its alternate local address
	dcid          []byte // the connection ID to use; nil: the current one
	response      [8]byte
	responseOwed  bool
	challenge     [8]byte
	challengeOwed bool
	challengeSent bool      // challenge awaits its answer
	challengeAt   time.Time // when it was sent
	validated     bool      // no anti-amplification limit
	received      int
	sent          int
}

// Path events and errors.
var (
	// ErrMigrationDisabled: the server sent disable_active_migration
	// (RFC 9000, Section 9).
	ErrMigrationDisabled = errors.New("quic: the server does not allow connection migration (disable_active_migration)")
	// ErrNoConnIDForMigration: the peer has not issued a connection ID to
	// use on a new path (RFC 9000, Section 9.5).
	ErrNoConnIDForMigration = errors.New("quic: no unused connection ID from the peer for a new path")
	// ErrMigrationTooEarly: migration must wait for the handshake to be
	// confirmed (RFC 9000, Section 9).
	ErrMigrationTooEarly = errors.New("quic: no migration before the handshake is confirmed")
)

// sameAddr compares peer addresses, ignoring IPv4-in-IPv6 mapping and zones.
func sameAddr(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && a.Addr().Unmap().WithZone("") == b.Addr().Unmap().WithZone("")
}

// onCurrentPath reports whether a datagram from addr arrived on the current
// path. An invalid addr (a caller that does not know) counts as the current
// path.
func (c *Conn) onCurrentPath(addr netip.AddrPort) bool {
	return !addr.IsValid() || !c.peerAddr.IsValid() || sameAddr(addr, c.peerAddr)
}

// acceptFrom reports whether a datagram from addr may be processed, and
// counts it against the anti-amplification limit of its path.
func (c *Conn) acceptFrom(addr netip.AddrPort, n int) bool {
	c.path.rxFrom, c.path.rxLen = addr, n
	if c.onCurrentPath(addr) {
		if !c.addressValidated {
			c.ampReceived += uint64(n)
		}
		return true
	}
	if o := &c.path.off; o.addr.IsValid() && sameAddr(o.addr, addr) {
		o.received += n
		return true
	}
	if c.isClient && c.path.formerServer.IsValid() && sameAddr(addr, c.path.formerServer) {
		// RFC 9000, Section 9.6.2: after the move to the preferred
		// address, the server sends from its original one until it has
		// validated the new path.
		return true
	}
	// RFC 9000, Section 9: a client discards packets from an unknown
	// server address.
	return !c.isClient
}

// isProbingFrame reports whether a frame type is a probing frame
// (RFC 9000, Section 9.1).
func isProbingFrame(t uint64) bool {
	switch t {
	case wire.FramePathChallenge, wire.FramePathResponse, wire.FrameNewConnectionID, wire.FramePadding:
		return true
	}
	return false
}

// onPeerAddress runs after a 1-RTT packet from addr was processed; largest
// says it had the highest packet number so far. RFC 9000, Section 9.3: only
// the highest-numbered non-probing packet moves the path.
func (c *Conn) onPeerAddress(addr netip.AddrPort, largest bool, now time.Time) {
	if !c.isClient && largest && c.path.rxNonProbing && c.handshakeConfirmed &&
		c.onCurrentPath(addr) && c.path.rxAlt != c.path.sendAlt {
		c.followLocalMove(now)
		return
	}
	if c.isClient || !largest || !c.path.rxNonProbing || c.onCurrentPath(addr) || !c.handshakeConfirmed {
		// RFC 9000, Section 9: no migration before the handshake is
		// confirmed; servers do not migrate.
		return
	}
	// A server that sent disable_active_migration still follows: NAT
	// rebinding looks the same, and RFC 9000, Section 9 allows proceeding
	// with path validation. (It does not answer probes; onPathChallenge.)
	c.migrateTo(addr, now)
}

// migrateTo makes addr the server's peer address (RFC 9000, Section 9.3).
func (c *Conn) migrateTo(addr netip.AddrPort, now time.Time) {
	p := &c.path
	old := c.peerAddr
	if c.addressValidated {
		p.lastValid = old
	}
	c.peerAddr = addr
	p.migrations++
	p.migratedBy = c.spaces[spaceApp].largestRecv
	c.events.push(Event{Kind: EventPathChanged, Addr: addr})
	if p.lastValid.IsValid() && sameAddr(addr, p.lastValid) {
		// Back to the last validated path, after a spurious migration:
		// no validation needed (Section 9.3).
		p.validating, p.challengeOwed = false, false
		c.addressValidated = true
		return
	}
	// RFC 9000, Section 9.3.1: the new address is not validated; the
	// anti-amplification limit applies to it.
	c.addressValidated = false
	c.ampReceived, c.ampSent = uint64(p.rxLen), 0
	o := &p.off
	if o.responseOwed && sameAddr(o.addr, addr) {
		// The PATH_CHALLENGE that came with the migration is answered on
		// the new path.
		c.pathResponse, c.pathResponseOwed = o.response, true
	}
	*o = offPath{}
	if p.lastValid.IsValid() && sameAddr(old, p.lastValid) {
		// RFC 9000, Section 9.3.3: validate the previous path too, which
		// makes the genuine peer send there if the migration was forged.
		*o = offPath{addr: old, validated: true, challengeOwed: true}
		rand.Read(o.challenge[:])
	}
	// RFC 9000, Section 9.5: a fresh connection ID for the new path.
	c.connIDs.rotatePeer()
	// Section 9.4: congestion state starts afresh once the address is
	// confirmed, unless only the port changed.
	c.startValidation(now, addr.Addr().Unmap() != old.Addr().Unmap())
}

// followLocalMove runs when the client's newest non-probing packet arrived
// at the server's other local address than the one it sends from: the
// client moved to the preferred address (or back). RFC 9000, Section 9.6.2:
// the server keeps sending from where it does until it has validated the
// path from the new local address, with a PATH_CHALLENGE sent from there;
// the answer switches it (onPathResponse). The original address was
// validated by the handshake: going back needs no new validation. A
// challenge unanswered for a PTO is sent again with the client's next
// packet there.
func (c *Conn) followLocalMove(now time.Time) {
	p := &c.path
	if !p.rxAlt {
		p.sendAlt = false
		return
	}
	o := &p.off
	if !o.alt || !sameAddr(o.addr, c.peerAddr) {
		*o = offPath{addr: c.peerAddr, alt: true, validated: true}
	}
	if o.challengeOwed || o.challengeSent && now.Sub(o.challengeAt) < c.rtt.PTO(c.peerMaxAckDelay()) {
		return // already validating
	}
	o.challengeOwed = true
	rand.Read(o.challenge[:])
}

// onDuplicate looks at a 1-RTT packet from addr dropped as a duplicate.
// An attacker that forwards copies of the client's packets faster than the
// network makes the server migrate to the attacker's address, and the
// genuine packet then arrives as a duplicate (RFC 9000, Section 9.3.3,
// which suggests looking for duplicated packets). When the packet that
// moved the server to an address not yet validated arrives again from the
// last validated address, the server goes back there at once, rather than
// send to the attacker until validation fails.
func (c *Conn) onDuplicate(addr netip.AddrPort, pn int64, now time.Time) {
	p := &c.path
	if c.isClient || c.addressValidated || !p.validating || pn != p.migratedBy ||
		!p.lastValid.IsValid() || !sameAddr(addr, p.lastValid) {
		return
	}
	c.migrateTo(addr, now)
	p.off = offPath{} // the challenge to the previous path is moot now
}

// startValidation starts validating the path to c.peerAddr
// (RFC 9000, Section 8.2.1), abandoning any validation in progress.
func (c *Conn) startValidation(now time.Time, resetCC bool) {
	p := &c.path
	p.validating = true
	p.challengeOwed = true
	p.expanded, p.mtuCheck = false, false
	p.nChallenges = 0
	p.retryAt = time.Time{}
	p.resetCC = resetCC
	// RFC 9000, Section 8.2.4: three times the larger of the current PTO
	// and the PTO of a new path (kInitialRtt).
	fresh := recovery.NewRTT(0)
	pto := max(c.rtt.PTO(c.peerMaxAckDelay()), fresh.PTO(c.peerMaxAckDelay()))
	p.deadline = now.Add(3 * pto)
}

// onPathChallenge handles a PATH_CHALLENGE (RFC 9000, Section 8.2.2): the
// answer goes back on the path the challenge came from.
func (c *Conn) onPathChallenge(data [8]byte) {
	from := c.path.rxFrom
	if c.onCurrentPath(from) {
		if c.path.rxAlt == c.path.sendAlt {
			c.pathResponse, c.pathResponseOwed = data, true
			return
		}
		// A server's other local address, its preferred one (RFC 9000,
		// Section 9.6.2): the PATH_RESPONSE leaves from there, alone
		// (Section 8.2.2); nothing else does until the client moves.
		o := &c.path.off
		if !o.addr.IsValid() || !sameAddr(o.addr, from) || o.alt != c.path.rxAlt {
			*o = offPath{addr: from, alt: c.path.rxAlt, validated: true}
		}
		o.response, o.responseOwed = data, true
		return
	}
	if !c.isClient && c.cfg.DisableActiveMigration {
		// RFC 9000, Section 9: this server refused active migration; the
		// probe from a new address is dropped (not reset, not closed).
		return
	}
	o := &c.path.off
	if !o.addr.IsValid() || !sameAddr(o.addr, from) {
		*o = offPath{addr: from, received: c.path.rxLen}
	}
	o.response, o.responseOwed = data, true
}

// onPathResponse handles a PATH_RESPONSE (RFC 9000, Section 8.2.3): one
// that echoes a challenge validates the path the challenge went on,
// whichever path it arrives on.
func (c *Conn) onPathResponse(data [8]byte, now time.Time) {
	p := &c.path
	if p.validating {
		for i := 0; i < p.nChallenges; i++ {
			if p.challenges[i] == data {
				c.onPathValidated(now)
				return
			}
		}
	}
	if o := &p.off; o.challengeSent && o.challenge == data {
		o.challengeSent = false
		if p.preferred {
			c.switchToPreferred(now)
		}
		if o.alt && !c.isClient {
			// The path from the preferred address is validated and the
			// client sends there: so does the server now (Section 9.6.2).
			p.sendAlt = true
		}
	}
}

// onPathValidated ends a successful validation of c.peerAddr.
func (c *Conn) onPathValidated(now time.Time) {
	p := &c.path
	p.validating, p.challengeOwed = false, false
	c.addressValidated = true
	if p.mtuCheck {
		p.mtuCheck = false
		return
	}
	p.validations++
	p.lastValid = c.peerAddr
	if p.resetCC {
		c.resetPathState()
	}
	c.events.push(Event{Kind: EventPathValidated, Addr: c.peerAddr})
	if !p.expanded {
		// RFC 9000, Section 8.2.3: the challenge was not in a 1,200-byte
		// datagram (anti-amplification), so the address is validated
		// but not the path MTU: validate again, expanded.
		c.startValidation(now, false)
		p.mtuCheck = true
	}
	if !c.isClient {
		// RFC 9000, Section 9.3: a new token for the new address.
		c.issueNewToken(now)
	}
	c.setLossDetectionTimer(now)
}

// resetPathState resets congestion control, the RTT estimate and the path
// MTU for a new path (RFC 9000, Sections 9.4 and 14.2). Packets sent before
// count for neither.
func (c *Conn) resetPathState() {
	c.rtt = recovery.NewRTT(0)
	c.maxDatagram = minDatagramSize
	c.pmtu = pmtuState{}
	c.resetCongestion()
	c.path.ccFloor = c.spaces[spaceApp].nextPN
}

// countsForPath reports whether packet p of space s was sent on the current
// congestion state (RFC 9000, Section 9.4).
func (c *Conn) countsForPath(s *space, pn int64) bool {
	return s.id != spaceApp || pn >= c.path.ccFloor
}

// onPathTimeout runs the validation timers.
func (c *Conn) onPathTimeout(now time.Time) {
	p := &c.path
	if !p.validating {
		return
	}
	if !now.Before(p.deadline) {
		c.onPathFailed(now)
		return
	}
	if !p.retryAt.IsZero() && !now.Before(p.retryAt) {
		// A new challenge, since the last may be lost (Section 8.2.4).
		p.challengeOwed = true
		p.retryAt = time.Time{}
	}
}

// pathTimeout is the next validation timer, or zero.
func (c *Conn) pathTimeout() time.Time {
	p := &c.path
	if !p.validating {
		return time.Time{}
	}
	if !p.retryAt.IsZero() && p.retryAt.Before(p.deadline) {
		return p.retryAt
	}
	return p.deadline
}

// onPathFailed abandons validation of c.peerAddr (RFC 9000, Section 8.2.4).
func (c *Conn) onPathFailed(now time.Time) {
	p := &c.path
	p.validating, p.challengeOwed = false, false
	p.failedToValid++
	failed := c.peerAddr
	if p.mtuCheck {
		// The address answered, but not to a 1,200-byte datagram
		// (RFC 9000, Section 14): the path can't carry QUIC.
		p.mtuCheck = false
		c.closeWithError(wire.Errorf(wire.NoViablePath, 0, "path to %v does not carry 1,200-byte datagrams", failed), now)
		return
	}
	c.events.push(Event{Kind: EventPathFailed, Addr: failed})
	if c.isClient {
		// The new local path does not work; the session layer decides.
		return
	}
	if !p.lastValid.IsValid() || sameAddr(p.lastValid, failed) {
		// RFC 9000, Section 9.3.2: no validated address to go back to;
		// close silently.
		c.closeIdle()
		return
	}
	// RFC 9000, Section 9.3.2: back to the last validated address.
	c.peerAddr = p.lastValid
	c.addressValidated = true
	p.migrations++
	c.events.push(Event{Kind: EventPathChanged, Addr: c.peerAddr})
	c.setLossDetectionTimer(now)
}

// pathFramesOwed reports whether PATH_CHALLENGE or PATH_RESPONSE frames wait
// for the current path; they are sent whatever congestion control says.
func (c *Conn) pathFramesOwed() bool {
	return c.path.challengeOwed || c.pathResponseOwed
}

// appendPathFrames writes the PATH_RESPONSE and PATH_CHALLENGE owed on the
// current path. Either makes the datagram expanded to 1,200 bytes
// (RFC 9000, Section 8.2).
func (c *Conn) appendPathFrames(w *frameWriter) {
	if c.pathResponseOwed {
		if w.add(stash(&c.out.pathResponse, wire.PathResponseFrame{Data: c.pathResponse}), sentFrame{}) {
			c.pathResponseOwed = false
			c.path.padOwed = true
			c.path.responsesSent++
		}
	}
	p := &c.path
	if p.challengeOwed {
		var d [8]byte
		rand.Read(d[:])
		if w.add(stash(&c.out.pathChallenge, wire.PathChallengeFrame{Data: d}), sentFrame{}) {
			p.challengeOwed = false
			copy(p.challenges[1:], p.challenges[:len(p.challenges)-1])
			p.challenges[0] = d
			p.nChallenges = min(p.nChallenges+1, len(p.challenges))
			p.padOwed, p.challengeIn = true, true
			p.challengesSent++
			// Another after a PTO of the new path, never more often
			// (RFC 9000, Section 9.4).
			fresh := recovery.NewRTT(0)
			p.retryAt = c.clock.Add(max(c.rtt.PTO(c.peerMaxAckDelay()), fresh.PTO(c.peerMaxAckDelay())))
		}
	}
}

// padTo expands the datagram b (a prefix of buf) to size bytes with PADDING
// inside its last packet, which is not yet sealed.
func padTo(buf, b []byte, last *builtPacket, size int) []byte {
	if len(b) >= size {
		return b
	}
	pad := size - len(b)
	clear(buf[last.end : last.end+pad])
	last.end += pad
	return buf[:size]
}

// sendOffPath writes the datagram owed to another address than the current
// path's, if any: a 1-RTT packet with PATH_RESPONSE and PATH_CHALLENGE,
// expanded to 1,200 bytes within that address's anti-amplification limit
// (RFC 9000, Section 8.2). It is not tracked for loss or congestion: a lost
// challenge is not sent again, a lost response is answered by the peer's
// next challenge.
func (c *Conn) sendOffPath(buf []byte, now time.Time) (int, netip.AddrPort) {
	o := &c.path.off
	if !o.responseOwed && !o.challengeOwed {
		return 0, netip.AddrPort{}
	}
	k := c.keys1RTT.write
	if k == nil || !c.handshakeComplete {
		return 0, netip.AddrPort{}
	}
	limit := min(len(buf), minDatagramSize)
	if !o.validated {
		limit = min(limit, 3*o.received-o.sent)
	}
	dcid := o.dcid
	if dcid == nil {
		dcid = c.connIDs.peerID()
	}
	s := &c.spaces[spaceApp]
	pnLen := wire.PacketNumberLen(s.nextPN, s.largestAcked)
	if limit < 1+len(dcid)+pnLen+2*9+protect.TagLen {
		// Not even the frames fit; wait for the peer to send more.
		return 0, netip.AddrPort{}
	}
	p := builtPacket{s: s, keys: k, pn: s.nextPN, pnLen: pnLen, lengthOffset: -1}
	b, pnOffset := wire.AppendShortHeader(buf[:0], dcid, p.pn, p.pnLen, c.keys1RTT.writePhase, false)
	p.pnOffset = pnOffset
	if o.responseOwed {
		b = (&wire.PathResponseFrame{Data: o.response}).Append(b)
		o.responseOwed = false
		c.path.responsesSent++
	}
	if o.challengeOwed {
		b = (&wire.PathChallengeFrame{Data: o.challenge}).Append(b)
		o.challengeOwed = false
		o.challengeSent = true
		o.challengeAt = now
		c.path.challengesSent++
	}
	p.end = len(b)
	b = buf[:len(b)+protect.TagLen]
	b = padTo(buf, b, &p, limit)
	if c.cfg.Tracer != nil {
		c.tracePacketSent(&p, buf, now)
	}
	p.seal(buf)
	s.nextPN++
	c.keys1RTT.sealed++
	o.sent += len(b)
	c.stats.PacketsSent++
	c.stats.DatagramsSent++
	c.stats.BytesSent += uint64(len(b))
	c.path.lastSendAlt = o.alt
	return len(b), o.addr
}

// SentFromAlternate reports whether the datagram Send last returned must
// leave from the server's alternate local address, its preferred address,
// rather than the one the connection started on (see ReceiveAt). Always
// false for a client.
func (c *Conn) SentFromAlternate() bool { return c.path.lastSendAlt }

// UsingAlternate reports whether a server sends its non-probing packets
// from its alternate local address: the client moved there and the path
// was validated (RFC 9000, Section 9.6.2).
func (c *Conn) UsingAlternate() bool { return c.path.sendAlt }

// Migrate tells a client connection that it now sends from a new local
// address: the session layer moved to a new socket (RFC 9000, Section 9.2).
// The connection switches to an unused connection ID of the server's
// (Section 9.5), resets congestion control and the RTT estimate
// (Section 9.4), and validates the new path with a PATH_CHALLENGE sent with
// a PING, a non-probing frame that makes the server follow. EventPathValidated
// or EventPathFailed tells how it went.
//
// Migrate fails, changing nothing, before the handshake is confirmed, when
// the server sent disable_active_migration, or when the server has issued no
// spare connection ID.
func (c *Conn) Migrate(now time.Time) error {
	c.clock = now
	switch {
	case !c.isClient:
		return errors.New("quic: only a client migrates")
	case c.closing.state != stateOpen:
		return c.Err()
	case !c.handshakeConfirmed:
		return ErrMigrationTooEarly
	case c.peerParams != nil && c.peerParams.DisableActiveMigration && !c.path.preferred:
		return ErrMigrationDisabled
	case !c.connIDs.rotatePeer():
		return ErrNoConnIDForMigration
	}
	c.resetPathState()
	c.path.off = offPath{}
	c.startValidation(now, false)
	c.spaces[spaceApp].pingOwed = true
	return nil
}

// PathStats are counters of path changes.
type PathStats struct {
	Migrations     int // peer address changes, including returns
	Validations    int // paths validated after the handshake
	Failures       int // path validations abandoned
	ChallengesSent int // PATH_CHALLENGE frames
	ResponsesSent  int // PATH_RESPONSE frames
}

// PathStats returns counters of path changes.
func (c *Conn) PathStats() PathStats {
	p := &c.path
	return PathStats{Migrations: p.migrations, Validations: p.validations, Failures: p.failedToValid,
		ChallengesSent: p.challengesSent, ResponsesSent: p.responsesSent}
}

// PathValidating reports whether the current path awaits validation.
func (c *Conn) PathValidating() bool { return c.path.validating }

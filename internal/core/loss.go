package core

import (
	"time"

	"github.com/quince-go/quic/internal/core/recovery"
	"github.com/quince-go/quic/internal/core/wire"
)

// Loss detection by RFC 9002, Section 6 and Appendix A.

const (
	packetThreshold = 3 // RFC 9002, Section 6.1.1, kPacketThreshold
	// persistentCongestionThreshold is kPersistentCongestionThreshold
	// (RFC 9002, Section 7.6.1).
	persistentCongestionThreshold = 3
)

// onPacketSent records a packet for loss detection
// (RFC 9002, Appendix A.5).
func (c *Conn) onPacketSent(s *space, p *sentPacket) {
	s.sent.push(p)
	if p.inFlight {
		if p.ackEliciting {
			s.lastAckElicitingSent = p.sentAt
			s.inFlightAckEliciting++
		}
		c.bytesInFlight += p.size
		c.cc.OnPacketSent(p.sentAt, p.size)
		c.setLossDetectionTimer(p.sentAt)
	}
	if c.cfg.Tracer != nil {
		c.traceMetrics(p.sentAt)
	}
}

// onAckFrame processes an ACK frame received in space s
// (RFC 9002, Appendix A.7).
func (c *Conn) onAckFrame(s *space, f *wire.AckFrame, now time.Time) error {
	largest := int64(f.Ranges[0].Largest)
	if largest >= s.nextPN {
		return wire.Errorf(wire.ProtocolViolation, wire.FrameAck, "acknowledges packet %d, which was never sent", largest)
	}
	if largest > s.largestAcked {
		s.largestAcked = largest
	}

	// Walk the sent packets from the newest down and the ranges in their
	// descending order together.
	var (
		newestAckedPN    int64 = -1
		newestAckedAt    time.Time
		ackElicitingSeen bool
		minAckedPN       int64 = -1
	)
	appLimited := c.appLimited(c.bytesInFlight)
	ri := 0
	for i := len(s.sent.packets) - 1; i >= 0 && ri < len(f.Ranges); i-- {
		p := s.sent.packets[i]
		if p == nil {
			continue
		}
		for ri < len(f.Ranges) && uint64(p.pn) < f.Ranges[ri].Smallest {
			ri++
		}
		if ri == len(f.Ranges) || uint64(p.pn) > f.Ranges[ri].Largest {
			continue
		}
		if newestAckedPN < 0 {
			newestAckedPN, newestAckedAt = p.pn, p.sentAt
		}
		if p.ackEliciting {
			ackElicitingSeen = true
		}
		minAckedPN = p.pn
		c.onPacketAcked(s, p, appLimited, now)
		s.sent.packets[i] = nil
		s.sent.release(p)
	}
	if newestAckedPN < 0 {
		return nil
	}

	// RFC 9002, Section 5.1: an RTT sample when the largest acknowledged
	// is newly acknowledged and at least one newly acknowledged packet was
	// ack-eliciting.
	if newestAckedPN == largest && ackElicitingSeen && c.countsForPath(s, newestAckedPN) {
		var ackDelay time.Duration
		if s.id == spaceApp {
			ackDelay = c.peerAckDelay(f.AckDelay)
		}
		c.rtt.Update(now.Sub(newestAckedAt), ackDelay, c.peerMaxAckDelay(), c.handshakeConfirmed)
	}
	s.sent.compact()

	c.detectLostPackets(s, now, minAckedPN)

	// RFC 9002, Section 6.2.1: the PTO backoff is reset on an
	// acknowledgement, except for a client before it knows the server has
	// validated its address.
	if c.peerCompletedAddressValidation() {
		c.ptoCount = 0
	}
	c.setLossDetectionTimer(now)
	if c.cfg.Tracer != nil {
		c.traceMetrics(now)
	}
	return nil
}

// peerAckDelay decodes an ACK frame's delay field with the peer's
// ack_delay_exponent (RFC 9000, Section 19.3).
func (c *Conn) peerAckDelay(raw uint64) time.Duration {
	exp := uint64(3)
	if c.peerParams != nil {
		exp = c.peerParams.AckDelayExponent
	}
	us := raw << exp
	if us>>exp != raw || us > uint64(time.Hour/time.Microsecond) {
		return time.Hour
	}
	return time.Duration(us) * time.Microsecond
}

func (c *Conn) peerMaxAckDelay() time.Duration {
	if c.peerParams == nil {
		return 0
	}
	return c.peerParams.MaxAckDelay
}

// onPacketAcked releases what packet p carried.
func (c *Conn) onPacketAcked(s *space, p *sentPacket, appLimited bool, now time.Time) {
	if p.inFlight {
		c.bytesInFlight -= p.size
		if p.ackEliciting {
			s.inFlightAckEliciting--
		}
		if c.countsForPath(s, p.pn) {
			c.cc.OnPacketAcked(now, p.sentAt, p.size, &c.rtt, appLimited)
		}
	}
	if p.pmtuProbe && c.countsForPath(s, p.pn) {
		// (A probe sent on an earlier path says nothing of this one.)
		c.onPMTUProbeAcked(p.size)
	}
	for i := range p.frames {
		f := &p.frames[i]
		switch f.kind {
		case sentAck:
			s.onAckOfAckReceived(f.n)
		case sentCrypto:
			s.cryptoSend.OnAcked(f.offset, int(f.n), false)
			// CRYPTO data comes in bursts, and rarely after the
			// handshake: keep no spare chunk for more.
			s.cryptoSend.Shrink()
		case sentHandshakeDone:
			c.handshakeDoneToAck = false
		case sentNewToken:
			// Acknowledged: a copy that a probe queued again is moot.
			c.newToken, c.newTokenOwed = nil, false
		default:
			c.streams.onFrameAcked(f)
			c.connIDs.onFrameAcked(f)
		}
	}
}

// appLimited reports whether the sender was not using its congestion window
// when it had priorInFlight bytes in flight, so the window should not grow
// (RFC 9002, Section 7.8). Being within a few datagrams of the window, or
// past half of it in slow start, counts as using it: pacing keeps the
// sender a little below the window even when it has data.
func (c *Conn) appLimited(priorInFlight int) bool {
	cwnd := c.cc.Window()
	if priorInFlight >= cwnd {
		return false
	}
	if c.cc.InSlowStart() && priorInFlight > cwnd/2 {
		return false
	}
	return cwnd-priorInFlight > 3*c.maxDatagram
}

// detectLostPackets declares packets lost by the packet and time thresholds
// (RFC 9002, Section 6.1 and Appendix A.10). ackedLow is the smallest packet
// number acknowledged by the ACK being processed (-1 if none), used for the
// persistent congestion check.
func (c *Conn) detectLostPackets(s *space, now time.Time, ackedLow int64) {
	s.lossTime = time.Time{}
	if s.largestAcked < 0 {
		return
	}
	lossDelay := c.rtt.LossDelay()
	lostSendTime := now.Add(-lossDelay)

	var (
		lostAny          bool
		newestLostSentAt time.Time
		firstLostAt      time.Time
		lastLostAt       time.Time
		lostRun          bool // every lost ack-eliciting packet so far is contiguous
	)
	lostRun = true
	for i, p := range s.sent.packets {
		if p == nil {
			continue
		}
		if p.pn > s.largestAcked {
			break
		}
		if p.sentAt.After(lostSendTime) && s.largestAcked-p.pn < packetThreshold {
			t := p.sentAt.Add(lossDelay)
			if s.lossTime.IsZero() || t.Before(s.lossTime) {
				s.lossTime = t
			}
			if !firstLostAt.IsZero() {
				lostRun = false // a packet not lost lies between lost ones
			}
			continue
		}
		// Lost.
		if p.pmtuProbe {
			// Not a congestion signal (RFC 8899, Section 4.4).
			c.bytesInFlight -= p.size
			s.inFlightAckEliciting--
			if c.countsForPath(s, p.pn) {
				c.onPMTUProbeLost()
			}
			s.sent.packets[i] = nil
			s.sent.release(p)
			continue
		}
		c.stats.PacketsLost++
		if c.cfg.Tracer != nil {
			c.tracePacketLost(s, p, now)
		}
		if p.inFlight {
			c.bytesInFlight -= p.size
			if p.ackEliciting {
				s.inFlightAckEliciting--
			}
		}
		// Packets sent before a path change are not a congestion signal
		// for the new path (RFC 9000, Section 9.4).
		if p.inFlight && c.countsForPath(s, p.pn) {
			lostAny = true
			if p.sentAt.After(newestLostSentAt) {
				newestLostSentAt = p.sentAt
			}
			if p.ackEliciting {
				if firstLostAt.IsZero() {
					firstLostAt = p.sentAt
				}
				lastLostAt = p.sentAt
			}
		}
		c.onFramesLost(s, p)
		s.sent.packets[i] = nil
		s.sent.release(p)
	}
	s.sent.compact()
	if !lostAny {
		return
	}
	c.cc.OnCongestionEvent(now, newestLostSentAt)

	// RFC 9002, Section 7.6: persistent congestion when ack-eliciting
	// packets sent over more than the persistent congestion duration are
	// all lost, with an RTT sample taken before they were sent.
	if lostRun && c.rtt.HasSample() && !firstLostAt.IsZero() {
		d := (c.rtt.Smoothed + max(4*c.rtt.Var, recovery.Granularity) + c.peerMaxAckDelay()) * persistentCongestionThreshold
		if lastLostAt.Sub(firstLostAt) > d {
			c.cc.OnPersistentCongestion(now)
		}
	}
}

// onFramesLost queues again the information p carried: what is lost is the
// frames' content, not the packet (RFC 9000, Section 13.3).
func (c *Conn) onFramesLost(s *space, p *sentPacket) {
	for i := range p.frames {
		f := &p.frames[i]
		switch f.kind {
		case sentAck:
			// A newer ACK will be sent when needed.
		case sentCrypto:
			s.cryptoSend.OnLost(f.offset, int(f.n), false)
		case sentHandshakeDone:
			c.handshakeDoneSent = false // send it again
		case sentNewToken:
			// RFC 9000, Section 13.3: the same token again.
			c.newTokenOwed = c.newToken != nil
		default:
			c.streams.onFrameLost(f)
			c.connIDs.onFrameLost(f)
		}
	}
}

// peerCompletedAddressValidation is RFC 9002, Appendix A.6: a server
// assumes the client has validated it; a client knows the server has
// validated it once the handshake is confirmed or a Handshake packet is
// acknowledged.
func (c *Conn) peerCompletedAddressValidation() bool {
	return !c.isClient || c.handshakeConfirmed || c.spaces[spaceHandshake].largestAcked >= 0
}

// earliestLossTime returns the earliest loss_time over the spaces
// (RFC 9002, Appendix A.8 GetLossTimeAndSpace).
func (c *Conn) earliestLossTime() (time.Time, *space) {
	var t time.Time
	var sp *space
	for i := range c.spaces {
		s := &c.spaces[i]
		if s.lossTime.IsZero() || s.discarded {
			continue
		}
		if t.IsZero() || s.lossTime.Before(t) {
			t, sp = s.lossTime, s
		}
	}
	return t, sp
}

// ptoTime returns when the PTO fires and for which space
// (RFC 9002, Appendix A.8 GetPtoTimeAndSpace).
func (c *Conn) ptoTime(now time.Time) (time.Time, *space) {
	duration := (c.rtt.Smoothed + max(4*c.rtt.Var, recovery.Granularity)) << c.ptoCount
	anyInFlight := false
	for i := range c.spaces {
		// 0-RTT packets, which can't have a PTO of their own until the
		// handshake is confirmed, must not stop the client's
		// anti-deadlock PTO either.
		if c.spaces[i].inFlightAckEliciting > 0 && (spaceID(i) != spaceApp || c.handshakeConfirmed) {
			anyInFlight = true
		}
	}
	if !anyInFlight {
		// Client anti-deadlock (RFC 9002, Section 6.2.2.1).
		if c.spaces[spaceHandshake].writeKeys != nil {
			return now.Add(duration), &c.spaces[spaceHandshake]
		}
		return now.Add(duration), &c.spaces[spaceInitial]
	}
	var t time.Time
	var sp *space
	for i := range c.spaces {
		s := &c.spaces[i]
		if s.inFlightAckEliciting == 0 || s.discarded {
			continue
		}
		if s.id == spaceApp {
			if !c.handshakeConfirmed {
				break
			}
			duration += c.peerMaxAckDelay() << c.ptoCount
		}
		pt := s.lastAckElicitingSent.Add(duration)
		if t.IsZero() || pt.Before(t) {
			t, sp = pt, s
		}
	}
	return t, sp
}

// setLossDetectionTimer is RFC 9002, Appendix A.8.
func (c *Conn) setLossDetectionTimer(now time.Time) {
	if t, _ := c.earliestLossTime(); !t.IsZero() {
		c.lossTimer = t
		return
	}
	if !c.isClient && !c.addressValidated && c.ampBudget() <= 0 {
		// The server can't send anyway until the client sends more.
		c.lossTimer = time.Time{}
		return
	}
	anyInFlight := false
	for i := range c.spaces {
		if c.spaces[i].inFlightAckEliciting > 0 && !c.spaces[i].discarded {
			anyInFlight = true
		}
	}
	if !anyInFlight && c.peerCompletedAddressValidation() {
		c.lossTimer = time.Time{}
		return
	}
	c.lossTimer, _ = c.ptoTime(now)
}

// onLossDetectionTimeout is RFC 9002, Appendix A.9.
func (c *Conn) onLossDetectionTimeout(now time.Time) {
	if t, s := c.earliestLossTime(); !t.IsZero() {
		c.detectLostPackets(s, now, -1)
		c.setLossDetectionTimer(now)
		return
	}
	_, s := c.ptoTime(now)
	if s == nil {
		c.lossTimer = time.Time{}
		return
	}
	// Send two probes (RFC 9002, Section 6.2.4), carrying the oldest
	// unacknowledged data so that the probe repairs rather than only asks.
	c.probesToSend = 2
	c.probeSpace = s
	c.probeSplit = false
	c.queueProbe(s)
	c.ptoCount++
	c.stats.PTOCount++
	c.setLossDetectionTimer(now)
}

// queueProbe makes the next packet of space s a probe: ack-eliciting, and
// carrying again data the peer has not acknowledged (RFC 9002, Section
// 6.2.4).
//
// A probe of a handshake space carries all of the space's unacknowledged
// CRYPTO data, and the other handshake space's too when it has data in
// flight, coalesced: the two probes then repair a two-datagram flight whole
// rather than its first half twice.
//
// An application-space probe carries the frames of the two oldest
// ack-eliciting packets that no earlier probe carried, so that successive
// PTOs work through everything in flight rather than resend the same
// packets while the peer's ACKs are being lost; path MTU probes carry
// nothing worth resending and are skipped.
func (c *Conn) queueProbe(s *space) {
	s.pingOwed = true
	c.requeueForProbe(s)
}

// requeueForProbe queues again the data queueProbe describes, without
// owing an ack-eliciting packet for it.
func (c *Conn) requeueForProbe(s *space) {
	if s.id != spaceApp {
		for i := spaceInitial; i <= spaceHandshake; i++ {
			t := &c.spaces[i]
			if t.discarded || t != s && t.inFlightAckEliciting == 0 {
				continue
			}
			for _, p := range t.sent.packets {
				c.onFramesLost(t, p)
			}
		}
		return
	}
	for pass := 0; pass < 2; pass++ {
		n := 0
		for _, p := range s.sent.packets {
			if !p.ackEliciting || p.pmtuProbe || p.reprobed && pass == 0 {
				continue
			}
			p.reprobed = true
			c.onFramesLost(s, p)
			if n++; n == 2 {
				return
			}
		}
		if n > 0 {
			return
		}
		// Every packet in flight was probed before: start over.
	}
}

// cryptoPending reports whether CRYPTO data of either handshake space waits
// to be sent.
func (c *Conn) cryptoPending() bool {
	for i := spaceInitial; i <= spaceHandshake; i++ {
		if t := &c.spaces[i]; !t.discarded && t.cryptoSend.HasPending() {
			return true
		}
	}
	return false
}

// onProbeSent is called after each ack-eliciting datagram sent while probes
// are owed (RFC 9002, Section 6.2.4). If the first probe carried everything
// queueProbe queued, the second carries it again, since either may be lost.
// If it did not, the second carries the rest, and once both are sent the
// whole flight is queued once more, to go as congestion control allows:
// each part is sent twice either way.
func (c *Conn) onProbeSent() {
	c.probesToSend--
	s := c.probeSpace
	if s == nil || s.discarded {
		return
	}
	switch {
	case c.probesToSend == 1 && s.id != spaceApp && c.cryptoPending():
		c.probeSplit = true
	case c.probesToSend == 1:
		c.queueProbe(s)
	case c.probeSplit && !c.cryptoPending():
		c.probeSplit = false
		c.requeueForProbe(s)
	}
}

// discardSpace drops a space's keys and its packets in flight
// (RFC 9002, Section 6.4; RFC 9001, Section 4.9).
func (c *Conn) discardSpace(s *space, now time.Time) {
	if s.discarded {
		return
	}
	for _, p := range s.sent.packets {
		if p.inFlight {
			c.bytesInFlight -= p.size
		}
		s.sent.release(p)
	}
	s.sent.packets = s.sent.packets[:0]
	s.inFlightAckEliciting = 0
	s.lossTime = time.Time{}
	s.readKeys, s.writeKeys = nil, nil
	// Nothing more is sent or received at this level: its CRYPTO buffers
	// go back to the pool rather than stay with an idle connection.
	s.cryptoSend.Release()
	s.cryptoRecv.Release()
	s.ackOwed = false
	s.ackDeadline = time.Time{}
	s.pingOwed = false
	s.discarded = true
	if s.id == spaceInitial {
		c.vn.origRead = nil
	}
	c.ptoCount = 0
	c.setLossDetectionTimer(now)
}

package core

import (
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Path MTU discovery, the datagram packetization layer way (RFC 9000,
// Section 14.3; RFC 8899): the connection starts at 1,200 bytes and, once the
// handshake is confirmed, sends probe packets of larger sizes (a PING padded
// out). An acknowledged probe raises the datagram size; a lost probe is not a
// congestion signal (RFC 8899, Section 4.4), it only moves the search down.

// pmtuProbeSizes are the sizes tried, largest first. 1452 fits an Ethernet
// MTU of 1500 under IPv6 and UDP headers.
var pmtuProbeSizes = [...]int{1452, 1400, 1350, 1280}

// pmtuMaxAttempts is how many probes of one size may be lost before a
// smaller size is tried (RFC 8899, Section 5.1.2, MAX_PROBES).
const pmtuMaxAttempts = 3

type pmtuState struct {
	next     int  // index in pmtuProbeSizes of the size to probe
	attempts int  // probes lost at that size
	inFlight bool // a probe awaits its acknowledgement or loss
	done     bool // the search is over
	// notBefore is when the search may start: three smoothed RTTs after
	// the connection first could probe, so that a short connection (a
	// handshake and one request) sends no probe it has no use for, and
	// the server's HANDSHAKE_DONE does not wait behind one.
	notBefore time.Time
}

// pmtuStartDelay is how many smoothed RTTs the search waits (notBefore).
const pmtuStartDelay = 3

// pmtuTarget is the largest size the search may reach: the local limit and
// the peer's max_udp_payload_size.
func (c *Conn) pmtuTarget() int {
	t := c.cfg.MaxDatagramSize
	if c.peerParams != nil {
		t = min(t, int(min(c.peerParams.MaxUDPPayloadSize, 1<<16)))
	}
	return t
}

// pmtuProbeSize returns the size of the probe to send now, or 0 for none.
func (c *Conn) pmtuProbeSize(bufLen int) int {
	p := &c.pmtu
	if p.done || p.inFlight || !c.handshakeConfirmed || c.keys1RTT.write == nil {
		return 0
	}
	if p.notBefore.IsZero() {
		p.notBefore = c.clock.Add(pmtuStartDelay * c.rtt.Smoothed)
	}
	if c.clock.Before(p.notBefore) {
		return 0
	}
	target := c.pmtuTarget()
	for p.next < len(pmtuProbeSizes) && (pmtuProbeSizes[p.next] > target || pmtuProbeSizes[p.next] > bufLen) {
		p.next++
	}
	if p.next == len(pmtuProbeSizes) || pmtuProbeSizes[p.next] <= c.maxDatagram {
		p.done = true
		return 0
	}
	// A probe is ack-eliciting and counts in flight: it needs room in the
	// congestion window like any packet.
	if c.bytesInFlight+pmtuProbeSizes[p.next] > c.cc.Window() {
		return 0
	}
	return pmtuProbeSizes[p.next]
}

// sendPMTUProbe writes a probe datagram of exactly size bytes into buf: one
// 1-RTT packet with a PING and PADDING.
func (c *Conn) sendPMTUProbe(buf []byte, size int, now time.Time) int {
	s := &c.spaces[spaceApp]
	p := builtPacket{s: s, keys: c.keys1RTT.write, pn: s.nextPN, lengthOffset: -1}
	p.pnLen = wire.PacketNumberLen(p.pn, s.largestAcked)
	b := c.appendHeader(buf[:0], &p)
	b = append(b, byte(wire.FramePing))
	pad := size - protect.TagLen - len(b)
	b = buf[:len(b)+pad]
	clear(b[len(b)-pad:])
	p.end = len(b)
	if c.cfg.Tracer != nil {
		c.tracePMTUProbeSent(&p, buf, now)
	}
	p.seal(buf)
	s.nextPN++

	rec := s.sent.newPacket()
	rec.pn, rec.sentAt, rec.size = p.pn, now, size
	rec.ackEliciting, rec.inFlight, rec.pmtuProbe = true, true, true
	c.onPacketSent(s, rec)
	c.keys1RTT.sealed++
	c.pmtu.inFlight = true
	c.stats.PacketsSent++
	c.stats.DatagramsSent++
	c.stats.BytesSent += uint64(size)
	return size
}

// onPMTUProbeAcked raises the datagram size: the path carries size bytes.
func (c *Conn) onPMTUProbeAcked(size int) {
	c.pmtu.inFlight = false
	c.pmtu.attempts = 0
	if size > c.maxDatagram {
		c.maxDatagram = size
		c.cc.SetMaxDatagramSize(size)
		c.pacer.SetMaxDatagramSize(size)
	}
	// Larger sizes were tried first, so the search is over.
	c.pmtu.done = true
}

// onPMTUProbeLost moves the search to a smaller size after repeated losses.
func (c *Conn) onPMTUProbeLost() {
	p := &c.pmtu
	p.inFlight = false
	if p.attempts++; p.attempts >= pmtuMaxAttempts {
		p.attempts = 0
		p.next++
	}
}

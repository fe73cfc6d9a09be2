package core

import (
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// builtPacket is a packet written into the datagram but not yet sealed.
type builtPacket struct {
	s            *space
	keys         *protect.Keys
	start, end   int // plaintext in the datagram buffer
	pnOffset     int
	pnLen        int
	lengthOffset int // long headers: where the Length field is; -1 for short
	pn           int64
	rec          *sentPacket
	zeroRTT      bool // a 0-RTT packet of the application space
}

// Send writes the next datagram to send into buf and returns its length and
// destination; n is 0 when there is nothing to send now (Timeout says when to
// look again). Packets of several levels are coalesced into one datagram
// (RFC 9000, Section 12.2). buf should hold at least 1,200 bytes; a shorter
// buf sends nothing.
func (c *Conn) Send(buf []byte, now time.Time) (n int, to netip.AddrPort) {
	c.clock = now
	c.path.lastSendAlt = c.path.sendAlt
	if len(buf) < minDatagramSize {
		return 0, c.peerAddr
	}
	switch c.closing.state {
	case stateClosed, stateDraining:
		return 0, c.peerAddr
	case stateClosing:
		if !c.closing.closeOwed {
			return 0, c.peerAddr
		}
		c.closing.closeOwed = false
		return c.sendClose(buf, now), c.peerAddr
	}
	c.maybeUpdateKeys()
	if n, to := c.sendOffPath(buf, now); n > 0 {
		return n, to
	}

	limit := min(len(buf), c.maxDatagram)
	if !c.addressValidated {
		// RFC 9000, Section 8.1: three times what was received.
		limit = min(limit, c.ampBudget())
		if limit < 64 {
			return 0, c.peerAddr
		}
	}

	// Congestion control and pacing decide whether ack-eliciting data may
	// go; ACK-only packets always may (RFC 9002, Section 7).
	// PATH_CHALLENGE and PATH_RESPONSE are not held back either: the path
	// they validate may be why nothing else gets through (RFC 9000,
	// Section 8.2.2).
	pathOwed := c.handshakeComplete && c.pathFramesOwed()
	sendData := c.probesToSend > 0 || pathOwed || c.bytesInFlight < c.cc.Window()
	if sendData && c.probesToSend == 0 && !pathOwed {
		if t := c.pacer.NextSendTime(now, limit, c.cc.Window(), c.rtt.Smoothed); t.After(now) {
			sendData = false
			if c.hasDataToSend() {
				c.pacingUntil = t
			}
		}
	}

	if sendData {
		if size := c.pmtuProbeSize(len(buf)); size > 0 {
			n := c.sendPMTUProbe(buf, size, now)
			c.pacer.OnPacketSent(now, n, c.cc.Window(), c.rtt.Smoothed)
			return n, c.peerAddr
		}
	}

	var pkts [numSpaces]builtPacket
	np := 0
	b := buf[:0]
	padDatagram := false
	c.path.padOwed, c.path.challengeIn = false, false
	for i := range c.spaces {
		s := &c.spaces[i]
		if s.discarded {
			continue
		}
		// Leave room for the AEAD tags of the packets before this one.
		room := limit - len(b) - protect.TagLen
		if room < 48 {
			break
		}
		spaceData := sendData
		if s.id == spaceInitial && !c.isClient && limit < minDatagramSize {
			// An ack-eliciting Initial must be padded to 1,200 bytes
			// (RFC 9000, Section 14.1), which the anti-amplification
			// budget can't pay for now: send only an ACK.
			spaceData = false
		}
		var ok bool
		var p builtPacket
		b, p, ok = c.appendPacket(b, s, len(b)+room, spaceData, now)
		if !ok {
			continue
		}
		if s.id == spaceInitial && (c.isClient || p.rec.ackEliciting) {
			// RFC 9000, Section 14.1: a client pads every datagram with an
			// Initial, a server every datagram with an ack-eliciting one.
			padDatagram = true
		}
		b = buf[:len(b)+protect.TagLen] // room for the tag, sealed below
		pkts[np] = p
		np++
	}
	if np == 0 {
		return 0, c.peerAddr
	}
	if padDatagram && len(b) < minDatagramSize {
		// Pad inside the last packet (RFC 9000, Section 14.1).
		last := &pkts[np-1]
		b = padLastPacket(buf, b, last)
		last.rec.inFlight = true
	} else if c.path.padOwed {
		// RFC 9000, Section 8.2: a datagram with PATH_CHALLENGE or
		// PATH_RESPONSE is expanded to 1,200 bytes, within the
		// anti-amplification limit.
		last := &pkts[np-1]
		b = padTo(buf, b, last, min(minDatagramSize, limit))
		last.rec.inFlight = true
	}
	if c.path.challengeIn && len(b) >= minDatagramSize {
		c.path.expanded = true
	}
	// Seal each packet where it lies.
	for i := 0; i < np; i++ {
		p := &pkts[i]
		if c.cfg.Tracer != nil {
			c.tracePacketSent(p, buf, now)
		}
		p.seal(buf)
		p.rec.size = p.end - p.start + protect.TagLen
		if i == np-1 {
			p.rec.size = len(b) - p.start
		}
		c.onPacketSent(p.s, p.rec)
		c.stats.PacketsSent++
		if p.s.id == spaceApp {
			if !p.zeroRTT {
				c.keys1RTT.sealed++
			}
		}
	}
	n = len(b)
	c.stats.DatagramsSent++
	c.stats.BytesSent += uint64(n)
	if !c.addressValidated {
		c.ampSent += uint64(n)
	}
	ackEliciting := false
	for i := 0; i < np; i++ {
		if pkts[i].rec.ackEliciting {
			ackEliciting = true
		}
		if pkts[i].s.id == spaceHandshake && c.isClient && !c.spaces[spaceInitial].discarded {
			// RFC 9001, Section 4.9.1: the client drops Initial keys when
			// it first sends a Handshake packet.
			c.discardSpace(&c.spaces[spaceInitial], now)
		}
	}
	if ackEliciting {
		c.pacer.OnPacketSent(now, n, c.cc.Window(), c.rtt.Smoothed)
		if c.probesToSend > 0 {
			c.onProbeSent()
		}
		// RFC 9000, Section 10.1: the idle timer restarts when the first
		// ack-eliciting packet after a receive is sent.
		if !c.sentSinceRecv {
			c.lastActivity = now
			c.sentSinceRecv = true
		}
	}
	return n, c.peerAddr
}

// ampBudget is how many more bytes the server may send before the client's
// address is validated (RFC 9000, Section 8.1).
func (c *Conn) ampBudget() int {
	if c.addressValidated {
		return 1 << 30
	}
	return int(3*c.ampReceived) - int(c.ampSent)
}

// hasDataToSend reports whether anything but ACKs waits to be sent.
func (c *Conn) hasDataToSend() bool {
	for i := range c.spaces {
		s := &c.spaces[i]
		if !s.discarded && (s.cryptoSend.HasPending() || s.pingOwed) {
			return true
		}
	}
	return c.streams.sendQueue.len() > 0 || c.appControlOwed() || c.handshakeComplete && c.datagramsOut.len() > 0
}

// appendPacket writes one packet of space s (header and frames) at the end of
// b, up to limit bytes before its AEAD tag. ok is false if the space has
// nothing to send now.
func (c *Conn) appendPacket(b []byte, s *space, limit int, sendData bool, now time.Time) ([]byte, builtPacket, bool) {
	var keys *protect.Keys
	zeroRTT := false
	if s.id == spaceApp {
		keys = c.keys1RTT.write
		if keys == nil && c.sending0RTT() {
			// RFC 9001, Section 4.6.1: stream data before the
			// handshake completes goes in 0-RTT packets.
			keys, zeroRTT = c.early.keys, true
		}
	} else {
		keys = s.writeKeys
	}
	if keys == nil {
		return b, builtPacket{}, false
	}
	// RFC 9000, Section 12.4, Table 3: no ACK frames in 0-RTT packets.
	ackDue := s.ackOwed && !zeroRTT && !s.ackDeadline.After(now)
	if !ackDue && !(sendData && c.spaceHasData(s)) {
		return b, builtPacket{}, false
	}

	start := len(b)
	pn := s.nextPN
	pnLen := wire.PacketNumberLen(pn, s.largestAcked)
	p := builtPacket{s: s, keys: keys, start: start, pn: pn, pnLen: pnLen, lengthOffset: -1, zeroRTT: zeroRTT}
	b = c.appendHeader(b, &p)
	payloadStart := len(b)

	rec := s.sent.newPacket()
	rec.pn = pn
	rec.sentAt = now
	w := frameWriter{b: b, limit: limit, rec: rec}

	// During the handshake every packet with data carries an ACK too, owed
	// or not: it costs a few bytes and gives the peer the RTT samples and
	// loss signals that a lossy handshake would otherwise wait for
	// (RFC 9002, Section 6.2.3).
	if !zeroRTT && (s.ackOwed || s.id != spaceApp && sendData && s.largestRecv >= 0) {
		c.appendAck(&w, s, now)
	}
	if sendData {
		c.appendFrames(&w, s, now)
	}
	// A probe with nothing else to carry is a lone PING; it must not be
	// mistaken for an empty packet (RFC 9002, Sections 6.2.2.1 and 6.2.4).
	if s.pingOwed && !w.ackEliciting && w.room() >= 1 {
		w.b = append(w.b, byte(wire.FramePing))
		w.ackEliciting = true
	}
	if len(w.b) == payloadStart {
		s.sent.release(rec)
		return b[:start], builtPacket{}, false
	}
	if w.ackEliciting {
		s.pingOwed = false
	}
	// RFC 9001, Section 5.4.2: the header protection sample needs at least
	// 4 bytes of packet number and payload.
	for pnLen+len(w.b)-payloadStart < 4 {
		w.b = append(w.b, 0)
	}
	s.nextPN++
	rec.ackEliciting = w.ackEliciting
	rec.inFlight = w.ackEliciting || w.padding
	p.rec = rec
	p.end = len(w.b)
	return w.b, p, true
}

// padLastPacket pads the datagram b (a prefix of buf) to 1,200 bytes with
// PADDING frames inside its last packet, which is not yet sealed
// (RFC 9000, Section 14.1).
func padLastPacket(buf, b []byte, last *builtPacket) []byte {
	pad := minDatagramSize - len(b)
	clear(buf[last.end : last.end+pad])
	last.end += pad
	return buf[:len(b)+pad]
}

// seal fills in the Length field of a long header and protects the packet
// in place; its AEAD tag goes into the room left after it.
func (p *builtPacket) seal(buf []byte) {
	if p.lengthOffset >= 0 {
		wire.PutLongHeaderLength(buf, p.lengthOffset, p.end-p.pnOffset+protect.TagLen)
	}
	p.keys.Seal(buf[p.start:p.end:p.end+protect.TagLen], p.pnOffset-p.start, p.pnLen, uint64(p.pn))
}

// appendHeader writes the header of packet p: a long header for the Initial
// and Handshake spaces, a short one for 1-RTT (RFC 9000, Section 17). It
// sets p's packet number and Length offsets.
func (c *Conn) appendHeader(b []byte, p *builtPacket) []byte {
	if p.s.id == spaceApp && !p.zeroRTT {
		b, p.pnOffset = wire.AppendShortHeader(b, c.connIDs.peerID(), p.pn, p.pnLen, c.keys1RTT.writePhase, false)
		return b
	}
	typ := wire.PacketInitial
	version := c.version
	var token []byte
	if p.zeroRTT {
		// RFC 9369, Section 4: 0-RTT packets keep the original version.
		typ, version = wire.Packet0RTT, c.early.version
	} else if p.s.id == spaceHandshake {
		typ = wire.PacketHandshake
	} else if c.isClient {
		// RFC 9000, Section 17.2.2: a client's Initials carry its token.
		token = c.token
	}
	b, p.lengthOffset, p.pnOffset = wire.AppendLongHeader(b, wire.LongHeaderFields{
		Type: typ, Version: version,
		DstConnID: c.connIDs.peerID(), SrcConnID: c.connIDs.local[0].id,
		Token:        token,
		PacketNumber: p.pn, PacketNumberLen: p.pnLen,
	})
	return b
}

// frameWriter appends frames to a packet within its size limit and records
// what they carry for loss recovery.
type frameWriter struct {
	b            []byte
	limit        int
	rec          *sentPacket
	ackEliciting bool
	padding      bool
}

func (w *frameWriter) room() int { return w.limit - len(w.b) }

// add appends f if it fits, and records it as sf.
func (w *frameWriter) add(f wire.Frame, sf sentFrame) bool {
	if f.Len() > w.room() {
		return false
	}
	w.b = f.Append(w.b)
	w.ackEliciting = true
	if sf.kind != 0 {
		w.rec.frames = append(w.rec.frames, sf)
	}
	return true
}

// spaceHasData reports whether space s has ack-eliciting frames to send.
func (c *Conn) spaceHasData(s *space) bool {
	if s.cryptoSend.HasPending() || s.pingOwed {
		return true
	}
	if s.id == spaceApp && c.sending0RTT() {
		return c.streams.sendQueue.len() > 0
	}
	return s.id == spaceApp && c.handshakeComplete && (c.streams.sendQueue.len() > 0 || c.appControlOwed() || c.datagramsOut.len() > 0)
}

// appendAck writes an ACK frame for space s (RFC 9000, Section 13.2).
func (c *Conn) appendAck(w *frameWriter, s *space, now time.Time) {
	c.ackBuf = s.appendAckRanges(c.ackBuf[:0])
	if len(c.ackBuf) == 0 {
		return
	}
	var delay uint64
	if s.id == spaceApp {
		delay = uint64(now.Sub(s.largestRecvAt).Microseconds()) >> ackDelayExponent
	}
	f := stash(&c.out.ack, wire.AckFrame{Ranges: c.ackBuf, AckDelay: delay})
	// Drop the oldest ranges until the frame fits.
	for f.Len() > w.room() && len(f.Ranges) > 1 {
		f.Ranges = f.Ranges[:len(f.Ranges)-1]
	}
	if f.Len() > w.room() {
		return
	}
	w.b = f.Append(w.b)
	w.rec.frames = append(w.rec.frames, sentFrame{kind: sentAck, n: int64(f.Ranges[0].Largest)})
	s.onAckSent()
}

// appendFrames writes the ack-eliciting frames of space s: control frames,
// CRYPTO data and, at the application level, stream frames.
func (c *Conn) appendFrames(w *frameWriter, s *space, now time.Time) {
	if s.id == spaceApp && c.handshakeComplete {
		c.appendControlFrames(w)
	}
	// CRYPTO data (RFC 9000, Section 19.6).
	for s.cryptoSend.HasPending() {
		const maxOverhead = 1 + 8 + 4
		if w.room() <= maxOverhead {
			break
		}
		off, data, _, ok := s.cryptoSend.NextSend(w.room()-maxOverhead, 1<<62)
		if !ok {
			break
		}
		f := stash(&c.out.crypto, wire.CryptoFrame{Offset: off, Data: data})
		w.add(f, sentFrame{kind: sentCrypto, offset: off, n: int64(len(data))})
		s.cryptoSend.MarkSent(off, len(data), false)
	}
	if s.id == spaceApp && c.handshakeComplete {
		c.appendDatagrams(w)
		c.appendStreamFrames(w)
	} else if s.id == spaceApp && c.sending0RTT() {
		// Only the stream frames go in 0-RTT packets (all of them are
		// allowed there, RFC 9000, Section 12.4, Table 3); connection
		// control frames wait for the handshake.
		c.appendStreamFrames(w)
	}
}

// appControlOwed reports whether connection-level control frames wait.
func (c *Conn) appControlOwed() bool {
	ss := &c.streams
	return c.handshakeDoneToAck && !c.handshakeDoneSent || c.newTokenOwed || c.pathFramesOwed() || ss.maxDataOwed ||
		ss.maxStreamsBidiOwed || ss.maxStreamsUniOwed || ss.blockedOwed ||
		ss.blockedBidiOwed || ss.blockedUniOwed || c.connIDsOwed()
}

func (c *Conn) connIDsOwed() bool {
	if len(c.connIDs.retireOwed) > 0 {
		return true
	}
	for i := range c.connIDs.local {
		if c.connIDs.local[i].owed {
			return true
		}
	}
	return false
}

// appendControlFrames writes the connection-level control frames that are
// owed.
func (c *Conn) appendControlFrames(w *frameWriter) {
	ss := &c.streams
	if c.handshakeDoneToAck && !c.handshakeDoneSent {
		if w.add(stash(&c.out.handshakeDone, wire.HandshakeDoneFrame{}), sentFrame{kind: sentHandshakeDone}) {
			c.handshakeDoneSent = true
		}
	}
	if c.newTokenOwed && len(c.newToken) > 0 {
		if w.add(stash(&c.out.newToken, wire.NewTokenFrame{Token: c.newToken}), sentFrame{kind: sentNewToken}) {
			c.newTokenOwed = false
		}
	}
	c.appendPathFrames(w)
	if ss.maxDataOwed {
		if w.add(stash(&c.out.maxData, wire.MaxDataFrame{Max: ss.recvWin.Update(c.clock, c.rtt.Smoothed)}), sentFrame{kind: sentMaxData}) {
			ss.maxDataOwed = false
		}
	}
	if ss.maxStreamsBidiOwed {
		if w.add(stash(&c.out.maxStreams, wire.MaxStreamsFrame{Bidi: true, Max: uint64(ss.maxRemoteBidi)}), sentFrame{kind: sentMaxStreamsBidi}) {
			ss.maxStreamsBidiOwed = false
			ss.sentMaxBidi = ss.maxRemoteBidi
		}
	}
	if ss.maxStreamsUniOwed {
		if w.add(stash(&c.out.maxStreams, wire.MaxStreamsFrame{Bidi: false, Max: uint64(ss.maxRemoteUni)}), sentFrame{kind: sentMaxStreamsUni}) {
			ss.maxStreamsUniOwed = false
			ss.sentMaxUni = ss.maxRemoteUni
		}
	}
	if ss.blockedOwed {
		if w.add(stash(&c.out.dataBlocked, wire.DataBlockedFrame{Limit: ss.sendWin.Limit()}), sentFrame{kind: sentDataBlocked, n: int64(ss.sendWin.Limit())}) {
			ss.blockedOwed = false
			ss.sendWin.OnBlockedSent(ss.sendWin.Limit())
		}
	}
	if ss.blockedBidiOwed {
		if w.add(stash(&c.out.streamsBlocked, wire.StreamsBlockedFrame{Bidi: true, Limit: uint64(ss.peerMaxBidi)}), sentFrame{kind: sentStreamsBlockedBidi}) {
			ss.blockedBidiOwed = false
		}
	}
	if ss.blockedUniOwed {
		if w.add(stash(&c.out.streamsBlocked, wire.StreamsBlockedFrame{Bidi: false, Limit: uint64(ss.peerMaxUni)}), sentFrame{kind: sentStreamsBlockedUni}) {
			ss.blockedUniOwed = false
		}
	}
	ids := &c.connIDs
	for i := range ids.local {
		l := &ids.local[i]
		if !l.owed {
			continue
		}
		f := stash(&c.out.newConnectionID, wire.NewConnectionIDFrame{Seq: l.seq, ConnID: l.id, ResetToken: l.resetToken})
		if !w.add(f, sentFrame{kind: sentNewConnectionID, offset: l.seq}) {
			break
		}
		l.owed = false
	}
	for len(ids.retireOwed) > 0 {
		seq := ids.retireOwed[0]
		if !w.add(stash(&c.out.retireConnectionID, wire.RetireConnectionIDFrame{Seq: seq}), sentFrame{kind: sentRetireConnectionID, offset: seq}) {
			break
		}
		ids.retireOwed = ids.retireOwed[1:]
		ids.retiring++
	}
}

// appendStreamFrames writes stream frames, serving the streams with data
// round-robin so that one busy stream does not starve the others.
func (c *Conn) appendStreamFrames(w *frameWriter) {
	q := &c.streams.sendQueue
	// Each stream gets a turn; one that makes no progress (held back by
	// flow control) leaves the queue until MAX_DATA or MAX_STREAM_DATA
	// queues it again.
	for turns := q.len(); turns > 0 && w.room() > 24; turns-- {
		s := q.pop()
		before := len(w.b)
		full := c.appendStreamFramesOf(w, s)
		switch {
		case s.hasFramesToSend() && (len(w.b) > before || full) && !c.streamFlowBlocked(s):
			q.push(s)
		case s.hasSend && s.send.HasPending() && c.streams.sendWin.Available(c.streams.sentNew) == 0 && !s.connBlocked:
			s.inSendQueue = false
			s.connBlocked = true
			c.streams.connBlocked = append(c.streams.connBlocked, s)
		default:
			s.inSendQueue = false
		}
		if full {
			break
		}
	}
}

// streamFlowBlocked reports whether s has only new data that flow control
// holds back (it is queued again by MAX_DATA or MAX_STREAM_DATA). Lost data
// is never held back: the receiver may be waiting for it to free the very
// credit that would unblock the rest.
func (c *Conn) streamFlowBlocked(s *stream) bool {
	if !s.hasSend || s.resetSent || s.resetOwed || s.send.HasResend() {
		return false
	}
	return s.sendWin.Available(s.highestSent) == 0 || c.streams.sendWin.Available(c.streams.sentNew) == 0
}

// appendStreamFramesOf writes s's frames; full reports that the packet ran
// out of room.
func (c *Conn) appendStreamFramesOf(w *frameWriter, s *stream) (full bool) {
	ss := &c.streams
	id := uint64(s.id)
	if s.resetOwed {
		f := stash(&c.out.resetStream, wire.ResetStreamFrame{StreamID: id, Code: s.resetCode, FinalSize: s.send.MaxSent()})
		if !w.add(f, sentFrame{kind: sentResetStream, id: s.id}) {
			return true
		}
		s.resetOwed = false
		s.resetSent = true
		s.send.Release()
	}
	if s.stopOwed {
		if !w.add(stash(&c.out.stopSending, wire.StopSendingFrame{StreamID: id, Code: s.stopSendCode}), sentFrame{kind: sentStopSending, id: s.id}) {
			return true
		}
		s.stopOwed = false
		s.stopSent = true
	}
	if s.maxDataOwed {
		f := stash(&c.out.maxStreamData, wire.MaxStreamDataFrame{StreamID: id, Max: s.recvWin.Update(c.clock, c.rtt.Smoothed)})
		if !w.add(f, sentFrame{kind: sentMaxStreamData, id: s.id}) {
			return true
		}
		s.maxDataOwed = false
	}
	if s.blockedOwed {
		if !w.add(stash(&c.out.streamDataBlocked, wire.StreamDataBlockedFrame{StreamID: id, Limit: s.sendWin.Limit()}), sentFrame{kind: sentStreamDataBlocked, id: s.id, n: int64(s.sendWin.Limit())}) {
			return true
		}
		s.blockedOwed = false
		s.sendWin.OnBlockedSent(s.sendWin.Limit())
	}
	if !s.hasSend || s.resetSent {
		return false
	}
	for s.send.HasPending() {
		// Overhead bound: type, ID, an 8-byte offset, a 2-byte length.
		overhead := 1 + wire.VarintLen(id) + 8 + 2
		if w.room() <= overhead {
			return true
		}
		connAvail := ss.sendWin.Available(ss.sentNew)
		limit := min(s.sendWin.Limit(), s.highestSent+connAvail)
		off, data, fin, ok := s.send.NextSend(w.room()-overhead, limit)
		if !ok {
			// Held back by flow control: tell the peer once per limit
			// (RFC 9000, Section 4.1).
			if _, ok := s.sendWin.ShouldSendBlocked(s.highestSent); ok {
				s.blockedOwed = true
				return c.appendStreamFramesOf(w, s)
			}
			if _, ok := ss.sendWin.ShouldSendBlocked(ss.sentNew); ok {
				ss.blockedOwed = true
			}
			return false
		}
		f := stash(&c.out.stream, wire.StreamFrame{StreamID: id, Offset: off, Data: data, Fin: fin})
		w.add(f, sentFrame{kind: sentStream, id: s.id, offset: off, n: int64(len(data)), fin: fin})
		s.send.MarkSent(off, len(data), fin)
		if end := off + uint64(len(data)); end > s.highestSent {
			ss.sentNew += end - s.highestSent
			s.highestSent = end
		}
	}
	return false
}

// sendClose writes a datagram with CONNECTION_CLOSE in every space the peer
// may be reading (RFC 9000, Section 10.2.3).
func (c *Conn) sendClose(buf []byte, now time.Time) int {
	limit := min(len(buf), c.maxDatagram)
	if !c.addressValidated {
		limit = min(limit, c.ampBudget())
	}
	var pkts [numSpaces]builtPacket
	np := 0
	b := buf[:0]
	for i := range c.spaces {
		s := &c.spaces[i]
		if s.discarded {
			continue
		}
		keys := s.writeKeys
		if s.id == spaceApp {
			keys = c.keys1RTT.write
			if !c.handshakeComplete {
				keys = nil
			}
		}
		if keys == nil || limit-len(b) < 64+protect.TagLen {
			continue
		}
		f := c.closing.frame
		if f.App && s.id != spaceApp {
			// RFC 9000, Section 10.2.3: an application close before the
			// handshake is a transport APPLICATION_ERROR with no reason.
			f = wire.ConnectionCloseFrame{Code: uint64(wire.ApplicationError)}
		}
		if len(f.Reason) > limit-len(b)-64-protect.TagLen {
			f.Reason = f.Reason[:max(0, limit-len(b)-64-protect.TagLen)]
		}
		p := builtPacket{s: s, keys: keys, start: len(b), pn: s.nextPN, lengthOffset: -1}
		p.pnLen = wire.PacketNumberLen(p.pn, s.largestAcked)
		b = c.appendHeader(b, &p)
		b = f.Append(b)
		for len(b)-p.pnOffset < 4+p.pnLen {
			b = append(b, 0)
		}
		s.nextPN++
		p.end = len(b)
		b = buf[:len(b)+protect.TagLen]
		pkts[np] = p
		np++
	}
	if c.isClient && np > 0 && pkts[0].s.id == spaceInitial && len(b) < minDatagramSize {
		last := &pkts[np-1]
		b = padLastPacket(buf, b, last)
	}
	for i := 0; i < np; i++ {
		p := &pkts[i]
		if c.cfg.Tracer != nil {
			c.tracePacketSent(p, buf, now)
		}
		p.seal(buf)
	}
	if !c.addressValidated {
		c.ampSent += uint64(len(b))
	}
	c.stats.DatagramsSent++
	c.stats.PacketsSent += uint64(np)
	c.stats.BytesSent += uint64(len(b))
	return len(b)
}

// stash stores v in slot, a field of Conn.out, and returns the slot: frames
// passed to the frameWriter live in the Conn so that they do not escape to
// the heap on every packet.
func stash[T any](slot *T, v T) *T {
	*slot = v
	return slot
}

// outFrames holds the frame values the packer is writing.
type outFrames struct {
	ack                wire.AckFrame
	crypto             wire.CryptoFrame
	dataBlocked        wire.DataBlockedFrame
	handshakeDone      wire.HandshakeDoneFrame
	maxData            wire.MaxDataFrame
	maxStreamData      wire.MaxStreamDataFrame
	maxStreams         wire.MaxStreamsFrame
	newConnectionID    wire.NewConnectionIDFrame
	newToken           wire.NewTokenFrame
	datagram           wire.DatagramFrame
	pathResponse       wire.PathResponseFrame
	pathChallenge      wire.PathChallengeFrame
	resetStream        wire.ResetStreamFrame
	retireConnectionID wire.RetireConnectionIDFrame
	stopSending        wire.StopSendingFrame
	stream             wire.StreamFrame
	streamDataBlocked  wire.StreamDataBlockedFrame
	streamsBlocked     wire.StreamsBlockedFrame
}

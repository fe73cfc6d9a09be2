package core

import (
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Tracer receives a connection's events, for qlog (internal/qlog) or a log
// adapter. The Conn calls it synchronously from Send, Receive and OnTimeout,
// from the goroutine that drives the Conn, with the time passed to that
// call. A Tracer must not call back into the Conn and must not block; byte
// slices and pointers it is given are valid only during the call.
//
// With Config.Tracer nil the Conn calls nothing and pays only a nil check
// at each point.
type Tracer interface {
	// PacketSent is called for every packet sent, before it is sealed.
	PacketSent(now time.Time, p *TracePacket)
	// PacketReceived is called for every packet that was authenticated,
	// before its frames are processed.
	PacketReceived(now time.Time, p *TracePacket)
	// PacketDropped is called for a received packet that was not
	// processed. Only p.Type and p.Size are reliable.
	PacketDropped(now time.Time, p *TracePacket, reason DropReason)
	// PacketLost is called for a packet declared lost (RFC 9002,
	// Section 6.1). p carries no frames.
	PacketLost(now time.Time, p *TracePacket, reason LossReason)
	// MetricsUpdated is called when any recovery metric changed.
	MetricsUpdated(now time.Time, m *TraceMetrics)
	// KeyUpdated is called when keys of a packet type and direction are
	// installed or updated; it carries no key material.
	KeyUpdated(now time.Time, k TraceKey)
	// ConnectionStateUpdated is called when the connection state advances.
	// err is the reason of the close when state is TraceClosing,
	// TraceDraining or TraceClosed, else nil.
	ConnectionStateUpdated(now time.Time, old, state TraceState, err *ConnError)
	// ParametersSet is called with this endpoint's transport parameters
	// (local true) before the first packet, and with the peer's when they
	// arrive.
	ParametersSet(now time.Time, local bool, p *wire.TransportParameters)
}

// TracePacket describes one packet for a Tracer.
type TracePacket struct {
	Type    wire.PacketType // 0 if unknown
	Version uint32          // long headers only
	Number  int64           // -1 if unknown
	// NumberLen is the length of the packet number field, 0 if unknown.
	NumberLen int
	// Size is the packet's bytes on the wire: header, payload and AEAD
	// tag.
	Size int
	// DstConnID and SrcConnID are the header's connection IDs; SrcConnID
	// only in long headers.
	DstConnID, SrcConnID []byte
	// KeyPhase is the 1-RTT key phase bit.
	KeyPhase bool
	// Frames is the plaintext payload: the packet's frames, parsed with
	// wire.FrameParser.
	Frames []byte
	// MTUProbe marks a path MTU probe.
	MTUProbe bool
}

// DropReason says why a received packet was dropped; its String is the
// qlog packet_dropped trigger.
type DropReason uint8

const (
	DropGeneral           DropReason = iota // none of the below
	DropInvalid                             // malformed header
	DropConnectionUnknown                   // connection ID not this connection's
	DropKeyUnavailable                      // no keys for the packet type (yet, or any more)
	DropDecryptionFailure                   // header protection or AEAD failed
	DropDuplicate                           // packet number already received
	DropRejected                            // refused by policy (address, size, state)
)

var dropReasons = [...]string{"general", "invalid", "connection_unknown", "key_unavailable", "decryption_failure", "duplicate", "rejected"}

func (r DropReason) String() string { return dropReasons[r] }

// LossReason says which rule declared a packet lost; its String is the
// qlog packet_lost trigger.
type LossReason uint8

const (
	LossReorderingThreshold LossReason = iota // RFC 9002, Section 6.1.1
	LossTimeThreshold                         // RFC 9002, Section 6.1.2
)

func (r LossReason) String() string {
	if r == LossTimeThreshold {
		return "time_threshold"
	}
	return "reordering_threshold"
}

// TraceMetrics are the recovery metrics (RFC 9002, Appendices A.3 and B.2).
type TraceMetrics struct {
	MinRTT, SmoothedRTT, LatestRTT, RTTVar time.Duration
	PTOCount                               int
	CongestionWindow                       int
	BytesInFlight                          int
}

// TraceKey identifies keys that were installed or updated.
type TraceKey struct {
	Type wire.PacketType // Initial, Handshake, 0-RTT or 1-RTT
	// Server: the keys protect what the server sends; else the client's.
	Server bool
	// Generation counts 1-RTT key updates: 0 for the first 1-RTT keys
	// (RFC 9001, Section 6). The key phase bit is Generation&1.
	Generation uint64
	Trigger    KeyTrigger
}

// KeyTrigger says why keys changed; its String is the qlog trigger.
type KeyTrigger uint8

const (
	KeyTriggerTLS    KeyTrigger = iota // keys from the TLS handshake (and Initial keys)
	KeyTriggerLocal                    // a key update this endpoint started
	KeyTriggerRemote                   // a key update the peer started
)

func (t KeyTrigger) String() string {
	return [...]string{"tls", "local_update", "remote_update"}[t]
}

// TraceState is a connection state as qlog names them (connection_state_updated).
type TraceState uint8

const (
	TraceStateNone TraceState = iota
	TraceAttempted
	TraceHandshakeStarted
	TraceHandshakeComplete
	TraceHandshakeConfirmed
	TraceClosing
	TraceDraining
	TraceClosed
)

func (s TraceState) String() string {
	return [...]string{"none", "attempted", "handshake_started", "handshake_complete", "handshake_confirmed", "closing", "draining", "closed"}[s]
}

// traceState is what the Conn remembers to report changes to its Tracer.
type traceState struct {
	started     bool
	peerParams  bool
	state       TraceState
	metrics     TraceMetrics
	pkt         TracePacket // reused so that tracing allocates less
	keys        [4][2]*protect.Keys
	generations [2]uint64 // 1-RTT key updates seen: read, write
}

// traceKeyIndex maps key slots to packet types.
var traceKeyTypes = [4]wire.PacketType{wire.PacketInitial, wire.PacketHandshake, wire.Packet0RTT, wire.Packet1RTT}

// traceChanges reports what changed since the last event: parameters, keys,
// connection state and metrics. Every trace helper calls it first.
func (c *Conn) traceChanges(now time.Time) {
	t := c.cfg.Tracer
	ts := &c.trace
	if !ts.started {
		ts.started = true
		t.ParametersSet(now, true, &c.localParams)
	}
	if !ts.peerParams && c.peerParams != nil {
		ts.peerParams = true
		t.ParametersSet(now, false, c.peerParams)
	}
	c.traceKeys(now)
	c.traceConnState(now)
}

// traceKeys reports keys installed or updated since the last look.
func (c *Conn) traceKeys(now time.Time) {
	ts := &c.trace
	var cur [4][2]*protect.Keys // [type][0 read, 1 write]
	cur[0] = [2]*protect.Keys{c.spaces[spaceInitial].readKeys, c.spaces[spaceInitial].writeKeys}
	cur[1] = [2]*protect.Keys{c.spaces[spaceHandshake].readKeys, c.spaces[spaceHandshake].writeKeys}
	if c.isClient {
		cur[2][1] = c.early.keys
	} else {
		cur[2][0] = c.early.keys
	}
	cur[3] = [2]*protect.Keys{c.keys1RTT.read, c.keys1RTT.write}
	for i := range cur {
		for dir := range 2 {
			k := cur[i][dir]
			if k == ts.keys[i][dir] {
				continue
			}
			old := ts.keys[i][dir]
			ts.keys[i][dir] = k
			if k == nil {
				continue // discarded
			}
			// dir 1 is what this endpoint writes.
			server := (dir == 1) != c.isClient
			tk := TraceKey{Type: traceKeyTypes[i], Server: server}
			if i == 3 && old != nil {
				// A key update (RFC 9001, Section 6). Whoever moved first
				// started it: writing ahead of reading is a local update;
				// reading catching up with a write already updated too.
				ts.generations[dir]++
				tk.Generation = ts.generations[dir]
				tk.Trigger = KeyTriggerRemote
				if dir == 1 && c.keys1RTT.writePhase != c.keys1RTT.readPhase ||
					dir == 0 && ts.generations[1] >= ts.generations[0] {
					tk.Trigger = KeyTriggerLocal
				}
			}
			c.cfg.Tracer.KeyUpdated(now, tk)
		}
	}
}

// traceConnState reports the connection state if it advanced.
func (c *Conn) traceConnState(now time.Time) {
	s := TraceAttempted
	switch {
	case c.closing.state == stateClosed:
		s = TraceClosed
	case c.closing.state == stateDraining:
		s = TraceDraining
	case c.closing.state == stateClosing:
		s = TraceClosing
	case c.handshakeConfirmed:
		s = TraceHandshakeConfirmed
	case c.handshakeComplete:
		s = TraceHandshakeComplete
	case c.spaces[spaceHandshake].writeKeys != nil || c.spaces[spaceHandshake].readKeys != nil || c.spaces[spaceHandshake].discarded:
		s = TraceHandshakeStarted
	}
	ts := &c.trace
	if s <= ts.state {
		return
	}
	old := ts.state
	ts.state = s
	var err *ConnError
	if s >= TraceClosing {
		err = c.closing.err
	}
	c.cfg.Tracer.ConnectionStateUpdated(now, old, s, err)
}

// traceMetrics reports the recovery metrics if any changed.
func (c *Conn) traceMetrics(now time.Time) {
	c.traceChanges(now)
	m := TraceMetrics{
		MinRTT: c.rtt.Min, SmoothedRTT: c.rtt.Smoothed, LatestRTT: c.rtt.Latest, RTTVar: c.rtt.Var,
		PTOCount: c.ptoCount, CongestionWindow: c.cc.Window(), BytesInFlight: c.bytesInFlight,
	}
	if m == c.trace.metrics {
		return
	}
	c.trace.metrics = m
	c.cfg.Tracer.MetricsUpdated(now, &c.trace.metrics)
}

// tracePacketSent reports packet p, written into buf and not yet sealed.
func (c *Conn) tracePacketSent(p *builtPacket, buf []byte, now time.Time) {
	c.traceChanges(now)
	tp := &c.trace.pkt
	*tp = TracePacket{
		MTUProbe: tp.MTUProbe,
		Number:   p.pn, NumberLen: p.pnLen,
		Size:   p.end - p.start + protect.TagLen,
		Frames: buf[p.pnOffset+p.pnLen : p.end],
	}
	hdr := buf[p.start:p.pnOffset]
	c.traceHeader(tp, hdr, p.s.id, p.zeroRTT)
	c.cfg.Tracer.PacketSent(now, tp)
	tp.MTUProbe = false
}

// tracePMTUProbeSent reports a path MTU probe (pmtud.go).
func (c *Conn) tracePMTUProbeSent(p *builtPacket, buf []byte, now time.Time) {
	c.trace.pkt.MTUProbe = true
	c.tracePacketSent(p, buf, now)
}

// traceHeader fills in tp's header fields from the unprotected header hdr
// (up to the packet number).
func (c *Conn) traceHeader(tp *TracePacket, hdr []byte, id spaceID, zeroRTT bool) {
	if hdr[0]&0x80 == 0 {
		tp.Type = wire.Packet1RTT
		tp.KeyPhase = wire.ShortHeaderKeyPhase(hdr[0])
		if len(hdr) > 1 {
			tp.DstConnID = hdr[1:]
		}
		return
	}
	switch {
	case zeroRTT:
		tp.Type = wire.Packet0RTT
	case id == spaceInitial:
		tp.Type = wire.PacketInitial
	case id == spaceHandshake:
		tp.Type = wire.PacketHandshake
	default:
		tp.Type = wire.Packet0RTT
	}
	// Version, DCID length and DCID, SCID length and SCID (RFC 9000,
	// Section 17.2).
	if len(hdr) < 6 {
		return
	}
	tp.Version = uint32(hdr[1])<<24 | uint32(hdr[2])<<16 | uint32(hdr[3])<<8 | uint32(hdr[4])
	rest := hdr[5:]
	if n := int(rest[0]); len(rest) > n {
		tp.DstConnID, rest = rest[1:1+n], rest[1+n:]
	}
	if len(rest) > 0 {
		if n := int(rest[0]); len(rest) > n {
			tp.SrcConnID = rest[1 : 1+n]
		}
	}
}

// tracePacketReceived reports an authenticated packet whose header
// protection is removed; payload is its plaintext.
func (c *Conn) tracePacketReceived(pt wire.PacketType, pn int64, pkt, payload []byte, now time.Time) {
	c.traceChanges(now)
	tp := &c.trace.pkt
	*tp = TracePacket{Number: pn, Size: len(pkt), Frames: payload}
	c.traceReceivedHeader(tp, pt, pkt)
	c.cfg.Tracer.PacketReceived(now, tp)
}

func (c *Conn) traceReceivedHeader(tp *TracePacket, pt wire.PacketType, pkt []byte) {
	if len(pkt) == 0 {
		return
	}
	if pkt[0]&0x80 == 0 {
		tp.Type = wire.Packet1RTT
		tp.KeyPhase = wire.ShortHeaderKeyPhase(pkt[0])
		if n := c.connIDs.localLen; len(pkt) > n {
			tp.DstConnID = pkt[1 : 1+n]
		}
		if tp.Number >= 0 {
			tp.NumberLen = int(pkt[0]&3) + 1
		}
		return
	}
	tp.Type = pt
	if h, err := wire.ParseLongHeader(pkt); err == nil {
		if pt == 0 {
			tp.Type = h.Type
		}
		tp.Version, tp.DstConnID, tp.SrcConnID = h.Version, h.DstConnID, h.SrcConnID
		if tp.Number >= 0 {
			tp.NumberLen = int(pkt[0]&3) + 1
		}
	}
}

// tracePacketDropped reports a received packet that was not processed; pt
// is its type if known.
func (c *Conn) tracePacketDropped(pt wire.PacketType, pkt []byte, reason DropReason, now time.Time) {
	c.traceChanges(now)
	tp := &c.trace.pkt
	*tp = TracePacket{Type: pt, Number: -1, Size: len(pkt)}
	if pt == 0 && len(pkt) > 0 && pkt[0]&0x80 == 0 {
		tp.Type = wire.Packet1RTT
	}
	c.cfg.Tracer.PacketDropped(now, tp, reason)
}

// tracePacketLost reports sent packet p of space s declared lost.
func (c *Conn) tracePacketLost(s *space, p *sentPacket, now time.Time) {
	c.traceChanges(now)
	tp := &c.trace.pkt
	*tp = TracePacket{Number: p.pn, Size: p.size, MTUProbe: p.pmtuProbe}
	switch s.id {
	case spaceInitial:
		tp.Type = wire.PacketInitial
	case spaceHandshake:
		tp.Type = wire.PacketHandshake
	default:
		tp.Type = wire.Packet1RTT
	}
	reason := LossTimeThreshold
	if s.largestAcked-p.pn >= packetThreshold {
		reason = LossReorderingThreshold
	}
	c.cfg.Tracer.PacketLost(now, tp, reason)
}

// traceTimeout reports what a timeout changed: closing or draining ending,
// the idle timeout, a PTO.
func (c *Conn) traceTimeout(now time.Time) {
	c.traceChanges(now)
	c.traceMetrics(now)
}

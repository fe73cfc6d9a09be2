package core

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/flow"
	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Session resumption and 0-RTT (RFC 9001, Sections 4.5 and 4.6).
//
// Both sides run crypto/tls with session events enabled. A client stores,
// with each session ticket (tls.SessionState.Extra), the server's transport
// parameters that bind 0-RTT (RFC 9000, Section 7.4.1); when it resumes, it
// reads them back and, if the ticket allows early data and
// Config.Allow0RTT is set, sends stream data in 0-RTT packets under those
// limits until the handshake completes. A server puts its own limits in
// the tickets it issues, and accepts 0-RTT only if Config.Allow0RTT is set,
// the connection keeps the version of the ticket, and none of its limits is
// now lower than the ticket's (RFC 9001, Section 4.6.3).
//
// Replay: 0-RTT data can be replayed by an attacker (RFC 9001, Section
// 9.2; RFC 8446, Section 8). crypto/tls only checks that a ticket is within
// its lifetime (seven days); it neither checks the client's view of the
// ticket's age (RFC 8446, Section 8.3) nor records the tickets used, so
// the same 0-RTT data may be delivered many times, to one server or to
// several sharing ticket keys. Only applications whose early requests are
// idempotent should enable 0-RTT; a server can narrow the window with
// tls.Config.UnwrapSession (clearing SessionState.EarlyData for old
// tickets, say).

// earlyStatus is where a connection stands with 0-RTT.
type earlyStatus uint8

const (
	earlyNone     earlyStatus = iota // no 0-RTT attempted
	earlyOffered                     // client: 0-RTT keys installed, no answer yet
	earlyAccepted                    // the server accepted 0-RTT
	earlyRejected                    // the server rejected 0-RTT
)

// maxBuffered0RTT bounds the 0-RTT packets a server keeps while their keys
// are not yet available (RFC 9001, Section 4.7 allows buffering or
// dropping them).
const maxBuffered0RTT = 16

// earlyState is a connection's resumption and 0-RTT state.
type earlyState struct {
	status earlyStatus
	// keys protect 0-RTT packets: the client's write keys until it has
	// 1-RTT keys, the server's read keys until the client sends 1-RTT.
	keys *protect.Keys
	// version is the QUIC version of the 0-RTT packets, the original
	// version of the connection (RFC 9369, Section 4).
	version uint32
	// remembered are the server's limits a client keeps from the
	// connection that issued its ticket (RFC 9000, Section 7.4.1); nil
	// when the session has none.
	remembered *wire.TransportParameters
	// buffered are 0-RTT packets a server received before their keys.
	buffered [][]byte
	// restartOwed: a client's 0-RTT was rejected before the server's
	// transport parameters arrived (after a HelloRetryRequest); flow
	// control restarts when they do.
	restartOwed bool
}

// rememberedPrefix starts quince's entry in tls.SessionState.Extra, which
// other layers may share (entries are recognized by a prefix).
const rememberedPrefix = "quince 0rtt v1\x00"

// appendRemembered encodes the limits of p that bind 0-RTT, with the QUIC
// version of the connection (RFC 9000, Section 7.4.1; RFC 9221, Section 3;
// RFC 9369, Section 5).
func appendRemembered(b []byte, version uint32, p *wire.TransportParameters) []byte {
	b = append(b, rememberedPrefix...)
	b = binary.BigEndian.AppendUint32(b, version)
	for _, v := range rememberedValues(p) {
		b = wire.AppendVarint(b, v)
	}
	return b
}

// rememberedValues lists the parameters that bind 0-RTT, in encoding order.
func rememberedValues(p *wire.TransportParameters) [8]uint64 {
	return [8]uint64{
		p.InitialMaxData,
		p.InitialMaxStreamDataBidiLocal,
		p.InitialMaxStreamDataBidiRemote,
		p.InitialMaxStreamDataUni,
		p.InitialMaxStreamsBidi,
		p.InitialMaxStreamsUni,
		p.ActiveConnectionIDLimit,
		p.MaxDatagramFrameSize,
	}
}

// rememberedNames names rememberedValues' entries, for error messages.
var rememberedNames = [8]string{
	"initial_max_data",
	"initial_max_stream_data_bidi_local",
	"initial_max_stream_data_bidi_remote",
	"initial_max_stream_data_uni",
	"initial_max_streams_bidi",
	"initial_max_streams_uni",
	"active_connection_id_limit",
	"max_datagram_frame_size",
}

// findRemembered finds and decodes quince's entry in a session's Extra. ok
// is false if there is none or it is malformed.
func findRemembered(extra [][]byte) (version uint32, p *wire.TransportParameters, ok bool) {
	for _, e := range extra {
		b, found := bytes.CutPrefix(e, []byte(rememberedPrefix))
		if !found || len(b) < 4 {
			continue
		}
		version = binary.BigEndian.Uint32(b)
		b = b[4:]
		var v [8]uint64
		for i := range v {
			x, n := wire.ConsumeVarint(b)
			if n < 0 {
				return 0, nil, false
			}
			v[i], b = x, b[n:]
		}
		if len(b) != 0 {
			return 0, nil, false
		}
		q := wire.DefaultTransportParameters()
		q.InitialMaxData = v[0]
		q.InitialMaxStreamDataBidiLocal = v[1]
		q.InitialMaxStreamDataBidiRemote = v[2]
		q.InitialMaxStreamDataUni = v[3]
		q.InitialMaxStreamsBidi = min(v[4], maxStreamsLimit)
		q.InitialMaxStreamsUni = min(v[5], maxStreamsLimit)
		q.ActiveConnectionIDLimit = v[6]
		q.MaxDatagramFrameSize = v[7]
		return version, &q, true
	}
	return 0, nil, false
}

// reducedLimit returns the name of the first limit of now lower than in
// then, or "" if none is.
func reducedLimit(then, now *wire.TransportParameters) string {
	a, b := rememberedValues(then), rememberedValues(now)
	for i := range a {
		if b[i] < a[i] {
			return rememberedNames[i]
		}
	}
	return ""
}

// versionedSessionCache wraps the application's session cache so that a
// client resumes only sessions of its own QUIC version (RFC 9369, Section
// 5). Sessions without quince's entry are offered as they are, without
// 0-RTT.
type versionedSessionCache struct {
	tls.ClientSessionCache
	version uint32
}

func (c versionedSessionCache) Get(key string) (*tls.ClientSessionState, bool) {
	cs, ok := c.ClientSessionCache.Get(key)
	if !ok || cs == nil {
		return cs, ok
	}
	_, state, err := cs.ResumptionState()
	if err != nil || state == nil {
		return nil, false
	}
	if v, _, ok := findRemembered(state.Extra); ok && v != c.version {
		return nil, false
	}
	return cs, true
}

// onResumeSession handles TLS's QUICResumeSession event: on a client, a
// session was taken from the cache; on a server, the client offered one.
// Either side may decline 0-RTT by clearing EarlyData.
func (c *Conn) onResumeSession(ss *tls.SessionState) {
	v, remembered, ok := findRemembered(ss.Extra)
	if c.isClient {
		if !ok || v != c.version || !c.cfg.Allow0RTT {
			ss.EarlyData = false
			return
		}
		c.early.remembered = remembered
		return
	}
	// RFC 9001, Section 4.6.3: accept 0-RTT only where the client's
	// remembered limits still hold. The ticket is the server's own,
	// sealed by crypto/tls, so its entry can be trusted.
	if !c.cfg.Allow0RTT || !ok || v != c.version || c.version != c.vn.original {
		ss.EarlyData = false
		return
	}
	local := c.makeLocalParams()
	if reducedLimit(remembered, &local) != "" {
		ss.EarlyData = false
	}
}

// onStoreSession handles TLS's QUICStoreSession event on a client: it
// stores the ticket with the server's limits.
func (c *Conn) onStoreSession(ss *tls.SessionState) {
	if c.peerParams == nil {
		return
	}
	ss.Extra = append(ss.Extra, appendRemembered(nil, c.version, c.peerParams))
	c.tls.StoreSession(ss)
}

// sendSessionTicket issues a ticket once the server's handshake completes
// (RFC 9001, Section 4.5), allowing 0-RTT if Config.Allow0RTT is set
// (RFC 9001, Section 4.6.1), with this server's limits.
func (c *Conn) sendSessionTicket() {
	extra := appendRemembered(nil, c.version, &c.localParams)
	c.tls.SendSessionTicket(tls.QUICSessionTicketOptions{EarlyData: c.cfg.Allow0RTT, Extra: [][]byte{extra}})
}

// installEarlySecret installs 0-RTT keys: a client's write keys, with the
// remembered limits applied to its streams, or a server's read keys.
func (c *Conn) installEarlySecret(e tls.QUICEvent) error {
	keys, err := protect.NewKeys(e.Suite, c.version, e.Data)
	if err != nil {
		return wire.Errorf(wire.InternalError, 0, "%v", err)
	}
	c.early.keys = keys
	c.early.version = c.version
	if !c.isClient {
		// TLS gives the server 0-RTT keys only when it accepts 0-RTT.
		c.early.status = earlyAccepted
		return nil
	}
	if c.early.remembered == nil {
		// Not reached: onResumeSession declines 0-RTT without
		// remembered limits.
		c.early.keys = nil
		return nil
	}
	c.early.status = earlyOffered
	c.streams.onPeerParams(c.early.remembered)
	return nil
}

// sendParams are the peer's transport parameters that govern what this
// endpoint sends: the peer's own, or on a client sending 0-RTT, the
// remembered ones (RFC 9000, Section 7.4.1). Nil if neither is known.
func (c *Conn) sendParams() *wire.TransportParameters {
	if c.peerParams != nil {
		return c.peerParams
	}
	if c.early.status == earlyOffered {
		return c.early.remembered
	}
	return nil
}

// sending0RTT reports whether a client sends application data in 0-RTT
// packets now: it has 0-RTT keys and no 1-RTT keys yet, and the version
// has not changed (RFC 9369, Section 4).
func (c *Conn) sending0RTT() bool {
	return c.isClient && c.early.keys != nil && c.keys1RTT.write == nil && c.version == c.early.version
}

// onEarlyDataRejected handles TLS's QUICRejectedEarlyData event on a
// client (RFC 9001, Section 4.6.2): every 0-RTT packet is lost, its stream
// data is sent again in 1-RTT packets, and stream and flow control state
// restart from the server's new transport parameters (RFC 9000, Section
// 7.4.1).
func (c *Conn) onEarlyDataRejected(now time.Time) error {
	if c.early.status != earlyOffered {
		return nil
	}
	c.early.status = earlyRejected
	c.early.keys = nil
	// RFC 9002, Section 6.4: rejected 0-RTT packets leave the bytes in
	// flight without a congestion signal.
	c.lose0RTTPackets()
	c.setLossDetectionTimer(now)
	c.events.push(Event{Kind: EventEarlyDataRejected})
	c.early.restartOwed = true
	if c.peerParams == nil {
		// A HelloRetryRequest rejects 0-RTT before the server's
		// parameters come (RFC 8446, Section 4.2.10).
		return nil
	}
	return c.restartFlowControl(c.peerParams)
}

// lose0RTTPackets forgets a client's 0-RTT packets and queues their
// frames again, taking them out of the bytes in flight without a
// congestion signal: the server rejected them, or a Retry means it kept
// nothing of them. Until 1-RTT keys, every packet of the application
// space is a 0-RTT packet.
func (c *Conn) lose0RTTPackets() {
	s := &c.spaces[spaceApp]
	for _, p := range s.sent.packets {
		if p == nil {
			continue
		}
		if p.inFlight {
			c.bytesInFlight -= p.size
		}
		c.onFramesLost(s, p)
		s.sent.release(p)
	}
	s.sent.packets = s.sent.packets[:0]
	s.inFlightAckEliciting = 0
	s.lossTime = time.Time{}
}

// restartFlowControl starts stream and flow control state afresh under the
// server's transport parameters p after a rejection of 0-RTT: nothing sent
// in 0-RTT reached the server.
func (c *Conn) restartFlowControl(p *wire.TransportParameters) error {
	c.early.restartOwed = false
	ss := &c.streams
	ss.sendWin = flow.NewSendWindow(p.InitialMaxData)
	ss.sentNew = 0
	ss.blockedOwed = false
	ss.peerMaxBidi = int64(p.InitialMaxStreamsBidi)
	ss.peerMaxUni = int64(p.InitialMaxStreamsUni)
	ss.blockedBidiFor, ss.blockedUniFor = 0, 0
	ss.blockedBidiOwed, ss.blockedUniOwed = false, false
	if ss.openedBidi > ss.peerMaxBidi || ss.openedUni > ss.peerMaxUni {
		return wire.Errorf(wire.InternalError, 0, "0-RTT rejected, and the server now allows fewer streams than were opened")
	}
	for _, st := range ss.streams {
		if !st.hasSend {
			continue
		}
		st.send.Unsend()
		st.highestSent = 0
		st.blockedOwed = false
		st.sendWin = flow.NewSendWindow(c.initialStreamSendLimit(st.id, p))
		if st.hasFramesToSend() {
			ss.queue(st)
		}
	}
	return nil
}

// initialStreamSendLimit is the send limit of a local stream from the
// peer's transport parameters p (RFC 9000, Section 18.2).
func (c *Conn) initialStreamSendLimit(id int64, p *wire.TransportParameters) uint64 {
	switch {
	case isUni(id):
		return p.InitialMaxStreamDataUni
	case c.streams.isLocal(id):
		return p.InitialMaxStreamDataBidiRemote
	default:
		return p.InitialMaxStreamDataBidiLocal
	}
}

// onEarlyDataAccepted runs when a client's handshake completes without a
// rejection of the 0-RTT it offered: the server must not have lowered
// the remembered limits (RFC 9000, Section 7.4.1; RFC 9221, Section 3).
func (c *Conn) onEarlyDataAccepted() error {
	if c.early.status != earlyOffered {
		return nil
	}
	c.early.status = earlyAccepted
	if name := reducedLimit(c.early.remembered, c.peerParams); name != "" {
		return wire.Errorf(wire.ProtocolViolation, 0, "server accepted 0-RTT but reduced %s", name)
	}
	c.events.push(Event{Kind: EventEarlyDataAccepted})
	return nil
}

// raiseStreamLimits applies the server's transport parameters to the
// streams a client opened in 0-RTT under the remembered ones; limits only
// grow here (a reduction is an error once 0-RTT is accepted, and a
// rejection resets them).
func (c *Conn) raiseStreamLimits(p *wire.TransportParameters) {
	for _, st := range c.streams.streams {
		if st.hasSend && c.streams.isLocal(st.id) {
			st.sendWin.SetLimit(c.initialStreamSendLimit(st.id, p))
		}
	}
}

// buffer0RTT keeps a copy of a 0-RTT packet that arrived at a server
// before its keys, if the server may still get them. It reports whether
// it kept it.
func (c *Conn) buffer0RTT(pkt []byte) bool {
	if c.isClient || c.early.keys != nil || c.spaces[spaceHandshake].writeKeys != nil || c.handshakeComplete || len(c.early.buffered) >= maxBuffered0RTT {
		// TLS decides on 0-RTT with the ClientHello, before the
		// Handshake keys: later it is too late.
		return false
	}
	c.early.buffered = append(c.early.buffered, append([]byte(nil), pkt...))
	return true
}

// processBuffered0RTT processes the 0-RTT packets buffered before their
// keys, once the keys are there, or drops them once they can't come.
func (c *Conn) processBuffered0RTT(from netip.AddrPort, now time.Time) {
	if len(c.early.buffered) == 0 {
		return
	}
	if c.early.keys == nil && c.spaces[spaceHandshake].writeKeys == nil && !c.handshakeComplete {
		return // TLS has not decided yet
	}
	pkts := c.early.buffered
	c.early.buffered = nil
	if c.early.keys == nil {
		return
	}
	for _, pkt := range pkts {
		if err := c.receivePacket(pkt, pkt, false, from, now); err != nil {
			c.closeWithError(err, now)
			return
		}
		if c.closing.state != stateOpen {
			return
		}
	}
}

// Resumed reports whether the TLS handshake resumed an earlier session
// (RFC 9001, Section 4.5).
func (c *Conn) Resumed() bool { return c.tls.ConnectionState().DidResume }

// EarlyDataAllowed reports whether a client may open streams and write
// before the handshake completes, the data going out in 0-RTT packets
// (RFC 9001, Section 4.6.1): it resumed a session whose ticket allows
// early data, Config.Allow0RTT is set, and the server has not answered
// yet. See the package note on replay in zerortt.go.
func (c *Conn) EarlyDataAllowed() bool {
	return c.isClient && c.early.status == earlyOffered && !c.handshakeComplete
}

// EarlyDataAccepted reports whether the server accepted 0-RTT: on a
// client, known once the handshake completes (EventEarlyDataAccepted or
// EventEarlyDataRejected says which); on a server, from the ClientHello.
func (c *Conn) EarlyDataAccepted() bool { return c.early.status == earlyAccepted }

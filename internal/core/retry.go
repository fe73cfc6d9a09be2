package core

import (
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/token"
)

// Retry (RFC 9000, Sections 8.1.2 and 17.2.5). The server side is stateless
// and lives in the mux: it answers an Initial with AppendRetry and creates
// the connection only when the client's next Initial brings the token back,
// with ServerOptions.RetrySrcConnID set. The client side is here.

// AppendRetry appends a Retry packet of version to b, with its integrity tag
// (RFC 9001, Section 5.8), in answer to a client Initial whose source
// connection ID was clientSrcConnID and whose destination connection ID was
// origDstConnID. retrySrcConnID is where the client sends its next Initial;
// it must differ from origDstConnID. token must not be empty.
func AppendRetry(b []byte, version uint32, clientSrcConnID, retrySrcConnID, origDstConnID, token []byte) []byte {
	start := len(b)
	b = wire.AppendRetry(b, version, clientSrcConnID, retrySrcConnID, token)
	tag := protect.RetryIntegrityTag(version, origDstConnID, b[start:])
	return append(b, tag[:]...)
}

// receiveRetry handles a Retry packet on a client (RFC 9000, Section
// 17.2.5.2): at most one, before anything else from the server, in the
// version of the client's first Initial (RFC 9369, Section 4), and only if
// its integrity tag checks.
func (c *Conn) receiveRetry(h *wire.LongHeader, pkt []byte, now time.Time) {
	if !c.isClient || c.retried || c.connIDs.peerChosen || c.vn.learned ||
		h.Version != c.version || !c.connIDs.isLocal(h.DstConnID) ||
		!protect.VerifyRetryIntegrity(h.Version, c.initialDstConnID, pkt) {
		c.stats.PacketsDropped++
		return
	}
	c.retried = true
	c.retrySrcConnID = clone(h.SrcConnID)
	c.token = clone(h.RetryToken)
	// RFC 9000, Section 17.2.5.2: the next Initial goes to the Retry's
	// source connection ID, with keys from it, until the server's first
	// Initial names its own connection ID.
	c.initialDstConnID = c.retrySrcConnID
	c.connIDs.setPeerProvisional(c.retrySrcConnID)
	c.installInitialKeys(c.initialDstConnID)

	// RFC 9002, Section 6.3: the Retry restarts congestion control and loss
	// recovery; the Initial's CRYPTO data is sent again, with packet
	// numbers that go on from where they were (RFC 9000, Section 17.2.5.3).
	s := &c.spaces[spaceInitial]
	for _, p := range s.sent.packets {
		if p == nil {
			continue
		}
		c.onFramesLost(s, p)
		if p.inFlight {
			c.bytesInFlight -= p.size
		}
		s.sent.release(p)
	}
	s.sent.packets = s.sent.packets[:0]
	s.inFlightAckEliciting = 0
	s.lossTime = time.Time{}
	s.pingOwed = false
	if c.early.status == earlyOffered {
		// The server kept nothing of the 0-RTT packets before the Retry;
		// their data goes again in 0-RTT packets to the new connection ID
		// (RFC 9000, Section 17.2.5.3).
		c.lose0RTTPackets()
	}
	c.resetCongestion()
	c.probesToSend = 0
	c.ptoCount = 0
	c.setLossDetectionTimer(now)
}

// maxTokenEvents bounds the NEW_TOKEN frames a client surfaces: a server
// may send several, but a few are all a client needs (RFC 9000,
// Section 8.1.3).
const maxTokenEvents = 4

// issueNewToken gives the client a token for a later connection once the
// server's handshake is done (RFC 9000, Section 8.1.3). It binds the
// client's IP address and this connection's version (RFC 9369, Section 5).
func (c *Conn) issueNewToken(now time.Time) {
	if c.cfg.TokenKey == nil {
		return
	}
	c.newToken = token.New(c.cfg.TokenKey).NewToken(c.peerAddr.Addr(), c.version, now)
	c.newTokenOwed = true
}

// onNewToken surfaces a NEW_TOKEN frame's token to a client's application.
func (c *Conn) onNewToken(f *wire.NewTokenFrame) {
	if c.tokensSeen++; c.tokensSeen > maxTokenEvents {
		return
	}
	c.events.push(Event{Kind: EventNewToken, Token: clone(f.Token)})
}

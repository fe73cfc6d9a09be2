package core

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// The TLS handshake runs in crypto/tls's QUIC API (RFC 9001, Section 4):
// CRYPTO data goes in per level, and events come out: secrets for each
// level, handshake bytes to send, the peer's transport parameters.

func (c *Conn) startTLS() error {
	tlsConf := c.cfg.TLS
	if tlsConf.MinVersion < tls.VersionTLS13 || c.isClient {
		// A server uses the application's config itself when it can, so
		// that its connections share crypto/tls's automatic session
		// ticket keys and resume each other's sessions.
		tlsConf = tlsConf.Clone()
		tlsConf.MinVersion = max(tlsConf.MinVersion, tls.VersionTLS13) // RFC 9001, Section 4.2
	}
	if c.isClient && tlsConf.ClientSessionCache != nil {
		tlsConf.ClientSessionCache = versionedSessionCache{tlsConf.ClientSessionCache, c.version}
	}
	// Session events let quince keep transport parameters with tickets
	// and decide on 0-RTT (zerortt.go).
	qc := &tls.QUICConfig{TLSConfig: tlsConf, EnableSessionEvents: true}
	if c.isClient {
		c.tls = tls.QUICClient(qc)
	} else {
		c.tls = tls.QUICServer(qc)
	}
	if c.isClient {
		c.setLocalParams()
	}
	// A server sets its parameters when TLS asks for them
	// (QUICTransportParametersRequired), after it has read the client's:
	// its version_information names the version it negotiates from them
	// (RFC 9368, Section 2.3).

	// Initial keys come from the client's destination connection ID
	// (RFC 9001, Section 5.2).
	c.installInitialKeys(c.initialDstConnID)

	if err := c.tls.Start(context.Background()); err != nil {
		return fmt.Errorf("quic: starting TLS: %w", err)
	}
	return c.handleTLSEvents(time.Time{})
}

func (c *Conn) setLocalParams() {
	c.localParams = c.makeLocalParams()
	c.tls.SetTransportParameters(c.localParams.Append(nil))
}

func (c *Conn) installInitialKeys(dcid []byte) {
	client, server := protect.InitialKeys(c.version, dcid)
	s := &c.spaces[spaceInitial]
	if c.isClient {
		s.writeKeys, s.readKeys = client, server
	} else {
		s.writeKeys, s.readKeys = server, client
	}
}

// makeLocalParams returns the transport parameters this endpoint sends
// (RFC 9000, Section 18.2).
func (c *Conn) makeLocalParams() wire.TransportParameters {
	p := wire.DefaultTransportParameters()
	p.MaxIdleTimeout = c.cfg.MaxIdleTimeout
	p.InitialMaxData = c.cfg.InitialMaxData
	p.InitialMaxStreamDataBidiLocal = c.cfg.InitialMaxStreamData
	p.InitialMaxStreamDataBidiRemote = c.cfg.InitialMaxStreamData
	p.InitialMaxStreamDataUni = c.cfg.InitialMaxStreamData
	p.InitialMaxStreamsBidi = uint64(max(c.cfg.MaxBidiStreams, 0))
	p.InitialMaxStreamsUni = uint64(max(c.cfg.MaxUniStreams, 0))
	p.MaxAckDelay = c.cfg.MaxAckDelay
	p.AckDelayExponent = ackDelayExponent
	p.ActiveConnectionIDLimit = activeConnIDLimit
	p.MaxUDPPayloadSize = maxReceiveDatagram
	p.MaxDatagramFrameSize = c.cfg.MaxDatagramFrameSize
	p.InitialSourceConnectionID = c.connIDs.local[0].id
	p.HasInitialSourceConnectionID = true
	if !c.isClient {
		p.OriginalDestinationConnectionID = c.origDstConnID
		p.HasOriginalDestinationConnectionID = true
		if c.retrySrcConnID != nil {
			p.RetrySourceConnectionID = c.retrySrcConnID
			p.HasRetrySourceConnectionID = true
		}
		p.StatelessResetToken = c.connIDs.local[0].resetToken
		p.HasStatelessResetToken = true
		p.DisableActiveMigration = c.cfg.DisableActiveMigration
		p.PreferredAddress = c.preferredAddressParam()
	}
	// RFC 9368, Section 3; RFC 9369, Section 4 requires it of endpoints
	// that speak version 2.
	p.VersionInformation = &wire.VersionInformation{Chosen: c.version, Available: c.cfg.Versions}
	return p
}

// handleCrypto passes CRYPTO frame data to TLS once it is in order.
func (c *Conn) handleCrypto(s *space, f *wire.CryptoFrame, now time.Time) error {
	// RFC 9000, Section 7.5: bound the CRYPTO data buffered out of order.
	const maxCryptoBuffer = 64 << 10
	if f.Offset+uint64(len(f.Data)) > s.cryptoRecv.ReadOffset()+maxCryptoBuffer {
		return wire.Errorf(wire.CryptoBufferExceeded, wire.FrameCrypto, "%d bytes of CRYPTO data buffered out of order", f.Offset+uint64(len(f.Data))-s.cryptoRecv.ReadOffset())
	}
	if c.isClient {
		// RFC 9369, Section 4: CRYPTO data from the server fixes the
		// version; no later packet of another version can change it.
		c.vn.learned = true
	}
	if err := s.cryptoRecv.Insert(f.Offset, f.Data, false); err != nil {
		return withFrameType(err, wire.FrameCrypto)
	}
	for {
		data := s.cryptoRecv.Next()
		n := wholeMessages(data)
		if n == 0 {
			if len(data) == s.cryptoRecv.Readable() {
				break // no more yet; the rest of the message is to come
			}
			// A message crosses the buffer's chunk boundary: hand
			// over what this chunk holds.
			n = len(data)
		}
		if err := c.tls.HandleData(s.id.tlsLevel(), data[:n]); err != nil {
			return tlsError(err)
		}
		s.cryptoRecv.Consume(n)
	}
	s.cryptoRecv.Shrink() // as for the send side, see onPacketAcked
	return c.handleTLSEvents(now)
}

// wholeMessages returns the length of the TLS handshake messages that data
// begins with and holds whole: each is a type byte and a 24-bit length
// followed by that many bytes (RFC 8446, Section 4). handleCrypto passes
// TLS whole messages only: crypto/tls runs the handshake on a goroutine of
// its own, and every HandleData is a round trip to it, which a part of a
// message (a ClientHello or ServerHello with a post-quantum key share
// spans two packets) wastes.
func wholeMessages(data []byte) int {
	n := 0
	for len(data)-n >= 4 {
		end := n + 4 + (int(data[n+1])<<16 | int(data[n+2])<<8 | int(data[n+3]))
		if end > len(data) {
			break
		}
		n = end
	}
	return n
}

// tlsError turns a crypto/tls error into a CRYPTO_ERROR carrying its alert
// (RFC 9001, Section 4.8).
func tlsError(err error) error {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return &wire.TransportError{Code: wire.CryptoError(uint8(alert)), Reason: err.Error()}
	}
	// An error without an alert is internal_error (80).
	return &wire.TransportError{Code: wire.CryptoError(80), Reason: err.Error()}
}

func (c *Conn) handleTLSEvents(now time.Time) error {
	for {
		e := c.tls.NextEvent()
		switch e.Kind {
		case tls.QUICNoEvent:
			return nil
		case tls.QUICSetReadSecret, tls.QUICSetWriteSecret:
			if err := c.installSecret(e, now); err != nil {
				return err
			}
		case tls.QUICWriteData:
			s := c.spaceForLevel(e.Level)
			if s == nil || s.discarded {
				return wire.Errorf(wire.InternalError, 0, "TLS wrote data at level %v", e.Level)
			}
			s.cryptoSend.Write(e.Data)
		case tls.QUICTransportParameters:
			if err := c.handlePeerParams(e.Data); err != nil {
				return err
			}
		case tls.QUICTransportParametersRequired:
			c.setLocalParams()
		case tls.QUICHandshakeDone:
			if err := c.onEarlyDataAccepted(); err != nil {
				return err
			}
			c.onHandshakeComplete(now)
		case tls.QUICResumeSession:
			c.onResumeSession(e.SessionState)
		case tls.QUICStoreSession:
			c.onStoreSession(e.SessionState)
		case tls.QUICRejectedEarlyData:
			if err := c.onEarlyDataRejected(now); err != nil {
				return err
			}
		case tls.QUICErrorEvent:
			return tlsError(e.Err)
		}
	}
}

func (c *Conn) spaceForLevel(l tls.QUICEncryptionLevel) *space {
	switch l {
	case tls.QUICEncryptionLevelInitial:
		return &c.spaces[spaceInitial]
	case tls.QUICEncryptionLevelHandshake:
		return &c.spaces[spaceHandshake]
	case tls.QUICEncryptionLevelApplication:
		return &c.spaces[spaceApp]
	}
	return nil
}

func (c *Conn) installSecret(e tls.QUICEvent, now time.Time) error {
	if e.Level == tls.QUICEncryptionLevelEarly {
		return c.installEarlySecret(e)
	}
	keys, err := protect.NewKeys(e.Suite, c.version, e.Data)
	if err != nil {
		return wire.Errorf(wire.InternalError, 0, "%v", err)
	}
	read := e.Kind == tls.QUICSetReadSecret
	if e.Level == tls.QUICEncryptionLevelApplication {
		if read {
			c.keys1RTT.setRead(keys)
		} else {
			c.keys1RTT.setWrite(keys)
			if c.isClient {
				// RFC 9001, Section 4.9.3: a client drops 0-RTT keys
				// once it has 1-RTT keys.
				c.early.keys = nil
			}
		}
		return nil
	}
	s := c.spaceForLevel(e.Level)
	if read {
		s.readKeys = keys
	} else {
		s.writeKeys = keys
	}
	return nil
}

// handlePeerParams validates the peer's transport parameters
// (RFC 9000, Sections 7.3 and 18.2) and applies them.
func (c *Conn) handlePeerParams(b []byte) error {
	p, err := wire.ParseTransportParameters(b, c.isClient)
	if err != nil {
		return err
	}
	// RFC 9000, Section 7.3: authenticate the connection IDs.
	if !p.HasInitialSourceConnectionID || !bytes.Equal(p.InitialSourceConnectionID, c.connIDs.peerInitial) {
		return wire.Errorf(wire.TransportParameterError, 0, "initial_source_connection_id does not match the connection ID the peer used")
	}
	if c.isClient {
		if !p.HasOriginalDestinationConnectionID || !bytes.Equal(p.OriginalDestinationConnectionID, c.origDstConnID) {
			return wire.Errorf(wire.TransportParameterError, 0, "original_destination_connection_id does not match")
		}
		if p.HasRetrySourceConnectionID != (c.retrySrcConnID != nil) ||
			(c.retrySrcConnID != nil && !bytes.Equal(p.RetrySourceConnectionID, c.retrySrcConnID)) {
			return wire.Errorf(wire.TransportParameterError, 0, "retry_source_connection_id does not match")
		}
	}
	if err := c.negotiateVersion(p.VersionInformation); err != nil {
		return err
	}
	c.peerParams = p

	// RFC 9000, Section 10.1: the idle timeout is the smaller of the two.
	if p.MaxIdleTimeout > 0 && p.MaxIdleTimeout < c.idleTimeout {
		c.idleTimeout = p.MaxIdleTimeout
	}
	// Datagrams stay at 1,200 bytes until path MTU discovery finds more
	// (pmtud.go); the peer's max_udp_payload_size caps the search.
	c.streams.onPeerParams(p)
	if c.early.status == earlyOffered {
		c.raiseStreamLimits(p)
	} else if c.early.restartOwed {
		if err := c.restartFlowControl(p); err != nil {
			return err
		}
	}
	if p.HasStatelessResetToken {
		c.connIDs.setPeerResetToken(p.StatelessResetToken)
	}
	if c.isClient && p.PreferredAddress != nil {
		return c.onPreferredAddress(p.PreferredAddress)
	}
	return nil
}

// onHandshakeComplete runs when TLS reports the handshake done
// (RFC 9001, Section 4.1.1).
func (c *Conn) onHandshakeComplete(now time.Time) {
	c.handshakeComplete = true
	c.events.push(Event{Kind: EventHandshakeComplete})
	if !c.isClient {
		// RFC 9001, Section 4.1.2: the server's handshake is confirmed
		// when it completes; it tells the client with HANDSHAKE_DONE and
		// drops its Handshake keys (Section 4.9.2).
		c.handshakeDoneToAck = true
		c.issueNewToken(now)
		c.confirmHandshake(now)
		c.sendSessionTicket()
		c.handleTLSEvents(now)
	}
	c.connIDs.issueMore()
}

func (c *Conn) confirmHandshake(now time.Time) {
	if c.handshakeConfirmed {
		return
	}
	c.handshakeConfirmed = true
	c.discardSpace(&c.spaces[spaceHandshake], now)
}

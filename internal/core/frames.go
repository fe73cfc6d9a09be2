package core

import (
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// handleFrame carries out one received frame (RFC 9000, Section 19).
func (c *Conn) handleFrame(s *space, f wire.Frame, now time.Time) error {
	switch f := f.(type) {
	case *wire.PaddingFrame, *wire.PingFrame:
		// Nothing beyond being ack-eliciting (PING) or filling (PADDING).
	case *wire.AckFrame:
		return c.onAckFrame(s, f, now)
	case *wire.CryptoFrame:
		return c.handleCrypto(s, f, now)
	case *wire.StreamFrame:
		return c.streams.onStreamFrame(f, now)
	case *wire.ResetStreamFrame:
		return c.streams.onResetStream(f)
	case *wire.StopSendingFrame:
		return c.streams.onStopSending(f)
	case *wire.MaxDataFrame:
		c.streams.onMaxData(f.Max)
	case *wire.MaxStreamDataFrame:
		return c.streams.onMaxStreamData(f)
	case *wire.MaxStreamsFrame:
		return c.streams.onMaxStreams(f)
	case *wire.DataBlockedFrame, *wire.StreamDataBlockedFrame, *wire.StreamsBlockedFrame:
		// Informational (RFC 9000, Section 4.1); windows are advanced as
		// the application reads, not on request.
		return c.streams.onBlockedFrame(f)
	case *wire.NewConnectionIDFrame:
		return c.connIDs.onNewConnectionID(f)
	case *wire.RetireConnectionIDFrame:
		return c.connIDs.onRetireConnectionID(f, now)
	case *wire.NewTokenFrame:
		if !c.isClient {
			// RFC 9000, Section 19.7.
			return wire.Errorf(wire.ProtocolViolation, wire.FrameNewToken, "NEW_TOKEN from a client")
		}
		c.onNewToken(f)
	case *wire.PathChallengeFrame:
		c.onPathChallenge(f.Data)
	case *wire.PathResponseFrame:
		c.onPathResponse(f.Data, now)
	case *wire.ConnectionCloseFrame:
		c.onConnectionClose(f, now)
	case *wire.HandshakeDoneFrame:
		if !c.isClient {
			// RFC 9000, Section 19.20.
			return wire.Errorf(wire.ProtocolViolation, wire.FrameHandshakeDone, "HANDSHAKE_DONE from a client")
		}
		// RFC 9001, Section 4.1.2: HANDSHAKE_DONE confirms the handshake.
		c.confirmHandshake(now)
	case *wire.DatagramFrame:
		return c.onDatagramFrame(f)
	default:
		return wire.Errorf(wire.FrameEncodingError, f.Type(), "unknown frame")
	}
	return nil
}

package quic

import (
	"errors"
	"fmt"
	"net"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
)

// TransportErrorCode is a QUIC transport error code (RFC 9000, Section 20.1).
type TransportErrorCode uint64

// Transport error codes, RFC 9000, Section 20.1.
const (
	NoError                 = TransportErrorCode(wire.NoError)
	InternalError           = TransportErrorCode(wire.InternalError)
	ConnectionRefused       = TransportErrorCode(wire.ConnectionRefused)
	FlowControlError        = TransportErrorCode(wire.FlowControlError)
	StreamLimitError        = TransportErrorCode(wire.StreamLimitError)
	StreamStateError        = TransportErrorCode(wire.StreamStateError)
	FinalSizeError          = TransportErrorCode(wire.FinalSizeError)
	FrameEncodingError      = TransportErrorCode(wire.FrameEncodingError)
	TransportParameterError = TransportErrorCode(wire.TransportParameterError)
	ConnectionIDLimitError  = TransportErrorCode(wire.ConnectionIDLimitError)
	ProtocolViolation       = TransportErrorCode(wire.ProtocolViolation)
	InvalidToken            = TransportErrorCode(wire.InvalidToken)
	ApplicationErrorCode    = TransportErrorCode(wire.ApplicationError)
	CryptoBufferExceeded    = TransportErrorCode(wire.CryptoBufferExceeded)
	KeyUpdateError          = TransportErrorCode(wire.KeyUpdateError)
	AEADLimitReached        = TransportErrorCode(wire.AEADLimitReached)
	NoViablePath            = TransportErrorCode(wire.NoViablePath)
)

// String returns the code's name, such as "FLOW_CONTROL_ERROR".
func (c TransportErrorCode) String() string { return wire.ErrorCode(c).String() }

// TransportError is a session that ended with a QUIC transport error, sent
// by the peer (Remote) or by this endpoint.
type TransportError struct {
	Code TransportErrorCode
	// FrameType is the type of the frame that caused the error, if known.
	FrameType uint64
	Reason    string
	Remote    bool
}

func (e *TransportError) Error() string {
	s := fmt.Sprintf("quic: %s transport error %v", side(e.Remote), e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// ApplicationError is a session closed by an application, with
// CloseWithError on this side or its peer's (Remote).
type ApplicationError struct {
	Code   uint64
	Reason string
	Remote bool
}

func (e *ApplicationError) Error() string {
	s := fmt.Sprintf("quic: %s application error 0x%x", side(e.Remote), e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func side(remote bool) string {
	if remote {
		return "remote"
	}
	return "local"
}

// IdleTimeoutError is a session that ended by its idle timeout
// (RFC 9000, Section 10.1). It is a net.Error whose Timeout is true.
type IdleTimeoutError struct{}

func (*IdleTimeoutError) Error() string   { return "quic: session closed by idle timeout" }
func (*IdleTimeoutError) Timeout() bool   { return true }
func (*IdleTimeoutError) Temporary() bool { return false }

// HandshakeTimeoutError is a session whose handshake did not complete
// within Config.HandshakeTimeout. It is a net.Error whose Timeout is true.
type HandshakeTimeoutError struct{}

func (*HandshakeTimeoutError) Error() string   { return "quic: handshake timed out" }
func (*HandshakeTimeoutError) Timeout() bool   { return true }
func (*HandshakeTimeoutError) Temporary() bool { return false }

// StatelessResetError is a session ended by the peer's stateless reset
// (RFC 9000, Section 10.3): the peer had lost the session's state.
type StatelessResetError struct{}

func (*StatelessResetError) Error() string { return "quic: session reset by peer (stateless reset)" }

// Sentinels for errors.Is; sessions return exactly these values.
var (
	ErrIdleTimeout      error = &IdleTimeoutError{}
	ErrStatelessReset   error = &StatelessResetError{}
	ErrHandshakeTimeout error = &HandshakeTimeoutError{}
)

// ErrListenerClosed is returned by a closed Listener's Accept, and by
// sessions that ended because their Listener closed. It matches
// net.ErrClosed with errors.Is.
var ErrListenerClosed = fmt.Errorf("quic: listener closed: %w", net.ErrClosed)

// ErrNotReadable and ErrNotWritable are returned by Read on a
// unidirectional stream this side opened and by Write on one the peer
// opened.
var (
	ErrNotReadable = core.ErrNotReadable
	ErrNotWritable = core.ErrNotWritable
)

// VersionNegotiationError is a client session that ended because the
// server's Version Negotiation packet offered no QUIC version this client
// speaks (RFC 9000, Section 6.2; RFC 9368, Section 2.1).
type VersionNegotiationError struct {
	// Offered are the versions the server listed.
	Offered []uint32
}

func (e *VersionNegotiationError) Error() string {
	return fmt.Sprintf("quic: no common QUIC version; server offered %#x", e.Offered)
}

// Errors of SendDatagram (RFC 9221).
var (
	// ErrDatagramTooLarge: the datagram does not fit in one packet on the
	// session's path now, or exceeds what the peer accepts.
	ErrDatagramTooLarge = core.ErrDatagramTooLarge
	// ErrDatagramsUnsupported: the peer does not accept datagrams (its
	// Config.EnableDatagrams is off).
	ErrDatagramsUnsupported = core.ErrDatagramsUnsupported
)

// errSocketClosed ends sessions whose socket failed or closed underneath.
var errSocketClosed = fmt.Errorf("quic: socket closed: %w", net.ErrClosed)

// StreamError is a stream ended by RESET_STREAM or STOP_SENDING
// (RFC 9000, Sections 19.4 and 19.5) with an application error code, by the
// peer (Remote) or by this side's CancelRead or CancelWrite.
type StreamError struct {
	StreamID  int64
	ErrorCode uint64
	Remote    bool
}

func (e *StreamError) Error() string {
	who := "locally"
	if e.Remote {
		who = "by peer"
	}
	return fmt.Sprintf("quic: stream %d canceled %s with code 0x%x", e.StreamID, who, e.ErrorCode)
}

// connError converts why the core's connection ended into the public error.
func connError(e *core.ConnError) error {
	switch {
	case e == nil:
		return errSocketClosed
	case e.IdleTimeout:
		return ErrIdleTimeout
	case e.StatelessReset:
		return ErrStatelessReset
	case e.VersionNegotiation:
		return &VersionNegotiationError{Offered: e.Versions}
	case e.App:
		return &ApplicationError{Code: e.Code, Reason: e.Reason, Remote: e.Remote}
	}
	return &TransportError{Code: TransportErrorCode(e.Code), FrameType: e.FrameType, Reason: e.Reason, Remote: e.Remote}
}

// streamError converts an error of the core's stream calls. connErr is the
// session's error, returned for the core's *ConnError once set.
func streamError(err error, connErr error) error {
	var se *core.StreamError
	var ce *core.ConnError
	switch {
	case errors.As(err, &se):
		return &StreamError{StreamID: se.StreamID, ErrorCode: se.Code, Remote: se.Remote}
	case errors.As(err, &ce):
		if connErr == nil {
			return connError(ce)
		}
		return connErr
	case errors.Is(err, core.ErrStreamClosed), errors.Is(err, core.ErrUnknownStream):
		return net.ErrClosed
	}
	return err
}

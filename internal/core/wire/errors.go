package wire

import (
	"fmt"
	"strconv"
)

// ErrorCode is a QUIC transport error code (RFC 9000, Section 20.1).
type ErrorCode uint64

// Transport error codes, RFC 9000, Section 20.1.
const (
	NoError                 ErrorCode = 0x00
	InternalError           ErrorCode = 0x01
	ConnectionRefused       ErrorCode = 0x02
	FlowControlError        ErrorCode = 0x03
	StreamLimitError        ErrorCode = 0x04
	StreamStateError        ErrorCode = 0x05
	FinalSizeError          ErrorCode = 0x06
	FrameEncodingError      ErrorCode = 0x07
	TransportParameterError ErrorCode = 0x08
	ConnectionIDLimitError  ErrorCode = 0x09
	ProtocolViolation       ErrorCode = 0x0a
	InvalidToken            ErrorCode = 0x0b
	ApplicationError        ErrorCode = 0x0c
	CryptoBufferExceeded    ErrorCode = 0x0d
	KeyUpdateError          ErrorCode = 0x0e
	AEADLimitReached        ErrorCode = 0x0f
	NoViablePath            ErrorCode = 0x10

	// VersionNegotiationError is RFC 9368, Section 10.2.
	VersionNegotiationError ErrorCode = 0x11

	// CryptoErrorBase is the first of the 256 codes 0x0100-0x01ff that carry
	// a TLS alert (RFC 9000, Section 20.1; RFC 9001, Section 4.8).
	CryptoErrorBase ErrorCode = 0x0100
)

// CryptoError returns the transport error code that carries TLS alert a.
func CryptoError(alert uint8) ErrorCode { return CryptoErrorBase + ErrorCode(alert) }

var errorCodeNames = [...]string{
	NoError:                 "NO_ERROR",
	InternalError:           "INTERNAL_ERROR",
	ConnectionRefused:       "CONNECTION_REFUSED",
	FlowControlError:        "FLOW_CONTROL_ERROR",
	StreamLimitError:        "STREAM_LIMIT_ERROR",
	StreamStateError:        "STREAM_STATE_ERROR",
	FinalSizeError:          "FINAL_SIZE_ERROR",
	FrameEncodingError:      "FRAME_ENCODING_ERROR",
	TransportParameterError: "TRANSPORT_PARAMETER_ERROR",
	ConnectionIDLimitError:  "CONNECTION_ID_LIMIT_ERROR",
	ProtocolViolation:       "PROTOCOL_VIOLATION",
	InvalidToken:            "INVALID_TOKEN",
	ApplicationError:        "APPLICATION_ERROR",
	CryptoBufferExceeded:    "CRYPTO_BUFFER_EXCEEDED",
	KeyUpdateError:          "KEY_UPDATE_ERROR",
	AEADLimitReached:        "AEAD_LIMIT_REACHED",
	NoViablePath:            "NO_VIABLE_PATH",
	VersionNegotiationError: "VERSION_NEGOTIATION_ERROR",
}

// String returns the code's name from RFC 9000, Section 20.1, such as
// "FLOW_CONTROL_ERROR" or "CRYPTO_ERROR(0x178)".
func (c ErrorCode) String() string {
	if c < ErrorCode(len(errorCodeNames)) {
		return errorCodeNames[c]
	}
	if c >= CryptoErrorBase && c < CryptoErrorBase+0x100 {
		return "CRYPTO_ERROR(0x" + strconv.FormatUint(uint64(c), 16) + ")"
	}
	return "0x" + strconv.FormatUint(uint64(c), 16)
}

// TransportError is a QUIC connection error: the code an endpoint sends in a
// CONNECTION_CLOSE frame of type 0x1c, the type of the frame that caused it
// (0 if none did) and a reason for humans (RFC 9000, Section 19.19).
type TransportError struct {
	Code      ErrorCode
	FrameType uint64
	Reason    string
}

func (e *TransportError) Error() string {
	if e.FrameType != 0 {
		return fmt.Sprintf("quic: %v in frame 0x%x: %s", e.Code, e.FrameType, e.Reason)
	}
	if e.Reason == "" {
		return "quic: " + e.Code.String()
	}
	return fmt.Sprintf("quic: %v: %s", e.Code, e.Reason)
}

// Is reports whether target is a *TransportError with the same code, so that
// errors.Is(err, &TransportError{Code: FlowControlError}) matches any
// flow-control error whatever its frame and reason.
func (e *TransportError) Is(target error) bool {
	t, ok := target.(*TransportError)
	return ok && t.Code == e.Code
}

// Errorf returns a *TransportError with the given code and frame type and a
// formatted reason.
func Errorf(code ErrorCode, frameType uint64, format string, args ...any) *TransportError {
	return &TransportError{Code: code, FrameType: frameType, Reason: fmt.Sprintf(format, args...)}
}

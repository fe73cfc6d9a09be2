package http3

import (
	"errors"
	"fmt"

	"github.com/quince-go/quic"
)

// ErrCode is an HTTP/3 error code (RFC 9114, Section 8.1), carried in
// CONNECTION_CLOSE, RESET_STREAM and STOP_SENDING frames.
type ErrCode uint64

// HTTP/3 error codes, RFC 9114, Section 8.1, and the QPACK ones, RFC 9204,
// Section 6.
const (
	ErrCodeNoError              ErrCode = 0x100
	ErrCodeGeneralProtocolError ErrCode = 0x101
	ErrCodeInternalError        ErrCode = 0x102
	ErrCodeStreamCreationError  ErrCode = 0x103
	ErrCodeClosedCriticalStream ErrCode = 0x104
	ErrCodeFrameUnexpected      ErrCode = 0x105
	ErrCodeFrameError           ErrCode = 0x106
	ErrCodeExcessiveLoad        ErrCode = 0x107
	ErrCodeIDError              ErrCode = 0x108
	ErrCodeSettingsError        ErrCode = 0x109
	ErrCodeMissingSettings      ErrCode = 0x10a
	ErrCodeRequestRejected      ErrCode = 0x10b
	ErrCodeRequestCancelled     ErrCode = 0x10c
	ErrCodeRequestIncomplete    ErrCode = 0x10d
	ErrCodeMessageError         ErrCode = 0x10e
	ErrCodeConnectError         ErrCode = 0x10f
	ErrCodeVersionFallback      ErrCode = 0x110

	ErrCodeQPACKDecompressionFailed ErrCode = 0x200
	ErrCodeQPACKEncoderStreamError  ErrCode = 0x201
	ErrCodeQPACKDecoderStreamError  ErrCode = 0x202
)

var errCodeNames = map[ErrCode]string{
	ErrCodeNoError:                  "H3_NO_ERROR",
	ErrCodeGeneralProtocolError:     "H3_GENERAL_PROTOCOL_ERROR",
	ErrCodeInternalError:            "H3_INTERNAL_ERROR",
	ErrCodeStreamCreationError:      "H3_STREAM_CREATION_ERROR",
	ErrCodeClosedCriticalStream:     "H3_CLOSED_CRITICAL_STREAM",
	ErrCodeFrameUnexpected:          "H3_FRAME_UNEXPECTED",
	ErrCodeFrameError:               "H3_FRAME_ERROR",
	ErrCodeExcessiveLoad:            "H3_EXCESSIVE_LOAD",
	ErrCodeIDError:                  "H3_ID_ERROR",
	ErrCodeSettingsError:            "H3_SETTINGS_ERROR",
	ErrCodeMissingSettings:          "H3_MISSING_SETTINGS",
	ErrCodeRequestRejected:          "H3_REQUEST_REJECTED",
	ErrCodeRequestCancelled:         "H3_REQUEST_CANCELLED",
	ErrCodeRequestIncomplete:        "H3_REQUEST_INCOMPLETE",
	ErrCodeMessageError:             "H3_MESSAGE_ERROR",
	ErrCodeConnectError:             "H3_CONNECT_ERROR",
	ErrCodeVersionFallback:          "H3_VERSION_FALLBACK",
	ErrCodeQPACKDecompressionFailed: "QPACK_DECOMPRESSION_FAILED",
	ErrCodeQPACKEncoderStreamError:  "QPACK_ENCODER_STREAM_ERROR",
	ErrCodeQPACKDecoderStreamError:  "QPACK_DECODER_STREAM_ERROR",
}

// String returns the code's name, such as "H3_FRAME_ERROR".
func (c ErrCode) String() string {
	if s, ok := errCodeNames[c]; ok {
		return s
	}
	// RFC 9114, Section 8.1: reserved codes 0x1f * N + 0x21 are greased.
	return fmt.Sprintf("H3_ERROR(%#x)", uint64(c))
}

// Error is an HTTP/3 error: a stream error, which ends one request, or a
// connection error, which ends the connection (RFC 9114, Section 8).
// Errors this package returns from Transport.RoundTrip, response bodies and
// request bodies can be matched with errors.As; the underlying QUIC error,
// if any, is wrapped.
type Error struct {
	Code ErrCode
	// Connection is true for a connection error.
	Connection bool
	// Remote is true when the peer sent the code.
	Remote bool
	Reason string
	err    error
}

func (e *Error) Error() string {
	kind := "stream"
	if e.Connection {
		kind = "connection"
	}
	who := "local"
	if e.Remote {
		who = "remote"
	}
	s := fmt.Sprintf("http3: %s %s error %v", who, kind, e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the QUIC error the H3 error came in, if any.
func (e *Error) Unwrap() error { return e.err }

// connError returns a local connection error.
func connError(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Connection: true, Reason: fmt.Sprintf(format, args...)}
}

// streamError returns a local stream error.
func streamError(code ErrCode, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// fromQUIC turns the QUIC error of a stream or session into an *Error when
// it carries an application (H3) error code; other errors are returned as
// they are.
func fromQUIC(err error) error {
	var se *quic.StreamError
	if errors.As(err, &se) {
		return &Error{Code: ErrCode(se.ErrorCode), Remote: se.Remote, err: err}
	}
	var ae *quic.ApplicationError
	if errors.As(err, &ae) {
		return &Error{Code: ErrCode(ae.Code), Connection: true, Remote: ae.Remote, Reason: ae.Reason, err: err}
	}
	return err
}

package qpack

import (
	"errors"
	"fmt"
)

// QPACK error codes, RFC 9204, Section 6. They are HTTP/3 error codes: an
// *Error is a connection error of that type.
const (
	ErrCodeDecompressionFailed uint64 = 0x200
	ErrCodeEncoderStreamError  uint64 = 0x201
	ErrCodeDecoderStreamError  uint64 = 0x202
)

// Error is a QPACK connection error. Code is one of the ErrCode constants.
type Error struct {
	Code   uint64
	Reason string
}

func (e *Error) Error() string {
	var name string
	switch e.Code {
	case ErrCodeDecompressionFailed:
		name = "QPACK_DECOMPRESSION_FAILED"
	case ErrCodeEncoderStreamError:
		name = "QPACK_ENCODER_STREAM_ERROR"
	case ErrCodeDecoderStreamError:
		name = "QPACK_DECODER_STREAM_ERROR"
	default:
		name = fmt.Sprintf("error %#x", e.Code)
	}
	return "qpack: " + name + ": " + e.Reason
}

func errorf(code uint64, format string, args ...any) *Error {
	return &Error{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// ErrBlocked is returned by Decoder.DecodeHeaders for a field section that
// references dynamic table entries not yet received on the encoder stream
// (RFC 9204, Section 2.2.1). The caller keeps the field section and decodes
// it again once HandleEncoderStream reports its stream unblocked.
var ErrBlocked = errors.New("qpack: field section blocked on the encoder stream")

// ErrFieldSectionTooLarge is returned by Decoder.DecodeHeaders when the
// decoded field section exceeds the decoder's maxFieldSectionSize, counted
// as in RFC 9114, Section 4.2.2. It is not a connection error: HTTP/3 treats
// the message as malformed or answers 431. The section is still
// acknowledged, so the dynamic table state stays consistent.
var ErrFieldSectionTooLarge = errors.New("qpack: field section exceeds the size limit")

// errShort is the internal result of parsing an incomplete instruction or
// field line; on the encoder and decoder streams it means "wait for more".
var errShort = errors.New("qpack: truncated input")

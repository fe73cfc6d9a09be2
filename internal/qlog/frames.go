package qlog

import (
	"strconv"

	"github.com/quince-go/quic/internal/core/wire"
)

// appendFrames writes the "frames" array of a packet from its plaintext
// payload (draft-ietf-quic-qlog-quic-events, Section "QUIC Frames").
// ackDelayExp scales ACK delays. A frame that does not parse ends the list.
func (t *Tracer) appendFrames(r *record, payload []byte, ackDelayExp uint64) {
	r.array("frames")
	for len(payload) > 0 {
		f, n, err := t.parser.Next(payload)
		if err != nil {
			break
		}
		payload = payload[n:]
		r.open('{')
		appendFrame(r, f, n, ackDelayExp)
		r.close('}')
	}
	r.close(']')
}

func appendFrame(r *record, f wire.Frame, n int, ackDelayExp uint64) {
	switch f := f.(type) {
	case *wire.PaddingFrame:
		r.str("frame_type", "padding")
		rawLen(r, n, -1)
	case *wire.PingFrame:
		r.str("frame_type", "ping")
	case *wire.AckFrame:
		r.str("frame_type", "ack")
		if ackDelayExp > 20 {
			ackDelayExp = 20
		}
		r.float("ack_delay", float64(f.AckDelay<<ackDelayExp)/1000)
		r.array("acked_ranges")
		for i := len(f.Ranges) - 1; i >= 0; i-- { // ascending, as the draft shows
			rg := f.Ranges[i]
			r.open('[')
			r.uintValue(rg.Smallest)
			if rg.Largest != rg.Smallest {
				r.uintValue(rg.Largest)
			}
			r.close(']')
		}
		r.close(']')
		if f.HasECN {
			r.uint("ect1", f.ECT1)
			r.uint("ect0", f.ECT0)
			r.uint("ce", f.ECNCE)
		}
	case *wire.ResetStreamFrame:
		r.str("frame_type", "reset_stream")
		r.uint("stream_id", f.StreamID)
		r.str("error", "unknown")
		r.uint("error_code", f.Code)
		r.uint("final_size", f.FinalSize)
	case *wire.StopSendingFrame:
		r.str("frame_type", "stop_sending")
		r.uint("stream_id", f.StreamID)
		r.str("error", "unknown")
		r.uint("error_code", f.Code)
	case *wire.CryptoFrame:
		r.str("frame_type", "crypto")
		r.uint("offset", f.Offset)
		rawLen(r, n, len(f.Data))
	case *wire.NewTokenFrame:
		r.str("frame_type", "new_token")
		r.object("token")
		r.str("type", "resumption")
		r.object("raw")
		r.uint("length", uint64(len(f.Token)))
		r.close('}')
		r.close('}')
	case *wire.StreamFrame:
		r.str("frame_type", "stream")
		r.uint("stream_id", f.StreamID)
		r.uint("offset", f.Offset)
		if f.Fin {
			r.bool("fin", true)
		}
		rawLen(r, n, len(f.Data))
	case *wire.MaxDataFrame:
		r.str("frame_type", "max_data")
		r.uint("maximum", f.Max)
	case *wire.MaxStreamDataFrame:
		r.str("frame_type", "max_stream_data")
		r.uint("stream_id", f.StreamID)
		r.uint("maximum", f.Max)
	case *wire.MaxStreamsFrame:
		r.str("frame_type", "max_streams")
		r.str("stream_type", streamType(f.Bidi))
		r.uint("maximum", f.Max)
	case *wire.DataBlockedFrame:
		r.str("frame_type", "data_blocked")
		r.uint("limit", f.Limit)
	case *wire.StreamDataBlockedFrame:
		r.str("frame_type", "stream_data_blocked")
		r.uint("stream_id", f.StreamID)
		r.uint("limit", f.Limit)
	case *wire.StreamsBlockedFrame:
		r.str("frame_type", "streams_blocked")
		r.str("stream_type", streamType(f.Bidi))
		r.uint("limit", f.Limit)
	case *wire.NewConnectionIDFrame:
		r.str("frame_type", "new_connection_id")
		r.uint("sequence_number", f.Seq)
		r.uint("retire_prior_to", f.RetirePriorTo)
		r.uint("connection_id_length", uint64(len(f.ConnID)))
		r.hex("connection_id", f.ConnID)
		r.hex("stateless_reset_token", f.ResetToken[:])
	case *wire.RetireConnectionIDFrame:
		r.str("frame_type", "retire_connection_id")
		r.uint("sequence_number", f.Seq)
	case *wire.PathChallengeFrame:
		r.str("frame_type", "path_challenge")
		r.hex("data", f.Data[:])
	case *wire.PathResponseFrame:
		r.str("frame_type", "path_response")
		r.hex("data", f.Data[:])
	case *wire.ConnectionCloseFrame:
		r.str("frame_type", "connection_close")
		if f.App {
			r.str("error_space", "application")
			r.str("error", "unknown")
			r.uint("error_code", f.Code)
		} else {
			r.str("error_space", "transport")
			name := transportErrorName(f.Code)
			r.str("error", name)
			if name == "unknown" {
				r.uint("error_code", f.Code)
			}
			r.uint("trigger_frame_type", f.FrameType)
		}
		if len(f.Reason) > 0 {
			r.str("reason", string(f.Reason))
		}
	case *wire.HandshakeDoneFrame:
		r.str("frame_type", "handshake_done")
	case *wire.DatagramFrame:
		r.str("frame_type", "datagram")
		rawLen(r, n, len(f.Data))
	default:
		r.str("frame_type", "unknown")
		r.uint("frame_type_bytes", f.Type())
	}
}

// rawLen writes a RawInfo with the frame's length and, unless negative, its
// payload length.
func rawLen(r *record, length, payload int) {
	r.object("raw")
	r.uint("length", uint64(length))
	if payload >= 0 {
		r.uint("payload_length", uint64(payload))
	}
	r.close('}')
}

func streamType(bidi bool) string {
	if bidi {
		return "bidirectional"
	}
	return "unidirectional"
}

var transportErrors = [...]string{
	"no_error", "internal_error", "connection_refused", "flow_control_error",
	"stream_limit_error", "stream_state_error", "final_size_error",
	"frame_encoding_error", "transport_parameter_error",
	"connection_id_limit_error", "protocol_violation", "invalid_token",
	"application_error", "crypto_buffer_exceeded", "key_update_error",
	"aead_limit_reached", "no_viable_path",
}

// transportErrorName is the draft's name of a transport error code:
// $TransportError, or CryptoError for 0x0100-0x01ff.
func transportErrorName(code uint64) string {
	if code < uint64(len(transportErrors)) {
		return transportErrors[code]
	}
	if code >= 0x100 && code <= 0x1ff {
		return "crypto_error_0x" + strconv.FormatUint(code, 16)
	}
	return "unknown"
}

package wire

// FrameParser reads frames from a decrypted packet payload without
// allocating in the steady state.
//
// Each Next returns a pointer to a frame struct held by the parser, which
// is valid only until the next call to Next. Byte slices in the frame alias
// the input, and the ACK frame's Ranges slice is reused from one call to the
// next. The zero FrameParser is ready to use; a FrameParser must not be
// used by two goroutines at once.
type FrameParser struct {
	padding           PaddingFrame
	ping              PingFrame
	ack               AckFrame
	resetStream       ResetStreamFrame
	stopSending       StopSendingFrame
	crypto            CryptoFrame
	newToken          NewTokenFrame
	stream            StreamFrame
	maxData           MaxDataFrame
	maxStreamData     MaxStreamDataFrame
	maxStreams        MaxStreamsFrame
	dataBlocked       DataBlockedFrame
	streamDataBlocked StreamDataBlockedFrame
	streamsBlocked    StreamsBlockedFrame
	newConnID         NewConnectionIDFrame
	retireConnID      RetireConnectionIDFrame
	pathChallenge     PathChallengeFrame
	pathResponse      PathResponseFrame
	connClose         ConnectionCloseFrame
	handshakeDone     HandshakeDoneFrame
	datagram          DatagramFrame
}

// Next parses the frame at the start of b, the rest of a packet payload,
// and returns it with the number of bytes it occupies. A run of PADDING
// bytes is returned as one *PaddingFrame.
//
// Malformed input yields a *TransportError: FRAME_ENCODING_ERROR, carrying
// the offending frame type, for an unknown type, a truncated frame or a
// field value that RFC 9000, Section 19 forbids, and PROTOCOL_VIOLATION for
// a frame type that is not encoded in the fewest bytes (RFC 9000,
// Section 12.4). An empty b is a FRAME_ENCODING_ERROR. Next does not check
// whether the frame is allowed in the packet's type; see FrameAllowed.
func (p *FrameParser) Next(b []byte) (f Frame, n int, err error) {
	typ, tn := ConsumeVarint(b)
	if tn < 0 {
		return nil, 0, Errorf(FrameEncodingError, 0, "truncated frame type")
	}
	if tn != VarintLen(typ) {
		// RFC 9000, Section 12.4: a frame type MUST use the shortest
		// encoding; an endpoint MAY treat a longer one as
		// PROTOCOL_VIOLATION.
		return nil, 0, Errorf(ProtocolViolation, typ, "frame type 0x%x encoded in %d bytes", typ, tn)
	}
	body := b[tn:]
	var m int
	switch typ {
	case FramePadding:
		m = p.padding.parse(body)
		f = &p.padding
	case FramePing:
		f = &p.ping
	case FrameAck, FrameAckECN:
		m, err = p.ack.parse(typ, body)
		f = &p.ack
	case FrameResetStream:
		m, err = p.resetStream.parse(typ, body)
		f = &p.resetStream
	case FrameStopSending:
		m, err = p.stopSending.parse(typ, body)
		f = &p.stopSending
	case FrameCrypto:
		m, err = p.crypto.parse(typ, body)
		f = &p.crypto
	case FrameNewToken:
		m, err = p.newToken.parse(typ, body)
		f = &p.newToken
	case FrameStream, FrameStream | 1, FrameStream | 2, FrameStream | 3,
		FrameStream | 4, FrameStream | 5, FrameStream | 6, FrameStream | 7:
		m, err = p.stream.parse(typ, body)
		f = &p.stream
	case FrameMaxData:
		m, err = p.maxData.parse(typ, body)
		f = &p.maxData
	case FrameMaxStreamData:
		m, err = p.maxStreamData.parse(typ, body)
		f = &p.maxStreamData
	case FrameMaxStreamsBidi, FrameMaxStreamsUni:
		m, err = p.maxStreams.parse(typ, body)
		f = &p.maxStreams
	case FrameDataBlocked:
		m, err = p.dataBlocked.parse(typ, body)
		f = &p.dataBlocked
	case FrameStreamDataBlocked:
		m, err = p.streamDataBlocked.parse(typ, body)
		f = &p.streamDataBlocked
	case FrameStreamsBlockedBidi, FrameStreamsBlockedUni:
		m, err = p.streamsBlocked.parse(typ, body)
		f = &p.streamsBlocked
	case FrameNewConnectionID:
		m, err = p.newConnID.parse(typ, body)
		f = &p.newConnID
	case FrameRetireConnectionID:
		m, err = p.retireConnID.parse(typ, body)
		f = &p.retireConnID
	case FramePathChallenge:
		m, err = parsePathData(&p.pathChallenge.Data, typ, body)
		f = &p.pathChallenge
	case FramePathResponse:
		m, err = parsePathData(&p.pathResponse.Data, typ, body)
		f = &p.pathResponse
	case FrameConnectionClose, FrameConnectionCloseApp:
		m, err = p.connClose.parse(typ, body)
		f = &p.connClose
	case FrameHandshakeDone:
		f = &p.handshakeDone
	case FrameDatagram, FrameDatagramLen:
		m, err = p.datagram.parse(typ, body)
		f = &p.datagram
	default:
		// RFC 9000, Section 12.4.
		return nil, 0, Errorf(FrameEncodingError, typ, "unknown frame type 0x%x", typ)
	}
	if err != nil {
		return nil, 0, err
	}
	return f, tn + m, nil
}

// frameReader reads the fields of one frame body. A read past the end sets
// short and yields zero values, so a parser checks once after its reads.
type frameReader struct {
	b     []byte
	off   int
	short bool
}

func (r *frameReader) varint() uint64 {
	v, n := ConsumeVarint(r.b[r.off:])
	if n < 0 {
		r.short = true
		return 0
	}
	r.off += n
	return v
}

// bytes returns the next n bytes, aliasing the input.
func (r *frameReader) bytes(n uint64) []byte {
	if r.short || n > uint64(len(r.b)-r.off) {
		r.short = true
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// rest returns the remaining bytes, for a field that runs to the end of
// the packet.
func (r *frameReader) rest() []byte {
	if r.short {
		return nil
	}
	return r.bytes(uint64(len(r.b) - r.off))
}

// remaining returns the number of unread bytes.
func (r *frameReader) remaining() int { return len(r.b) - r.off }

func errTruncated(typ uint64) *TransportError {
	return Errorf(FrameEncodingError, typ, "truncated frame")
}

package wire

// FrameType is the value of a frame's Type field (RFC 9000, Section 12.4).
// For ACK, STREAM, MAX_STREAMS, STREAMS_BLOCKED, CONNECTION_CLOSE and
// DATAGRAM the low bits of the type carry flags.
type FrameType = uint64

// Frame types of RFC 9000, Section 19 and RFC 9221, Section 4.
const (
	FramePadding            FrameType = 0x00
	FramePing               FrameType = 0x01
	FrameAck                FrameType = 0x02
	FrameAckECN             FrameType = 0x03
	FrameResetStream        FrameType = 0x04
	FrameStopSending        FrameType = 0x05
	FrameCrypto             FrameType = 0x06
	FrameNewToken           FrameType = 0x07
	FrameStream             FrameType = 0x08 // 0x08-0x0f: see StreamOffBit, StreamLenBit, StreamFinBit
	FrameMaxData            FrameType = 0x10
	FrameMaxStreamData      FrameType = 0x11
	FrameMaxStreamsBidi     FrameType = 0x12
	FrameMaxStreamsUni      FrameType = 0x13
	FrameDataBlocked        FrameType = 0x14
	FrameStreamDataBlocked  FrameType = 0x15
	FrameStreamsBlockedBidi FrameType = 0x16
	FrameStreamsBlockedUni  FrameType = 0x17
	FrameNewConnectionID    FrameType = 0x18
	FrameRetireConnectionID FrameType = 0x19
	FramePathChallenge      FrameType = 0x1a
	FramePathResponse       FrameType = 0x1b
	FrameConnectionClose    FrameType = 0x1c // QUIC-layer error
	FrameConnectionCloseApp FrameType = 0x1d // application error
	FrameHandshakeDone      FrameType = 0x1e
	FrameDatagram           FrameType = 0x30 // data runs to the end of the packet
	FrameDatagramLen        FrameType = 0x31 // with a Length field
)

// Flag bits in the type of a STREAM frame (RFC 9000, Section 19.8).
const (
	StreamOffBit FrameType = 0x04 // an Offset field is present
	StreamLenBit FrameType = 0x02 // a Length field is present
	StreamFinBit FrameType = 0x01 // the frame ends the stream
)

// MaxAckRanges is the most ACK ranges FrameParser keeps from one ACK frame.
//
// RFC 9000 puts no limit on the ACK Range Count, so a peer may send more,
// and rejecting them would close a valid connection. FrameParser reads and
// validates every range but keeps only the first MaxAckRanges. Ranges come
// in descending order, so the ones dropped acknowledge the oldest packets:
// by the time a peer reports that many gaps, the loss detector has
// declared those packets lost long ago (RFC 9002, Section 6.1), and the
// worst outcome of ignoring their acknowledgement is a spurious
// retransmission. The limit bounds the parser's memory at 4 KiB.
const MaxAckRanges = 256

// Frame is one QUIC frame. It is implemented by a pointer to each frame
// struct of this package.
//
// Append and Len assume the frame holds valid values: every integer that is
// encoded as a variable-length integer is at most MaxVarint, and each frame
// type documents its other requirements. Frames produced by FrameParser
// always qualify.
type Frame interface {
	// Type returns the frame's wire type, including its flag bits.
	Type() uint64
	// Append appends the encoded frame to b and returns the extended slice.
	Append(b []byte) []byte
	// Len returns the exact number of bytes Append adds.
	Len() int
}

// IsAckEliciting reports whether a frame of this type makes the packet that
// carries it ack-eliciting: every frame but ACK, PADDING and
// CONNECTION_CLOSE (RFC 9002, Section 2). Unknown types are ack-eliciting,
// as extension frames must be (RFC 9000, Section 19.21).
func IsAckEliciting(frameType uint64) bool {
	switch frameType {
	case FramePadding, FrameAck, FrameAckECN, FrameConnectionClose, FrameConnectionCloseApp:
		return false
	}
	return true
}

// CountsInFlight reports whether a frame of this type makes the packet that
// carries it count toward bytes in flight: every ack-eliciting frame and
// PADDING, that is all but ACK and CONNECTION_CLOSE (RFC 9002, Section 2).
func CountsInFlight(frameType uint64) bool {
	switch frameType {
	case FrameAck, FrameAckECN, FrameConnectionClose, FrameConnectionCloseApp:
		return false
	}
	return true
}

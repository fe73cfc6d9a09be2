package wire

// Packet types a frame may appear in, as bits: the letters "I", "H", "0" and
// "1" of the Pkts column of RFC 9000, Section 12.4, Table 3.
const (
	inInitial uint8 = 1 << iota
	inHandshake
	in0RTT
	in1RTT

	inAll     = inInitial | inHandshake | in0RTT | in1RTT
	inAppData = in0RTT | in1RTT
)

// FrameAllowed reports whether a frame of type frameType may appear in a
// packet of type pt (RFC 9000, Section 12.4, Table 3; RFC 9221, Section 4
// for DATAGRAM). Receiving a frame in a packet type that does not permit it
// is a connection error of type PROTOCOL_VIOLATION. Retry and Version
// Negotiation packets carry no frames, and unknown frame types are never
// allowed.
//
// Table 3 rules out ACK, CRYPTO, NEW_TOKEN, RETIRE_CONNECTION_ID,
// PATH_RESPONSE and HANDSHAKE_DONE in 0-RTT packets, which Section 12.5
// lets a server treat as PROTOCOL_VIOLATION; FrameAllowed follows the table.
func FrameAllowed(frameType uint64, pt PacketType) bool {
	var bit uint8
	switch pt {
	case PacketInitial:
		bit = inInitial
	case PacketHandshake:
		bit = inHandshake
	case Packet0RTT:
		bit = in0RTT
	case Packet1RTT:
		bit = in1RTT
	default:
		return false
	}
	return framePackets(frameType)&bit != 0
}

// framePackets returns the Pkts column of Table 3 for frameType.
func framePackets(frameType uint64) uint8 {
	switch frameType {
	case FramePadding, FramePing:
		return inAll
	case FrameAck, FrameAckECN, FrameCrypto:
		return inInitial | inHandshake | in1RTT
	case FrameNewToken, FrameRetireConnectionID, FramePathResponse, FrameHandshakeDone:
		return in1RTT
	case FrameConnectionClose:
		// "ih": only the QUIC-layer variant (0x1c) may appear in Initial
		// and Handshake packets.
		return inAll
	case FrameResetStream, FrameStopSending,
		FrameMaxData, FrameMaxStreamData, FrameMaxStreamsBidi, FrameMaxStreamsUni,
		FrameDataBlocked, FrameStreamDataBlocked, FrameStreamsBlockedBidi, FrameStreamsBlockedUni,
		FrameNewConnectionID, FramePathChallenge, FrameConnectionCloseApp:
		return inAppData
	case FrameDatagram, FrameDatagramLen:
		// RFC 9221, Section 5: DATAGRAM frames are protected with 0-RTT
		// or 1-RTT keys.
		return inAppData
	}
	if frameType&^0x07 == FrameStream {
		return inAppData
	}
	return 0
}

package wire

// MaxPacketNumber is the largest packet number a QUIC endpoint may use
// (RFC 9000, Section 12.3).
const MaxPacketNumber = 1<<62 - 1

// PacketNumberLen returns the number of bytes (1 to 4) needed to encode pn
// so that the peer, who has acknowledged packets up to largestAcked, decodes
// it without ambiguity (RFC 9000, Section 17.1 and Appendix A.2).
// largestAcked is -1 when nothing has been acknowledged yet.
func PacketNumberLen(pn, largestAcked int64) int {
	var unacked int64
	if largestAcked < 0 {
		unacked = pn + 1
	} else {
		unacked = pn - largestAcked
	}
	// The encoding must cover twice the range of unacknowledged packets.
	switch {
	case unacked < 1<<7:
		return 1
	case unacked < 1<<15:
		return 2
	case unacked < 1<<23:
		return 3
	default:
		return 4
	}
}

// AppendPacketNumber appends the n least significant bytes of pn.
func AppendPacketNumber(b []byte, pn int64, n int) []byte {
	switch n {
	case 1:
		return append(b, byte(pn))
	case 2:
		return append(b, byte(pn>>8), byte(pn))
	case 3:
		return append(b, byte(pn>>16), byte(pn>>8), byte(pn))
	default:
		return append(b, byte(pn>>24), byte(pn>>16), byte(pn>>8), byte(pn))
	}
}

// ReadTruncatedPacketNumber reads an n-byte truncated packet number from b.
// b must hold at least n bytes.
func ReadTruncatedPacketNumber(b []byte, n int) int64 {
	var v int64
	for _, c := range b[:n] {
		v = v<<8 | int64(c)
	}
	return v
}

// DecodePacketNumber recovers a full packet number from its n-byte truncated
// form, given the largest packet number received so far in the same space
// (-1 if none), as in RFC 9000, Appendix A.3.
func DecodePacketNumber(largest, truncated int64, n int) int64 {
	expected := largest + 1
	win := int64(1) << (n * 8)
	hwin := win / 2
	mask := win - 1
	candidate := (expected &^ mask) | truncated
	switch {
	case candidate <= expected-hwin && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}

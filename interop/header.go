package interop

import "encoding/binary"

// QUIC versions the relay recognises in long headers.
const (
	version1 uint32 = 0x00000001 // RFC 9000
	version2 uint32 = 0x6b3343cf // RFC 9369, Section 3.1
)

// PacketType is a long header packet's type, independent of the version's
// encoding of it.
type PacketType int

const (
	PacketInitial PacketType = iota
	Packet0RTT
	PacketHandshake
	PacketRetry
	PacketVersionNegotiation
	PacketShort // a 1-RTT packet (short header)
	PacketUnknown
)

var packetTypeNames = [...]string{"Initial", "0-RTT", "Handshake", "Retry", "VersionNegotiation", "1-RTT", "unknown"}

func (t PacketType) String() string { return packetTypeNames[t] }

// longType maps the two type bits of a long header to a PacketType:
// RFC 9000, Section 17.2 for version 1; RFC 9369, Section 3.2 for
// version 2, which rotates them.
func longType(version uint32, bits byte) PacketType {
	switch version {
	case version1:
		return [...]PacketType{PacketInitial, Packet0RTT, PacketHandshake, PacketRetry}[bits]
	case version2:
		return [...]PacketType{PacketRetry, PacketInitial, Packet0RTT, PacketHandshake}[bits]
	}
	return PacketUnknown
}

// PacketInfo is what the relay reads from a packet's unprotected header.
type PacketInfo struct {
	Type      PacketType
	Version   uint32 // 0 for short headers and version negotiation
	DstConnID string // long headers only
}

// ParseDatagram returns the packets coalesced in a datagram (RFC 9000,
// Section 12.2), as far as their long headers can be followed; a short
// header packet ends the datagram. Malformed input ends the walk.
func ParseDatagram(b []byte) []PacketInfo {
	var out []PacketInfo
	for len(b) > 0 {
		if b[0]&0x80 == 0 {
			return append(out, PacketInfo{Type: PacketShort})
		}
		if len(b) < 7 {
			return out
		}
		version := binary.BigEndian.Uint32(b[1:5])
		if version == 0 {
			return append(out, PacketInfo{Type: PacketVersionNegotiation})
		}
		typ := longType(version, (b[0]>>4)&3)
		p := 5
		dcidLen := int(b[p])
		p += 1 + dcidLen
		if p >= len(b) {
			return append(out, PacketInfo{Type: typ, Version: version})
		}
		out = append(out, PacketInfo{Type: typ, Version: version, DstConnID: string(b[6:p])})
		if typ == PacketUnknown || typ == PacketRetry {
			return out // a Retry runs to the end of the datagram
		}
		scidLen := int(b[p])
		p += 1 + scidLen
		if p > len(b) {
			return out
		}
		if typ == PacketInitial {
			tokenLen, n := consumeVarint(b[p:])
			if n < 0 || uint64(len(b)-p-n) < tokenLen {
				return out
			}
			p += n + int(tokenLen)
		}
		length, n := consumeVarint(b[p:])
		if n < 0 || uint64(len(b)-p-n) < length {
			return out
		}
		b = b[p+n+int(length):]
	}
	return out
}

// consumeVarint decodes a QUIC variable-length integer (RFC 9000,
// Section 16); n < 0 means b is too short.
func consumeVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, -1
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, -1
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

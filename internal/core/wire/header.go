package wire

import (
	"encoding/binary"
	"errors"
	"iter"
	"strconv"
)

// Packet headers (RFC 9000, Section 17; RFC 8999; RFC 9369, Section 3.2).
//
// Errors. A header that cannot be parsed is not a connection error: the
// packet is dropped (RFC 9000, Sections 5.2 and 17.2), and when its end
// cannot be found neither can the packets coalesced after it (Section 12.2).
// The parsers therefore return plain errors, not *TransportError: every one
// matches ErrMalformedHeader under errors.Is, except ErrUnsupportedVersion,
// which a server answers with Version Negotiation (Section 6.1). The errors
// are preallocated, so rejecting garbage does not allocate. The one header
// rule that is a connection error, nonzero reserved bits after protection
// is removed, is reported by CheckLongHeaderReservedBits and
// CheckShortHeaderReservedBits as a *TransportError with PROTOCOL_VIOLATION.
//
// Parsed connection IDs, tokens and version lists alias the input and have
// their capacity clipped to their length, so appending to them copies
// rather than overwriting the datagram.

// PacketType identifies the kind of a QUIC packet. The zero value is not a
// valid type.
type PacketType uint8

// Packet types (RFC 9000, Section 17).
const (
	PacketInitial PacketType = iota + 1
	Packet0RTT
	PacketHandshake
	PacketRetry
	PacketVersionNegotiation
	Packet1RTT
)

var packetTypeNames = [...]string{
	PacketInitial:            "Initial",
	Packet0RTT:               "0-RTT",
	PacketHandshake:          "Handshake",
	PacketRetry:              "Retry",
	PacketVersionNegotiation: "Version Negotiation",
	Packet1RTT:               "1-RTT",
}

// String returns the name of t as the RFC spells it, such as "0-RTT".
func (t PacketType) String() string {
	if t != 0 && int(t) < len(packetTypeNames) {
		return packetTypeNames[t]
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Bits of the first byte of a packet.
const (
	headerFormLong = 0x80 // RFC 9000, Section 17.2
	headerFixedBit = 0x40 // RFC 9000, Sections 17.2 and 17.3.1
	headerSpinBit  = 0x20 // short header, RFC 9000, Section 17.3.1
	headerKeyPhase = 0x04 // short header, RFC 9000, Section 17.3.1

	longReservedBits  = 0x0c // RFC 9000, Section 17.2
	shortReservedBits = 0x18 // RFC 9000, Section 17.3.1
	pnLenBits         = 0x03
)

// Header protection covers these bits of the first byte
// (RFC 9001, Section 5.4.1).
const (
	LongHeaderProtectedBits  = 0x0f
	ShortHeaderProtectedBits = 0x1f
)

// RetryIntegrityTagLen is the length of the Retry Integrity Tag that ends a
// Retry packet (RFC 9001, Section 5.8).
const RetryIntegrityTagLen = 16

// MaxLongHeaderLength is the largest Length that AppendLongHeader's 2-byte
// Length field can hold.
const MaxLongHeaderLength = 1<<14 - 1

// ErrMalformedHeader matches, under errors.Is, every error the header parsers
// return for a packet that cannot be parsed and must be dropped.
var ErrMalformedHeader = errors.New("quic: malformed packet header")

// ErrUnsupportedVersion is returned for a long header whose version is
// neither Version1 nor Version2. A server may answer such a packet with
// Version Negotiation (RFC 9000, Section 6.1).
var ErrUnsupportedVersion = errors.New("quic: unsupported QUIC version")

// headerError is a reason a header could not be parsed. The values are
// preallocated below so that the error path does not allocate.
type headerError struct{ reason string }

func (e *headerError) Error() string { return "quic: malformed packet header: " + e.reason }

func (e *headerError) Is(target error) bool { return target == ErrMalformedHeader }

var (
	errHdrEmpty        = &headerError{"empty datagram"}
	errHdrTruncated    = &headerError{"truncated header"}
	errHdrNotLong      = &headerError{"not a long header"}
	errHdrNotShort     = &headerError{"not a short header"}
	errHdrFixedBit     = &headerError{"fixed bit is zero"}
	errHdrConnIDLen    = &headerError{"connection ID longer than 20 bytes"}
	errHdrBadConnIDLen = &headerError{"negative connection ID length"}
	errHdrLength       = &headerError{"Length beyond the end of the datagram"}
	errHdrRetryToken   = &headerError{"Retry packet without a token"}
	errHdrIsVN         = &headerError{"Version Negotiation packet"}
	errHdrNotVN        = &headerError{"not a Version Negotiation packet"}
	errHdrVNVersions   = &headerError{"empty or truncated version list"}
)

// InvariantHeader is the version-independent part of a packet
// (RFC 8999, Section 5).
type InvariantHeader struct {
	Long      bool
	Version   uint32 // long headers only; 0 means Version Negotiation
	DstConnID []byte // aliases the datagram
	SrcConnID []byte // long headers only; aliases the datagram
}

// ParseInvariantHeader reads only the version-independent fields of the first
// packet in a datagram, for routing it to a connection. shortConnIDLen is the
// length of the connection IDs this endpoint issues, since short headers do
// not carry one.
//
// Connection IDs longer than MaxConnIDLen are an error for Version1 and
// Version2 (RFC 9000, Section 17.2) but are accepted, up to 255 bytes, for
// any other version, so that a server can answer with Version Negotiation
// (RFC 8999, Section 5.1). The fixed bit and other version-specific bits are
// not checked. ParseInvariantHeader does not allocate.
func ParseInvariantHeader(b []byte, shortConnIDLen int) (InvariantHeader, error) {
	if len(b) == 0 {
		return InvariantHeader{}, errHdrEmpty
	}
	if b[0]&headerFormLong == 0 {
		dst, _, err := parseShortConnID(b, shortConnIDLen)
		if err != nil {
			return InvariantHeader{}, err
		}
		return InvariantHeader{DstConnID: dst}, nil
	}
	version, dst, src, _, err := parseLongConnIDs(b)
	if err != nil {
		return InvariantHeader{}, err
	}
	return InvariantHeader{Long: true, Version: version, DstConnID: dst, SrcConnID: src}, nil
}

// parseShortConnID returns the connection ID of a short header and the offset
// after it.
func parseShortConnID(b []byte, connIDLen int) (dst []byte, n int, err error) {
	if connIDLen < 0 {
		return nil, 0, errHdrBadConnIDLen
	}
	n = 1 + connIDLen
	if len(b) < n {
		return nil, 0, errHdrTruncated
	}
	return b[1:n:n], n, nil
}

// parseLongConnIDs reads the invariant fields of the long header at the start
// of b (RFC 8999, Section 5.1) and returns the offset after them. It enforces
// the 20-byte limit on connection IDs for the versions this package supports.
func parseLongConnIDs(b []byte) (version uint32, dst, src []byte, n int, err error) {
	// First byte, Version, Destination Connection ID Length.
	if len(b) < 6 {
		return 0, nil, nil, 0, errHdrTruncated
	}
	version = binary.BigEndian.Uint32(b[1:5])
	// RFC 9000, Section 17.2: a v1 endpoint MUST drop a packet with a
	// connection ID longer than 20 bytes; RFC 9369 keeps the rule for v2.
	maxLen := 255
	if IsSupportedVersion(version) {
		maxLen = MaxConnIDLen
	}
	n = 5
	for i := range 2 {
		if len(b) <= n {
			return 0, nil, nil, 0, errHdrTruncated
		}
		l := int(b[n])
		n++
		if l > maxLen {
			return 0, nil, nil, 0, errHdrConnIDLen
		}
		if len(b)-n < l {
			return 0, nil, nil, 0, errHdrTruncated
		}
		cid := b[n : n+l : n+l]
		n += l
		if i == 0 {
			dst = cid
		} else {
			src = cid
		}
	}
	return version, dst, src, n, nil
}

// longTypeBits returns the Long Packet Type field for t in the given version:
// RFC 9000, Table 5 for v1 and RFC 9369, Section 3.2 for v2, which rotates
// the v1 values by one.
func longTypeBits(version uint32, t PacketType) byte {
	bits := byte(t - PacketInitial)
	if version == Version2 {
		bits = (bits + 1) & 3
	}
	return bits
}

// longPacketType is the inverse of longTypeBits.
func longPacketType(version uint32, bits byte) PacketType {
	if version == Version2 {
		bits = (bits + 3) & 3
	}
	return PacketInitial + PacketType(bits)
}

// LongHeader is a parsed long header of a Version1 or Version2 packet, before
// header protection is removed.
type LongHeader struct {
	Type      PacketType // PacketInitial, Packet0RTT, PacketHandshake or PacketRetry
	Version   uint32
	DstConnID []byte // aliases the input
	SrcConnID []byte // aliases the input
	Token     []byte // Initial only; aliases the input

	// PacketNumberOffset is where the protected Packet Number field starts;
	// the header protection sample starts 4 bytes after it
	// (RFC 9001, Section 5.4.2). Length is the value of the Length field:
	// the bytes of Packet Number and Payload. Both are zero for Retry.
	PacketNumberOffset int
	Length             uint64

	// PacketLen is the length of the whole packet, header and Length bytes,
	// which ends it in a datagram of coalesced packets (RFC 9000,
	// Section 12.2). A Retry packet takes the rest of the datagram.
	PacketLen int

	// Retry only, both aliasing the input.
	RetryToken        []byte // without the integrity tag
	RetryIntegrityTag []byte // RetryIntegrityTagLen bytes
}

// ParseLongHeader parses the long header of the Version1 or Version2 packet at
// the start of b, which may hold further coalesced packets after it.
//
// It returns ErrUnsupportedVersion for other versions and an error matching
// ErrMalformedHeader if the packet is a Version Negotiation packet (use
// ParseVersionNegotiation), the fixed bit is zero (RFC 9000, Section 17.2), a
// connection ID is longer than 20 bytes, the header is truncated, Length
// runs past the end of b, or a Retry packet has no room for its integrity tag
// or an empty token (RFC 9000, Section 17.2.5.2). It does not check that the
// packet is long enough for a header protection sample, and it does not
// check token rules that depend on the role of the endpoint. It does not
// allocate.
func ParseLongHeader(b []byte) (LongHeader, error) {
	if len(b) == 0 || b[0]&headerFormLong == 0 {
		return LongHeader{}, errHdrNotLong
	}
	// The version comes first: the other bits of the first byte and
	// everything after the connection IDs are version specific
	// (RFC 8999, Section 5.1).
	if len(b) < 5 {
		return LongHeader{}, errHdrTruncated
	}
	switch v := binary.BigEndian.Uint32(b[1:5]); {
	case v == 0:
		return LongHeader{}, errHdrIsVN
	case !IsSupportedVersion(v):
		return LongHeader{}, ErrUnsupportedVersion
	}
	version, dst, src, n, err := parseLongConnIDs(b)
	if err != nil {
		return LongHeader{}, err
	}
	if b[0]&headerFixedBit == 0 {
		return LongHeader{}, errHdrFixedBit
	}
	h := LongHeader{
		Type:      longPacketType(version, b[0]>>4&3),
		Version:   version,
		DstConnID: dst,
		SrcConnID: src,
	}
	switch h.Type {
	case PacketRetry:
		// RFC 9000, Section 17.2.5: the token is everything up to the
		// 16-byte tag, and a client MUST discard a Retry with an empty token.
		rest := len(b) - n
		if rest < RetryIntegrityTagLen {
			return LongHeader{}, errHdrTruncated
		}
		if rest == RetryIntegrityTagLen {
			return LongHeader{}, errHdrRetryToken
		}
		end := len(b) - RetryIntegrityTagLen
		h.RetryToken = b[n:end:end]
		h.RetryIntegrityTag = b[end:len(b):len(b)]
		h.PacketLen = len(b)
		return h, nil
	case PacketInitial:
		token, m := ConsumeVarintBytes(b[n:])
		if m < 0 {
			return LongHeader{}, errHdrTruncated
		}
		h.Token = token[:len(token):len(token)]
		n += m
	}
	length, m := ConsumeVarint(b[n:])
	if m < 0 {
		return LongHeader{}, errHdrTruncated
	}
	n += m
	if length > uint64(len(b)-n) {
		return LongHeader{}, errHdrLength
	}
	h.PacketNumberOffset = n
	h.Length = length
	h.PacketLen = n + int(length)
	return h, nil
}

// ParseShortHeader parses the 1-RTT header at the start of b, before header
// protection is removed, given the length of this endpoint's connection IDs.
// It returns the Destination Connection ID, which aliases b, and the offset
// of the protected Packet Number field. It returns an error matching
// ErrMalformedHeader if b is not a short header, the fixed bit is zero
// (RFC 9000, Section 17.3.1) or b ends inside the connection ID. It does not
// allocate.
func ParseShortHeader(b []byte, connIDLen int) (dstConnID []byte, pnOffset int, err error) {
	if len(b) == 0 || b[0]&headerFormLong != 0 {
		return nil, 0, errHdrNotShort
	}
	if b[0]&headerFixedBit == 0 {
		return nil, 0, errHdrFixedBit
	}
	return parseShortConnID(b, connIDLen)
}

// NextPacket splits the first packet off a datagram of coalesced packets
// (RFC 9000, Section 12.2) and returns it and the rest of the datagram, which
// is empty if the packet was the last one. Both alias the datagram; packet
// has its capacity clipped so that in-place decryption cannot spill into
// rest.
//
// Long-header packets of Version1 and Version2 are validated as by
// ParseLongHeader and end after their Length field; an error means the
// packet and everything after it must be dropped. Packets without a Length
// field, namely short-header, Retry, Version Negotiation and other-version
// packets, extend to the end of the datagram; for these only the invariant
// header is checked. NextPacket does not allocate.
func NextPacket(datagram []byte, shortConnIDLen int) (packet, rest []byte, err error) {
	if len(datagram) == 0 {
		return nil, nil, errHdrEmpty
	}
	end := len(datagram)
	if datagram[0]&headerFormLong == 0 {
		if _, _, err := parseShortConnID(datagram, shortConnIDLen); err != nil {
			return nil, nil, err
		}
	} else if len(datagram) >= 5 && IsSupportedVersion(binary.BigEndian.Uint32(datagram[1:5])) {
		h, err := ParseLongHeader(datagram)
		if err != nil {
			return nil, nil, err
		}
		end = h.PacketLen
	} else if _, _, _, _, err := parseLongConnIDs(datagram); err != nil {
		return nil, nil, err
	}
	if end < len(datagram) {
		rest = datagram[end:]
	}
	return datagram[:end:end], rest, nil
}

// LongHeaderFields describes a long header for AppendLongHeader.
type LongHeaderFields struct {
	Type            PacketType // PacketInitial, Packet0RTT or PacketHandshake
	Version         uint32     // Version1 or Version2
	DstConnID       []byte     // at most MaxConnIDLen bytes
	SrcConnID       []byte     // at most MaxConnIDLen bytes
	Token           []byte     // Initial only; ignored for other types
	PacketNumber    int64
	PacketNumberLen int // 1 to 4
}

// AppendLongHeader appends an Initial, 0-RTT or Handshake header, through the
// Packet Number field, to b. The first byte carries the packet type for
// h.Version, zero reserved bits and the packet number length
// (RFC 9000, Section 17.2; RFC 9369, Section 3.2).
//
// The Length field is written as a 2-byte placeholder: once the packet number,
// frames and AEAD tag are known, the caller fills it in with
// PutLongHeaderLength(out, lengthOffset, n). lengthOffset and pnOffset are
// indexes into out. AppendLongHeader panics if h is outside the limits
// documented on LongHeaderFields, which is a bug in the caller.
func AppendLongHeader(b []byte, h LongHeaderFields) (out []byte, lengthOffset, pnOffset int) {
	switch {
	case h.Type != PacketInitial && h.Type != Packet0RTT && h.Type != PacketHandshake:
		panic("wire: AppendLongHeader with packet type " + h.Type.String())
	case h.PacketNumberLen < 1 || h.PacketNumberLen > 4:
		panic("wire: AppendLongHeader with packet number length " + strconv.Itoa(h.PacketNumberLen))
	}
	mustBeSupported(h.Version)
	b = appendLongConnIDs(b,
		headerFormLong|headerFixedBit|longTypeBits(h.Version, h.Type)<<4|byte(h.PacketNumberLen-1),
		h.Version, h.DstConnID, h.SrcConnID, MaxConnIDLen)
	if h.Type == PacketInitial {
		b = AppendVarint(b, uint64(len(h.Token)))
		b = append(b, h.Token...)
	}
	lengthOffset = len(b)
	b = AppendVarintWithLen(b, 0, 2)
	pnOffset = len(b)
	b = AppendPacketNumber(b, h.PacketNumber, h.PacketNumberLen)
	return b, lengthOffset, pnOffset
}

// mustBeSupported panics if the caller asks for a header of a version this
// package cannot write.
func mustBeSupported(version uint32) {
	if !IsSupportedVersion(version) {
		panic("wire: long header for unsupported version 0x" + strconv.FormatUint(uint64(version), 16))
	}
}

// appendLongConnIDs appends the invariant part of a long header. It panics if
// a connection ID is longer than maxLen.
func appendLongConnIDs(b []byte, first byte, version uint32, dst, src []byte, maxLen int) []byte {
	if len(dst) > maxLen || len(src) > maxLen {
		panic("wire: connection ID too long")
	}
	b = append(b, first)
	b = binary.BigEndian.AppendUint32(b, version)
	b = append(b, byte(len(dst)))
	b = append(b, dst...)
	b = append(b, byte(len(src)))
	return append(b, src...)
}

// PutLongHeaderLength fills in the Length field that AppendLongHeader left at
// b[lengthOffset:] with n, the length of the Packet Number and Payload fields
// including the AEAD tag. It panics if n is negative or larger than
// MaxLongHeaderLength.
func PutLongHeaderLength(b []byte, lengthOffset int, n int) {
	if n < 0 || n > MaxLongHeaderLength {
		panic("wire: long header Length " + strconv.Itoa(n) + " does not fit in 2 bytes")
	}
	b[lengthOffset] = 0x40 | byte(n>>8)
	b[lengthOffset+1] = byte(n)
}

// AppendShortHeader appends a 1-RTT header through the Packet Number field and
// returns the offset of the packet number. Reserved bits are zero
// (RFC 9000, Section 17.3.1). pnLen must be 1 to 4.
func AppendShortHeader(b []byte, dstConnID []byte, pn int64, pnLen int, keyPhase, spinBit bool) (out []byte, pnOffset int) {
	if pnLen < 1 || pnLen > 4 {
		panic("wire: AppendShortHeader with packet number length " + strconv.Itoa(pnLen))
	}
	first := byte(headerFixedBit | (pnLen - 1))
	if spinBit {
		first |= headerSpinBit
	}
	if keyPhase {
		first |= headerKeyPhase
	}
	b = append(b, first)
	b = append(b, dstConnID...)
	pnOffset = len(b)
	return AppendPacketNumber(b, pn, pnLen), pnOffset
}

// AppendRetry appends a Retry packet without its integrity tag, which the
// caller computes over the Retry pseudo-packet and appends
// (RFC 9001, Section 5.8). The Unused bits are zero. token must not be empty
// (RFC 9000, Section 17.2.5.2). AppendRetry panics if version is not Version1
// or Version2 or a connection ID is longer than MaxConnIDLen.
func AppendRetry(b []byte, version uint32, dstConnID, srcConnID, token []byte) []byte {
	mustBeSupported(version)
	first := headerFormLong | headerFixedBit | longTypeBits(version, PacketRetry)<<4
	b = appendLongConnIDs(b, first, version, dstConnID, srcConnID, MaxConnIDLen)
	return append(b, token...)
}

// AppendVersionNegotiation appends a Version Negotiation packet listing
// versions (RFC 9000, Section 17.2.1). The caller echoes the client's
// connection IDs swapped: dstConnID is the client's Source Connection ID and
// srcConnID its Destination Connection ID, each up to 255 bytes.
//
// The Unused bits are always written as 0x40, so the first byte is 0xc0:
// servers SHOULD set the bit where the Fixed Bit would be, for protocols
// multiplexed with QUIC (RFC 9000, Section 17.2.1), and a constant keeps the
// output deterministic.
func AppendVersionNegotiation(b []byte, dstConnID, srcConnID []byte, versions []uint32) []byte {
	b = appendLongConnIDs(b, headerFormLong|headerFixedBit, 0, dstConnID, srcConnID, 255)
	for _, v := range versions {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b
}

// ParseVersionNegotiation parses a Version Negotiation packet, which fills its
// datagram (RFC 9000, Section 17.2.1). versions is the list of 4-byte
// Supported Version fields, aliasing b; iterate it with EachVersion. The
// Unused bits are ignored, and connection IDs may be up to 255 bytes long
// (RFC 8999, Section 6). An empty list or a truncated version is an error
// matching ErrMalformedHeader: the packet MUST be ignored. It does not
// allocate.
func ParseVersionNegotiation(b []byte) (dstConnID, srcConnID, versions []byte, err error) {
	if len(b) == 0 || b[0]&headerFormLong == 0 {
		return nil, nil, nil, errHdrNotLong
	}
	version, dst, src, n, err := parseLongConnIDs(b)
	if err != nil {
		return nil, nil, nil, err
	}
	if version != 0 {
		return nil, nil, nil, errHdrNotVN
	}
	versions = b[n:len(b):len(b)]
	if len(versions) == 0 || len(versions)%4 != 0 {
		return nil, nil, nil, errHdrVNVersions
	}
	return dst, src, versions, nil
}

// EachVersion iterates over a list of 4-byte versions such as the one
// ParseVersionNegotiation returns. A trailing partial version is skipped.
func EachVersion(list []byte) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		for ; len(list) >= 4; list = list[4:] {
			if !yield(binary.BigEndian.Uint32(list)) {
				return
			}
		}
	}
}

// ContainsVersion reports whether a list of 4-byte versions holds v. A client
// MUST discard a Version Negotiation packet that lists the version it chose
// (RFC 9000, Section 6.2).
func ContainsVersion(list []byte, v uint32) bool {
	for ; len(list) >= 4; list = list[4:] {
		if binary.BigEndian.Uint32(list) == v {
			return true
		}
	}
	return false
}

// LongHeaderPacketNumberLen returns the length of the Packet Number field
// encoded in the first byte of an Initial, 0-RTT or Handshake packet once
// header protection is removed (RFC 9000, Section 17.2).
func LongHeaderPacketNumberLen(firstByte byte) int { return int(firstByte&pnLenBits) + 1 }

// ShortHeaderPacketNumberLen returns the length of the Packet Number field
// encoded in the first byte of a 1-RTT packet once header protection is
// removed (RFC 9000, Section 17.3.1).
func ShortHeaderPacketNumberLen(firstByte byte) int { return int(firstByte&pnLenBits) + 1 }

// ShortHeaderKeyPhase reports the Key Phase bit of a 1-RTT packet's first
// byte once header protection is removed (RFC 9001, Section 6).
func ShortHeaderKeyPhase(firstByte byte) bool { return firstByte&headerKeyPhase != 0 }

// ShortHeaderSpinBit reports the latency spin bit of a 1-RTT packet's first
// byte (RFC 9000, Section 17.4). It is not protected.
func ShortHeaderSpinBit(firstByte byte) bool { return firstByte&headerSpinBit != 0 }

// CheckLongHeaderReservedBits returns a PROTOCOL_VIOLATION *TransportError if
// the reserved bits of an Initial, 0-RTT or Handshake packet's first byte are
// not zero. Call it only after both header and packet protection have been
// removed: discarding the packet earlier would expose the endpoint to attacks
// (RFC 9000, Section 17.2; RFC 9001, Section 9.5).
func CheckLongHeaderReservedBits(firstByte byte) error {
	if firstByte&longReservedBits != 0 {
		return Errorf(ProtocolViolation, 0, "reserved bits set in long header")
	}
	return nil
}

// CheckShortHeaderReservedBits is CheckLongHeaderReservedBits for 1-RTT
// packets (RFC 9000, Section 17.3.1).
func CheckShortHeaderReservedBits(firstByte byte) error {
	if firstByte&shortReservedBits != 0 {
		return Errorf(ProtocolViolation, 0, "reserved bits set in short header")
	}
	return nil
}

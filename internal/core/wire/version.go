package wire

// QUIC versions this package can parse and write beyond the invariants.
const (
	// Version1 is QUIC version 1 (RFC 9000).
	Version1 uint32 = 0x00000001
	// Version2 is QUIC version 2 (RFC 9369, Section 3.1).
	Version2 uint32 = 0x6b3343cf
)

// MaxConnIDLen is the longest connection ID QUIC versions 1 and 2 allow
// (RFC 9000, Section 17.2). Other versions may use up to 255 bytes
// (RFC 8999, Section 5.1).
const MaxConnIDLen = 20

// IsSupportedVersion reports whether v is a version whose packets this
// package parses: QUIC version 1 or 2.
func IsSupportedVersion(v uint32) bool {
	return v == Version1 || v == Version2
}

// IsReservedVersion reports whether v follows the pattern 0x?a?a?a?a that is
// reserved to exercise version negotiation (RFC 9000, Section 15). Such
// versions are never supported.
func IsReservedVersion(v uint32) bool {
	return v&0x0f0f0f0f == 0x0a0a0a0a
}

package protect

import "errors"

// Errors returned when a received packet cannot be unprotected. Neither is a
// connection error: RFC 9001 (Sections 5.4.2 and 5.5) and RFC 9000 (Section
// 12.2) require such packets to be discarded, and only the count of
// authentication failures matters (IntegrityLimit).
var (
	// ErrShortPacket reports a packet too short to hold the header
	// protection sample or the authentication tag.
	ErrShortPacket = errors.New("protect: packet too short to unprotect")
	// ErrAuth reports that the AEAD could not authenticate a packet.
	ErrAuth = errors.New("protect: packet authentication failed")
)

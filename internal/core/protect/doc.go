// Package protect implements QUIC packet protection: the derivation of packet
// and header protection keys from TLS secrets, AEAD sealing and opening of
// packet payloads, header protection, key updates, Retry integrity tags and
// the AEAD usage limits (RFC 9001, Sections 5 and 6; RFC 9369, Section 3.3).
//
// Both QUIC version 1 and QUIC version 2 are supported; they differ only in
// the Initial salt, the HKDF labels and the Retry integrity key. Any version
// other than version 2 is protected as version 1.
//
// Seal, Open, ApplyHeaderProtection and RemoveHeaderProtection work in place
// and do not allocate. They use scratch space inside the key structures, so a
// PacketKey or HeaderKey must not be used by more than one goroutine at a
// time. The keys for the two directions of a connection are independent
// values and may be used concurrently with each other.
package protect

// Package congestion implements QUIC congestion control and pacing
// (RFC 9002, Section 7).
//
// A Controller decides how many bytes may be in flight on one path; the
// connection counts bytes in flight itself and reports each sent,
// acknowledged and lost packet. NewReno is the controller of RFC 9002,
// Section 7.3. A Pacer spreads packets allowed by the window over the round
// trip (RFC 9002, Section 7.7).
//
// Nothing here reads a clock or allocates on the per-packet path: every time
// is passed in by the caller.
package congestion

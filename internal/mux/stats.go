package mux

import "sync/atomic"

// Stats counts what the mux did with the datagrams it read. Every datagram
// read is counted in Received and then in one of the other fields, except
// ReadErrors and WriteErrors, which count failed socket calls. A datagram
// copied to several peer inboxes (RegisterPeer) counts once per inbox in
// Delivered or InboxFull. A reply that fails to be written counts in
// WriteErrors instead of its own field.
type Stats struct {
	Received  uint64 // datagrams read from the socket
	Delivered uint64 // handed to a session inbox
	Accepted  uint64 // queued for Accept

	Refused             uint64 // new Initials answered with CONNECTION_REFUSED
	VersionNegotiations uint64 // answered with Version Negotiation
	StatelessResets     uint64 // answered with a stateless reset
	InboxFull           uint64 // dropped: the session's inbox was full
	Malformed           uint64 // dropped: no valid invariant header
	Oversized           uint64 // dropped: longer than MaxDatagramSize
	Unroutable          uint64 // dropped: unknown connection ID, no reply due
	Held                uint64 // kept for a connection waiting in Accept, see Accept
	Pending             uint64 // dropped: for a connection waiting in Accept, past the held ones
	RateLimited         uint64 // dropped: a reply was due but over the rate limit

	// Address validation (see Config.Retry). Retries counts new Initials
	// answered with a Retry; RetryValidated and TokenValidated those
	// queued for Accept with a valid Retry or NEW_TOKEN token;
	// InvalidTokens the Retry tokens answered with INVALID_TOKEN (not
	// queued) and the NEW_TOKEN tokens ignored.
	Retries, RetryValidated, TokenValidated, InvalidTokens uint64

	ReadErrors  uint64 // failed reads (not counted in Received)
	WriteErrors uint64 // failed writes, replies and WriteTo
}

// counters are the live counters behind Stats.
type counters struct {
	received, delivered, accepted        atomic.Uint64
	refused, versionNegotiations, resets atomic.Uint64
	inboxFull, malformed, oversized      atomic.Uint64
	unroutable, pending, rateLimited     atomic.Uint64
	held                                 atomic.Uint64
	retries, retryValidated              atomic.Uint64
	tokenValidated, invalidTokens        atomic.Uint64
	readErrors, writeErrors              atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received:            c.received.Load(),
		Delivered:           c.delivered.Load(),
		Accepted:            c.accepted.Load(),
		Refused:             c.refused.Load(),
		VersionNegotiations: c.versionNegotiations.Load(),
		StatelessResets:     c.resets.Load(),
		InboxFull:           c.inboxFull.Load(),
		Malformed:           c.malformed.Load(),
		Oversized:           c.oversized.Load(),
		Unroutable:          c.unroutable.Load(),
		Held:                c.held.Load(),
		Pending:             c.pending.Load(),
		RateLimited:         c.rateLimited.Load(),
		Retries:             c.retries.Load(),
		RetryValidated:      c.retryValidated.Load(),
		TokenValidated:      c.tokenValidated.Load(),
		InvalidTokens:       c.invalidTokens.Load(),
		ReadErrors:          c.readErrors.Load(),
		WriteErrors:         c.writeErrors.Load(),
	}
}

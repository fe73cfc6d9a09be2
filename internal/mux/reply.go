package mux

import (
	"crypto/rand"

	"github.com/quince-go/quic/internal/core/wire"
)

// Replies the mux sends on its own, from the reader goroutine. Each takes a
// token from m.limiter; without one the datagram is dropped and counted as
// RateLimited.

// allowReply takes a reply token, counting a refusal.
func (m *Mux) allowReply() bool {
	if m.limiter.allow(m.now()) {
		return true
	}
	m.stats.rateLimited.Add(1)
	return false
}

// sendVersionNegotiation answers a long header of an unsupported version
// with the versions this mux accepts, echoing the connection IDs swapped
// (RFC 9000, Sections 6.1 and 17.2.1). The reply is never larger than the
// datagram that asked for it: that is at least 1200 bytes, and the reply at
// most 7 + 2*255 + 4*len(Versions).
func (m *Mux) sendVersionNegotiation(d *Datagram, h wire.InvariantHeader) {
	if !m.allowReply() {
		return
	}
	b := wire.AppendVersionNegotiation(m.scratch[:0], h.SrcConnID, h.DstConnID, m.cfg.Versions)
	if m.WriteTo(b, d.From) == nil {
		m.stats.versionNegotiations.Add(1)
	}
}

// Stateless reset sizes (RFC 9000, Section 10.3): 5 bytes carrying the
// fixed bits and at least 38 unpredictable bits, then the 16-byte token.
const (
	resetTokenLen = 16
	minResetLen   = 5 + resetTokenLen // 21
	// maxResetLen is the size of resets sent for triggers longer than it:
	// large enough to look like an ordinary short packet (RFC 9000,
	// Section 10.3.3: smaller than 41 bytes may be identifiable).
	maxResetLen = 43
)

// mayReset reports whether d may be answered with a stateless reset.
// RFC 9000, Section 10.3.3: the reset must be
// smaller than its trigger, so that two endpoints cannot loop, and at least
// minResetLen bytes, so the trigger must be longer than that; it must also
// look like a short-header QUIC packet, so the fixed bit must be set
// (Section 17.3.1) — anything else is not QUIC and gets no answer.
func mayReset(d *Datagram) bool {
	return len(d.Data) > minResetLen && d.Data[0]&0x40 != 0
}

// sendStatelessReset answers d, a short header for the unknown connection
// ID connID, with a stateless reset (RFC 9000, Section 10.3): random bytes
// with the first two bits 01, ending in the token of connID, and one byte
// shorter than d up to maxResetLen bytes. An endpoint that answers a packet
// of 43 bytes or less SHOULD send a reset one byte shorter.
func (m *Mux) sendStatelessReset(d *Datagram, connID []byte) {
	n := min(len(d.Data)-1, maxResetLen)
	b := m.scratch[:n]
	rand.Read(b[:n-resetTokenLen])
	b[0] = b[0]&0x3f | 0x40
	m.resetToken(b[n-resetTokenLen:n], connID)
	if m.WriteTo(b, d.From) == nil {
		m.stats.resets.Add(1)
	}
}

// resetToken writes the stateless reset token of connID,
// HMAC-SHA256(key, connID)[:16], to dst (RFC 9000, Section 10.3.2; the
// same derivation as the core's). It does not allocate.
func (m *Mux) resetToken(dst, connID []byte) {
	m.mac.Reset()
	m.mac.Write(connID)
	copy(dst, m.mac.Sum(m.macSum[:0]))
}

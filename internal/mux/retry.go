package mux

import (
	"crypto/rand"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/token"
)

// Address validation of new connections (RFC 9000, Section 8.1). A server
// mux looks at the token of every client's first Initial before it queues
// the Initial for Accept:
//
//   - a Retry token that opens (the client's address, version and the
//     Retry's connection ID match, and it has not expired) validates the
//     address; the Datagram carries the original Destination Connection ID
//     the token holds, for the server's transport parameters;
//   - a Retry token that does not open is answered with
//     CONNECTION_CLOSE(INVALID_TOKEN) and the connection is never created
//     (RFC 9000, Section 8.1.2);
//   - a NEW_TOKEN token that opens validates the address (Section 8.1.3);
//     one that does not is ignored, as is anything else in the Token field;
//   - an Initial whose address is not validated is answered with a Retry,
//     keeping no state, when Config.Retry says so.

// Validation is what the token of a new connection's Initial proved.
type Validation struct {
	// OrigDstConnID is the Destination Connection ID of the client's very
	// first Initial, carried by a valid Retry token; nil without one. When
	// set, the Initial's own Destination Connection ID is the Retry's
	// Source Connection ID (RFC 9000, Section 7.3).
	OrigDstConnID []byte
	// AddressValidated is true when a Retry or NEW_TOKEN token proved the
	// client's address, lifting the anti-amplification limit.
	AddressValidated bool
}

// validate looks at the token of d, a client's first Initial, and reports
// whether the mux should queue it for Accept. When it returns false the
// mux has answered (Retry or INVALID_TOKEN) or dropped d, and the caller
// releases d.
func (m *Mux) validate(d *Datagram, h wire.InvariantHeader) bool {
	lh, err := wire.ParseLongHeader(d.Data)
	if err != nil {
		return false // isNewConnection parsed it
	}
	now := m.now()
	if len(lh.Token) > 0 {
		switch kind, _ := token.KindOf(lh.Token); kind {
		case token.KindRetry:
			odcid, err := m.tokens.OpenRetryToken(lh.Token, d.From, lh.Version, lh.DstConnID, now)
			if err != nil {
				// RFC 9000, Section 8.1.2: a server SHOULD close a
				// connection whose Retry token is invalid with
				// INVALID_TOKEN; creating none, it answers statelessly.
				m.stats.invalidTokens.Add(1)
				if m.allowReply() {
					m.sendClose(d, lh, wire.InvalidToken)
				}
				return false
			}
			d.Validation = Validation{OrigDstConnID: odcid, AddressValidated: true}
			m.stats.retryValidated.Add(1)
			return true
		case token.KindNewToken:
			if m.tokens.OpenToken(lh.Token, d.From.Addr(), lh.Version, now) == nil {
				d.Validation.AddressValidated = true
				m.stats.tokenValidated.Add(1)
				return true
			}
			// RFC 9000, Section 8.1.3: an invalid NEW_TOKEN token is
			// treated as no token at all.
			m.stats.invalidTokens.Add(1)
		}
	}
	if m.cfg.Retry == nil || !m.cfg.Retry() {
		return true
	}
	if m.allowReply() {
		m.sendRetry(d, lh, now)
	}
	return false
}

// sendRetry answers lh, a client's Initial in d, with a Retry packet
// (RFC 9000, Section 17.2.5) that names a new random connection ID and
// carries a token binding the client's address, the version, that ID and
// the original Destination Connection ID. The Retry is smaller than the
// 1,200-byte Initial that triggered it (Section 8.1).
func (m *Mux) sendRetry(d *Datagram, lh wire.LongHeader, now time.Time) {
	var rscid [wire.MaxConnIDLen]byte
	id := rscid[:m.cfg.ConnIDLen]
	rand.Read(id)
	tok := m.tokens.NewRetryToken(d.From, lh.Version, lh.DstConnID, id, now)
	b := wire.AppendRetry(m.scratch[:0], lh.Version, lh.SrcConnID, id, tok)
	tag := protect.RetryIntegrityTag(lh.Version, lh.DstConnID, b)
	b = append(b, tag[:]...)
	if m.WriteTo(b, d.From) == nil {
		m.stats.retries.Add(1)
	}
}

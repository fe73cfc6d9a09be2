package mux

import (
	"errors"
	"fmt"

	"github.com/quince-go/quic/internal/core/wire"
)

// Config configures a Mux. The zero value of every field means the default
// documented on it.
type Config struct {
	// Server makes the mux accept new connections: a client's first Initial
	// of a supported version goes to Accept, and unsupported versions get
	// Version Negotiation. A client-only mux (a Dialer's) drops both.
	Server bool

	// Versions are the QUIC versions accepted for new connections, and the
	// list sent in Version Negotiation packets, preferred first. Each must
	// be wire.Version1 or wire.Version2. Default: wire.Version1 only.
	Versions []uint32

	// ConnIDLen is the length of the connection IDs that sessions issue and
	// Register, which a short header does not carry (RFC 9000,
	// Section 17.3.1). 1 to 20. Default 8, as core.ConnIDLen.
	ConnIDLen int

	// AcceptBacklog is how many new-connection Initials wait for Accept
	// before the mux refuses further ones with CONNECTION_REFUSED.
	// Default 64.
	AcceptBacklog int

	// StatelessResetKey derives the stateless reset token of a connection ID
	// as HMAC-SHA256(key, connID)[:16] (RFC 9000, Section 10.3.2), the same
	// derivation as the core's. Sessions must give the core the same key
	// (see Mux.StatelessResetKey). Default: a random key.
	StatelessResetKey *[32]byte

	// TokenKey seals and opens the address validation tokens of a server
	// mux (internal/token): the Retry tokens it makes, and the NEW_TOKEN
	// tokens that its sessions' cores make with the same key
	// (core.Config.TokenKey; see Mux.TokenKey). Default: a random key.
	TokenKey *[32]byte

	// Retry, on a server, is asked about every client's first Initial
	// whose token did not validate the client's address: if it reports
	// true, the mux answers with a Retry (RFC 9000, Section 8.1.2) and
	// keeps no state. Nil: never. It runs on the reader goroutine and
	// must be quick.
	Retry func() bool

	// MaxDatagramSize is the largest datagram read; a longer one is dropped
	// and counted as Oversized. At least 1200 (RFC 9000, Section 14).
	// Default 1500.
	MaxDatagramSize int

	// ReplyRate and ReplyBurst configure the token bucket that limits the
	// packets the mux sends on its own: Version Negotiation, stateless
	// resets and refusals. ReplyRate is per second. Defaults 1000 and 100.
	ReplyRate  float64
	ReplyBurst int
}

// Defaults.
const (
	DefaultConnIDLen       = 8
	DefaultAcceptBacklog   = 64
	DefaultMaxDatagramSize = 1500
	DefaultReplyRate       = 1000
	DefaultReplyBurst      = 100

	// minInitialDatagram is the smallest datagram that may carry a client's
	// Initial (RFC 9000, Section 14.1).
	minInitialDatagram = 1200
	// minClientInitialConnIDLen: a client's first Destination Connection ID
	// is at least 8 bytes (RFC 9000, Section 7.2).
	minClientInitialConnIDLen = 8
)

// errConfig reports an invalid Config.
var errConfig = errors.New("mux: invalid config")

// withDefaults returns a copy of c with defaults filled in, or an error
// matching errConfig.
func (c Config) withDefaults() (Config, error) {
	if len(c.Versions) == 0 {
		c.Versions = []uint32{wire.Version1}
	} else {
		c.Versions = append([]uint32(nil), c.Versions...)
	}
	for _, v := range c.Versions {
		if !wire.IsSupportedVersion(v) {
			return c, fmt.Errorf("%w: unsupported version 0x%08x", errConfig, v)
		}
	}
	if c.ConnIDLen == 0 {
		c.ConnIDLen = DefaultConnIDLen
	}
	if c.ConnIDLen < 1 || c.ConnIDLen > wire.MaxConnIDLen {
		return c, fmt.Errorf("%w: ConnIDLen %d", errConfig, c.ConnIDLen)
	}
	if c.AcceptBacklog == 0 {
		c.AcceptBacklog = DefaultAcceptBacklog
	}
	if c.AcceptBacklog < 0 {
		return c, fmt.Errorf("%w: AcceptBacklog %d", errConfig, c.AcceptBacklog)
	}
	if c.MaxDatagramSize == 0 {
		c.MaxDatagramSize = DefaultMaxDatagramSize
	}
	if c.MaxDatagramSize < minInitialDatagram || c.MaxDatagramSize > 65527 {
		return c, fmt.Errorf("%w: MaxDatagramSize %d", errConfig, c.MaxDatagramSize)
	}
	if c.ReplyRate == 0 {
		c.ReplyRate = DefaultReplyRate
	}
	if c.ReplyBurst == 0 {
		c.ReplyBurst = DefaultReplyBurst
	}
	if c.ReplyRate < 0 || c.ReplyBurst < 0 {
		return c, fmt.Errorf("%w: negative ReplyRate or ReplyBurst", errConfig)
	}
	return c, nil
}

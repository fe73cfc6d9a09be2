package core

import (
	"crypto/tls"
	"net/netip"
	"time"
)

// Config holds the settings of one connection. The zero value of every field
// means the default documented on it.
type Config struct {
	// TLS is the TLS configuration. It must not be nil; NextProtos must list
	// at least one protocol (RFC 9001, Section 8.1). A client must set
	// ServerName or InsecureSkipVerify; a server must have certificates.
	//
	// Resumption (RFC 9001, Section 4.5): a client keeps sessions in
	// TLS.ClientSessionCache. A server's connections use TLS itself when
	// its MinVersion is tls.VersionTLS13, and so share its automatic
	// session ticket keys; otherwise each uses a copy, and tickets work
	// across connections only with keys set by TLS.SetSessionTicketKeys.
	TLS *tls.Config

	// Versions are the QUIC versions this endpoint speaks, preferred first.
	// Default: QUIC v1 only.
	Versions []uint32

	// MaxIdleTimeout closes the connection after this long without activity
	// (RFC 9000, Section 10.1). Default 30s.
	MaxIdleTimeout time.Duration

	// InitialMaxData is the connection receive window advertised at start;
	// MaxData is how far automatic tuning may grow it. Defaults 1 MiB and 16 MiB.
	InitialMaxData uint64
	MaxData        uint64

	// InitialMaxStreamData is each stream's receive window at start;
	// MaxStreamData is how far automatic tuning may grow it.
	// Defaults 512 KiB and 8 MiB.
	InitialMaxStreamData uint64
	MaxStreamData        uint64

	// MaxBidiStreams and MaxUniStreams are how many streams of each kind the
	// peer may have open at once. Defaults 100 and 100.
	MaxBidiStreams int64
	MaxUniStreams  int64

	// MaxStreamWriteBuffer bounds how many written bytes a stream holds before
	// they are acknowledged. Writes beyond it return less than asked for.
	// Default 1 MiB.
	MaxStreamWriteBuffer int

	// MaxAckDelay is how long this endpoint may delay an ACK
	// (RFC 9000, Section 13.2.1). Default 25ms.
	MaxAckDelay time.Duration

	// MaxDatagramSize is the largest UDP payload this endpoint sends once
	// path MTU discovery has confirmed the path carries it; every
	// connection starts at 1200 (RFC 9000, Section 14). Default 1452;
	// 1200 turns path MTU discovery off.
	MaxDatagramSize int

	// Congestion selects the congestion controller. Default CUBIC.
	Congestion CongestionAlgorithm

	// KeyUpdateInterval, if not zero, starts a key update after this many
	// packets sealed with one key. The AEAD confidentiality limit
	// (RFC 9001, Section 6.6) always applies. Mainly for tests.
	KeyUpdateInterval uint64

	// StatelessResetKey derives the stateless reset tokens of the connection
	// IDs this endpoint issues (RFC 9000, Section 10.3.2). Endpoints that share
	// a key can reset each other's connections after a restart. Default: random
	// per connection.
	StatelessResetKey *[32]byte

	// TokenKey, on a server, seals the address validation token it gives
	// the client in a NEW_TOKEN frame once the handshake is confirmed
	// (RFC 9000, Section 8.1.3), for the client's next connection. The
	// mux opens such tokens with internal/token and the same key. Nil: no
	// NEW_TOKEN is sent.
	TokenKey *[32]byte

	// DisableActiveMigration, on a server, sends disable_active_migration
	// (RFC 9000, Section 18.2): the client must not move to a new local
	// address. Probes from new addresses then go unanswered, but the
	// server still follows a client whose non-probing packets come from a
	// new address, after validating it, since NAT rebinding looks the same
	// (RFC 9000, Section 9).
	DisableActiveMigration bool

	// PreferredIPv4 and PreferredIPv6, on a server, are offered to the
	// client in preferred_address (RFC 9000, Section 9.6), with a
	// connection ID of its own (EventConnIDIssued). Zero: none. The
	// session layer must accept datagrams for the connection there.
	PreferredIPv4, PreferredIPv6 netip.AddrPort

	// MaxDatagramFrameSize is advertised as max_datagram_frame_size: the
	// largest DATAGRAM frame this endpoint accepts (RFC 9221, Section 3).
	// 0, the default, refuses datagrams; 65535 accepts any that fits a
	// packet.
	MaxDatagramFrameSize uint64

	// Allow0RTT enables 0-RTT (RFC 9001, Section 4.6). On a client, a
	// connection that resumes a session whose ticket allows early data
	// may send stream data before the handshake completes
	// (EarlyDataAllowed); sessions are kept in TLS.ClientSessionCache. On
	// a server, the tickets it issues allow early data and it accepts
	// 0-RTT from clients that use them. 0-RTT data can be replayed by an
	// attacker: enable it only for idempotent early requests (RFC 9001,
	// Section 9.2; see zerortt.go).
	Allow0RTT bool

	// Tracer, if not nil, receives the connection's events (trace.go).
	Tracer Tracer
}

// CongestionAlgorithm names a congestion controller.
type CongestionAlgorithm uint8

const (
	// CongestionCubic is CUBIC (RFC 9438), the default.
	CongestionCubic CongestionAlgorithm = iota
	// CongestionNewReno is NewReno as RFC 9002, Section 7 describes it.
	CongestionNewReno
)

const (
	defaultMaxIdleTimeout       = 30 * time.Second
	defaultInitialMaxData       = 1 << 20
	defaultMaxData              = 16 << 20
	defaultInitialMaxStreamData = 512 << 10
	defaultMaxStreamData        = 8 << 20
	defaultMaxStreams           = 100
	defaultMaxStreamWriteBuffer = 1 << 20
	defaultMaxAckDelay          = 25 * time.Millisecond
	minDatagramSize             = 1200
	defaultMaxDatagramSize      = 1452

	// maxReceiveDatagram is the largest UDP payload this endpoint accepts,
	// advertised as max_udp_payload_size (RFC 9000, Section 18.2); the mux
	// reads datagrams into buffers of this size.
	maxReceiveDatagram = 1500

	// activeConnIDLimit is how many connection IDs of the peer this endpoint
	// stores (RFC 9000, Section 18.2, active_connection_id_limit).
	activeConnIDLimit = 4

	// ackDelayExponent is the exponent this endpoint uses to encode ACK delays.
	ackDelayExponent = 3
)

// withDefaults returns a copy of c with every zero field set to its default.
func (c *Config) withDefaults() Config {
	d := *c
	if len(d.Versions) == 0 {
		d.Versions = []uint32{0x00000001}
	}
	if d.MaxIdleTimeout == 0 {
		d.MaxIdleTimeout = defaultMaxIdleTimeout
	}
	if d.InitialMaxData == 0 {
		d.InitialMaxData = defaultInitialMaxData
	}
	if d.MaxData < d.InitialMaxData {
		d.MaxData = max(defaultMaxData, d.InitialMaxData)
	}
	if d.InitialMaxStreamData == 0 {
		d.InitialMaxStreamData = defaultInitialMaxStreamData
	}
	if d.MaxStreamData < d.InitialMaxStreamData {
		d.MaxStreamData = max(defaultMaxStreamData, d.InitialMaxStreamData)
	}
	if d.MaxBidiStreams == 0 {
		d.MaxBidiStreams = defaultMaxStreams
	}
	if d.MaxUniStreams == 0 {
		d.MaxUniStreams = defaultMaxStreams
	}
	if d.MaxStreamWriteBuffer == 0 {
		d.MaxStreamWriteBuffer = defaultMaxStreamWriteBuffer
	}
	if d.MaxAckDelay == 0 {
		d.MaxAckDelay = defaultMaxAckDelay
	}
	switch {
	case d.MaxDatagramSize == 0:
		d.MaxDatagramSize = defaultMaxDatagramSize
	case d.MaxDatagramSize < minDatagramSize:
		d.MaxDatagramSize = minDatagramSize
	case d.MaxDatagramSize > maxReceiveDatagram:
		d.MaxDatagramSize = maxReceiveDatagram
	}
	return d
}

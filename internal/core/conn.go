// Package core is quince's sans-I/O QUIC connection (RFC 9000, RFC 9001,
// RFC 9002). A Conn owns no goroutine, socket or clock: the caller passes in
// received datagrams and the current time, and takes out datagrams to send,
// the next deadline and stream data. One goroutine at a time may use a Conn.
//
// Where things happen:
//   - receive.go: a datagram is split, unprotected and its frames handled;
//   - frames.go: what each received frame does;
//   - send.go: the next datagram is packed, protected and padded;
//   - loss.go: acknowledgements, loss detection and the PTO (RFC 9002);
//   - handshake.go: crypto/tls and the encryption levels (RFC 9001);
//   - streams.go, stream.go: streams and flow control (RFC 9000, Sections 2-4);
//   - connid.go: connection IDs (RFC 9000, Section 5.1);
//   - close.go: idle timeout, closing and draining (RFC 9000, Section 10);
//   - version.go: QUIC versions 1 and 2 and version negotiation (RFC 9368,
//     RFC 9369);
//   - retry.go: Retry and address validation tokens (RFC 9000, Section 8.1);
//   - datagram.go: unreliable datagrams (RFC 9221);
//   - path.go, preferred.go: path validation, connection migration and the
//     server's preferred address (RFC 9000, Sections 8.2 and 9);
//   - zerortt.go: session resumption and 0-RTT (RFC 9001, Sections 4.5
//     and 4.6);
//   - timer.go: Timeout and OnTimeout.
package core

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core/congestion"
	"github.com/quince-go/quic/internal/core/recovery"
	"github.com/quince-go/quic/internal/core/wire"
)

// Conn is one QUIC connection, client or server.
type Conn struct {
	cfg      Config
	isClient bool
	version  uint32
	peerAddr netip.AddrPort

	tls *tls.QUICConn

	// spaces are the packet number spaces Initial, Handshake and
	// Application (RFC 9000, Section 12.3).
	spaces [numSpaces]space

	// keyUpdate holds the 1-RTT key phase state (RFC 9001, Section 6).
	keys1RTT appKeys

	connIDs connIDState

	// early is the resumption and 0-RTT state (zerortt.go).
	early earlyState

	// Handshake state.
	handshakeComplete  bool // TLS says the handshake is done
	handshakeConfirmed bool // RFC 9001, Section 4.1.2
	handshakeDoneToAck bool // server: HANDSHAKE_DONE is owed until acknowledged
	handshakeDoneSent  bool // server: HANDSHAKE_DONE is in flight
	localParams        wire.TransportParameters
	peerParams         *wire.TransportParameters
	origDstConnID      []byte // the client's first destination connection ID
	retrySrcConnID     []byte

	// Version negotiation (RFC 9368, version.go) and Retry (retry.go).
	vn versionState
	// initialDstConnID is the destination connection ID of the client's
	// Initial packets, from which Initial keys come (RFC 9001, Section
	// 5.2): the original one, or the Retry's source connection ID.
	initialDstConnID []byte
	// token is the Token field of a client's Initial packets: from
	// ClientOptions.Token or from a Retry (RFC 9000, Section 8.1).
	token []byte
	// retried: a client processed a Retry (RFC 9000, Section 17.2.5.2).
	retried bool
	// newToken is the server's NEW_TOKEN token (RFC 9000, Section 8.1.3);
	// newTokenOwed says it still has to be sent.
	newToken     []byte
	newTokenOwed bool
	// tokensSeen counts the client's NEW_TOKEN frames, of which only the
	// first few are surfaced as events.
	tokensSeen int
	// rejectToken: a server closes with INVALID_TOKEN on the first Initial.
	rejectToken bool

	// Anti-amplification (RFC 9000, Section 8.1): until the peer's address
	// is validated, a server sends at most three times what it received.
	addressValidated bool
	ampReceived      uint64
	ampSent          uint64

	// Loss recovery and congestion control (RFC 9002).
	rtt           recovery.RTT
	cc            congestion.Controller
	pacer         congestion.Pacer
	pacingUntil   time.Time // the pacer holds data back until then
	bytesInFlight int
	ptoCount      int
	lossTimer     time.Time // when the loss detection timer fires; zero if unset
	probesToSend  int       // ack-eliciting probe packets owed after a PTO
	probeSpace    *space    // the space the probes are for
	probeSplit    bool      // the two probes carry different parts of a flight
	maxDatagram   int       // largest datagram this endpoint sends now
	pmtu          pmtuState // path MTU discovery

	// Flow control and streams (RFC 9000, Sections 2-4).
	streams streamSet

	// Idle timeout and closing (RFC 9000, Section 10).
	idleTimeout   time.Duration
	lastActivity  time.Time // last packet received, or first ack-eliciting sent since
	sentSinceRecv bool      // an ack-eliciting packet was sent since the last receive
	closing       closeState

	events eventQueue

	// Datagrams (RFC 9221, datagram.go) to send and received.
	datagramsOut, datagramsIn datagramQueue

	// pathResponse answers a PATH_CHALLENGE (RFC 9000, Section 8.2.2).
	pathResponse     [8]byte
	pathResponseOwed bool
	// path is path validation and migration (path.go); peerPreferred is
	// the server's preferred address (preferred.go).
	path          pathState
	peerPreferred *wire.PreferredAddress

	// clock is the time of the latest call into the Conn.
	clock time.Time

	// stats are counters for Stats.
	stats Stats
	trace traceState // what the Tracer was last told (trace.go)

	// scratch buffers reused by the packer and the frame parser.
	parser   wire.FrameParser
	ackBuf   []wire.AckRange
	out      outFrames
	frameBuf []byte
}

// Role says which side of a connection an endpoint is.
type Role uint8

const (
	RoleClient Role = iota + 1
	RoleServer
)

// ClientOptions are what a client connection needs beyond its Config.
type ClientOptions struct {
	// PeerAddr is where the server is.
	PeerAddr netip.AddrPort
	// DstConnID is the first destination connection ID, at least 8 bytes
	// (RFC 9000, Section 7.2). Random when nil.
	DstConnID []byte
	// SrcConnID is the connection ID the server sends to; 0 to 20 bytes.
	// 8 random bytes when nil.
	SrcConnID []byte
	// Token goes in the Token field of the client's Initial packets: one
	// the server gave in a NEW_TOKEN frame on an earlier connection of the
	// same QUIC version (RFC 9000, Section 8.1.3; RFC 9369, Section 5), so
	// that the server can skip the Retry. It is dropped if Version
	// Negotiation changes the version.
	Token []byte
}

// ServerOptions describe the client's first Initial that created a server
// connection.
type ServerOptions struct {
	// PeerAddr is the client's address.
	PeerAddr netip.AddrPort
	// OrigDstConnID is the destination connection ID of the client's first
	// Initial (before any Retry); Initial keys come from it unless there
	// was a Retry.
	OrigDstConnID []byte
	// SrcConnID is this server's connection ID; 8 random bytes when nil.
	SrcConnID []byte
	// RetrySrcConnID is the source connection ID of the Retry this server
	// sent, if it sent one (build it with AppendRetry): the client's
	// Initials then go to it, their keys come from it, and it is echoed in
	// retry_source_connection_id (RFC 9000, Section 7.3). The mux must
	// route Initials with this destination connection ID to the Conn.
	RetrySrcConnID []byte
	// AddressValidated says the client's address is already validated, for
	// instance by a Retry token, lifting the anti-amplification limit.
	AddressValidated bool
	// Version is the QUIC version of the client's first Initial. Zero: the
	// version of the first Initial passed to Receive. The server may then
	// upgrade the connection to a compatible version it prefers
	// (RFC 9368, Section 2.3).
	Version uint32
	// InvalidToken says the client's Initial carried a Retry token that
	// failed validation: the connection is closed at once with
	// INVALID_TOKEN, as RFC 9000, Section 8.1.2 recommends. (An invalid
	// NEW_TOKEN token only means the address is not validated; Section
	// 8.1.3.)
	InvalidToken bool
}

// ConnIDLen is the length of the connection IDs quince issues. The mux reads
// short headers with it.
const ConnIDLen = 8

// NewClient starts a client connection. The first Send returns its Initial.
func NewClient(cfg *Config, opts ClientOptions, now time.Time) (*Conn, error) {
	if cfg == nil || cfg.TLS == nil {
		return nil, errors.New("quic: client config needs a TLS config")
	}
	if err := checkVersions(cfg.Versions); err != nil {
		return nil, err
	}
	if len(cfg.TLS.NextProtos) == 0 {
		return nil, errors.New("quic: TLS config must list application protocols (NextProtos)")
	}
	dcid := opts.DstConnID
	if dcid == nil {
		dcid = randomBytes(ConnIDLen)
	} else if len(dcid) < 8 || len(dcid) > wire.MaxConnIDLen {
		return nil, fmt.Errorf("quic: client destination connection ID is %d bytes; need 8 to 20", len(dcid))
	}
	scid := opts.SrcConnID
	if scid == nil {
		scid = randomBytes(ConnIDLen)
	} else if len(scid) > wire.MaxConnIDLen {
		return nil, fmt.Errorf("quic: source connection ID is %d bytes; at most 20", len(scid))
	}
	c := new(Conn)
	c.init(cfg, true, opts.PeerAddr, now)
	c.startClient(clone(scid), clone(dcid), clone(opts.Token))
	if err := c.startTLS(); err != nil {
		return nil, err
	}
	return c, nil
}

// startClient sets up a client's connection IDs and token; a client
// restarting after Version Negotiation (version.go) does it again.
func (c *Conn) startClient(scid, dcid, token []byte) {
	c.origDstConnID = dcid
	c.initialDstConnID = dcid
	c.token = token
	c.addressValidated = true // a client never limits itself
	c.connIDs.init(c, scid, dcid)
	c.vn.initClient(c.version)
}

// NewServer creates the server side of a connection from a client's first
// Initial; the caller then passes that datagram to Receive.
func NewServer(cfg *Config, opts ServerOptions, now time.Time) (*Conn, error) {
	if cfg == nil || cfg.TLS == nil {
		return nil, errors.New("quic: server config needs a TLS config")
	}
	if err := checkVersions(cfg.Versions); err != nil {
		return nil, err
	}
	if len(opts.OrigDstConnID) < 8 && opts.RetrySrcConnID == nil {
		// RFC 9000, Section 7.2: a client's first DCID is at least 8 bytes.
		return nil, fmt.Errorf("quic: client's destination connection ID is %d bytes; need at least 8", len(opts.OrigDstConnID))
	}
	scid := opts.SrcConnID
	if scid == nil {
		scid = randomBytes(ConnIDLen)
	}
	if opts.Version != 0 && !wire.IsSupportedVersion(opts.Version) {
		return nil, fmt.Errorf("quic: unsupported QUIC version 0x%08x", opts.Version)
	}
	c := new(Conn)
	c.init(cfg, false, opts.PeerAddr, now)
	c.origDstConnID = clone(opts.OrigDstConnID)
	c.retrySrcConnID = clone(opts.RetrySrcConnID)
	// RFC 9000, Section 17.2.5.2: after a Retry, the client's Initials go
	// to the Retry's source connection ID, and their keys come from it.
	c.initialDstConnID = c.origDstConnID
	if c.retrySrcConnID != nil {
		c.initialDstConnID = c.retrySrcConnID
	}
	c.addressValidated = opts.AddressValidated
	c.rejectToken = opts.InvalidToken
	if opts.Version != 0 {
		c.version = opts.Version
	}
	c.vn.initServer(c.version, opts.Version != 0)
	// The peer's connection ID is learned from its first Initial.
	c.connIDs.init(c, clone(scid), nil)
	if err := c.startTLS(); err != nil {
		return nil, err
	}
	return c, nil
}

// init sets up a zero Conn.
func (c *Conn) init(cfg *Config, isClient bool, peer netip.AddrPort, now time.Time) {
	c.cfg = cfg.withDefaults()
	c.isClient = isClient
	c.peerAddr = peer
	c.lastActivity = now
	c.version = c.cfg.Versions[0]
	c.maxDatagram = minDatagramSize
	c.rtt = recovery.NewRTT(0)
	c.resetCongestion()
	for i := range c.spaces {
		c.spaces[i].init(spaceID(i))
	}
	c.idleTimeout = c.cfg.MaxIdleTimeout
	c.streams.init(c)
}

// resetCongestion starts congestion control and pacing afresh.
func (c *Conn) resetCongestion() {
	switch c.cfg.Congestion {
	case CongestionNewReno:
		c.cc = congestion.NewNewReno(c.maxDatagram)
	default:
		c.cc = congestion.NewCubic(c.maxDatagram)
	}
	c.pacer = congestion.NewPacer(c.maxDatagram)
	c.pacingUntil = time.Time{}
}

// IsClient reports whether this is the client side.
func (c *Conn) IsClient() bool { return c.isClient }

// Version is the QUIC version in use.
func (c *Conn) Version() uint32 { return c.version }

// Retried reports whether a client processed a Retry from the server
// (RFC 9000, Section 17.2.5), or a server was created after one.
func (c *Conn) Retried() bool { return c.retried || !c.isClient && c.retrySrcConnID != nil }

// PeerAddr is the address datagrams are sent to.
func (c *Conn) PeerAddr() netip.AddrPort { return c.peerAddr }

// HandshakeComplete reports whether the TLS handshake has completed
// (RFC 9001, Section 4.1.1).
func (c *Conn) HandshakeComplete() bool { return c.handshakeComplete }

// HandshakeConfirmed reports whether the handshake is confirmed
// (RFC 9001, Section 4.1.2).
func (c *Conn) HandshakeConfirmed() bool { return c.handshakeConfirmed }

// TLSState returns the TLS connection state: negotiated protocol, cipher
// suite, peer certificates.
func (c *Conn) TLSState() tls.ConnectionState { return c.tls.ConnectionState() }

// ALPN is the negotiated application protocol, empty before the handshake
// completes.
func (c *Conn) ALPN() string { return c.tls.ConnectionState().NegotiatedProtocol }

// PeerParams returns the peer's transport parameters, or nil before they
// arrive. The caller must not modify them.
func (c *Conn) PeerParams() *wire.TransportParameters { return c.peerParams }

// RTT returns the connection's RTT estimate (RFC 9002, Section 5).
func (c *Conn) RTT() recovery.RTT { return c.rtt }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

package quic

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
)

// QUIC versions for Config.Versions.
const (
	Version1 uint32 = wire.Version1 // RFC 9000
	Version2 uint32 = wire.Version2 // RFC 9369
)

// Config configures sessions. A nil *Config and the zero value of every
// field mean the default documented on the field. A Config may be shared by
// many Listeners and Dialers and must not be modified after use.
type Config struct {
	// Versions are the QUIC versions spoken, preferred first.
	// Default: Version1 only.
	Versions []uint32

	// MaxIdleTimeout closes a session after this long without activity
	// (RFC 9000, Section 10.1). Default 30s.
	MaxIdleTimeout time.Duration

	// InitialConnectionWindow is the connection receive window at start;
	// MaxConnectionWindow is how far automatic tuning may grow it.
	// Defaults 1 MiB and 16 MiB.
	InitialConnectionWindow uint64
	MaxConnectionWindow     uint64

	// InitialStreamWindow is each stream's receive window at start;
	// MaxStreamWindow is how far automatic tuning may grow it.
	// Defaults 512 KiB and 8 MiB.
	InitialStreamWindow uint64
	MaxStreamWindow     uint64

	// MaxIncomingStreams and MaxIncomingUniStreams are how many
	// bidirectional and unidirectional streams the peer may have open at
	// once. Defaults 100 and 100.
	MaxIncomingStreams    int64
	MaxIncomingUniStreams int64

	// MaxStreamWriteBuffer is how many written but unacknowledged bytes a
	// stream holds; Stream.Write blocks beyond it. Default 1 MiB.
	MaxStreamWriteBuffer int

	// AcceptBacklog is, for a Listener, how many new connections may be
	// handshaking or waiting for Accept; past it, new clients are refused
	// with CONNECTION_REFUSED. Default 64.
	AcceptBacklog int

	// HandshakeTimeout bounds the handshake of every session: one that has
	// not completed it this long after it started is closed (the peer is
	// sent CONNECTION_CLOSE with NO_ERROR) and ends with
	// ErrHandshakeTimeout, which frees its accept slot on a Listener and
	// fails its Dial. Default 10s.
	HandshakeTimeout time.Duration

	// RequireRetry makes a Listener validate every new client's address
	// with a Retry (RFC 9000, Section 8.1.2) before it creates any state,
	// at the cost of a round trip, unless the client presents a token from
	// an earlier session's NEW_TOKEN frame. Without it, a Listener sends
	// Retry only while more than half of AcceptBacklog is taken by
	// handshakes from unvalidated addresses. Retry tokens are sealed with
	// AES-256-GCM, bound to the client's address, version and connection
	// IDs, and expire after 10 seconds; NEW_TOKEN tokens after 24 hours.
	RequireRetry bool

	// TokenStore, on a client, keeps the tokens servers send in NEW_TOKEN
	// frames (RFC 9000, Section 8.1.3), and gives one to the next session
	// to the same server, which can then skip the Retry. Nil: tokens are
	// not kept. See NewTokenStore.
	TokenStore TokenStore

	// EnableDatagrams advertises max_datagram_frame_size (RFC 9221): the
	// peer may then send unreliable datagrams, which ReceiveDatagram
	// returns. Sending them needs only the peer's consent.
	EnableDatagrams bool

	// KeepAlivePeriod, if not zero, makes a session send a PING after this
	// long without receiving anything, so that an idle session outlives
	// the idle timeout and NAT bindings stay open. It is capped at half
	// the idle timeout both sides agreed on (RFC 9000, Section 10.1.2).
	KeepAlivePeriod time.Duration

	// Allow0RTT enables 0-RTT (RFC 9001, Section 4.6). A client session
	// that resumes a TLS session (tls.Config.ClientSessionCache) may then
	// send data before its handshake completes (DialEarly); a Listener
	// issues session tickets that allow early data and accepts it.
	//
	// 0-RTT data can be replayed: an attacker who captured it can send it
	// again, to this or another server sharing the ticket keys, and the
	// server would process it twice (RFC 9001, Section 9.2). Enable it
	// only for application protocols whose early requests are idempotent.
	// Data the server rejects is sent again in 1-RTT without the caller
	// doing anything.
	Allow0RTT bool

	// DisableActiveMigration, on a Listener, advertises
	// disable_active_migration (RFC 9000, Section 18.2): clients must not
	// move to a new local address, and their Session.Migrate returns
	// ErrMigrationDisabled. The server still follows a client whose
	// address changes under a NAT rebinding (RFC 9000, Section 9).
	DisableActiveMigration bool

	// PreferredAddress, on a Listener, is a second UDP address it listens
	// on and offers to clients in the preferred_address transport
	// parameter (RFC 9000, Section 9.6). Its IP must be specified (not
	// 0.0.0.0 or ::); port 0 picks a free port, which
	// Listener.PreferredAddr reports. Clients of its address family may
	// move there once their handshake is confirmed; a session then
	// receives at both addresses and sends from the one where the latest
	// datagram from the client arrived. Default: none.
	PreferredAddress netip.AddrPort

	// DisablePreferredAddress, on a client, keeps every session on the
	// server address it dialed even if the server offers a preferred
	// address. Otherwise a client session validates the server's
	// preferred address of its address family once the handshake is
	// confirmed and, if it answers, sends there from then on (RFC 9000,
	// Section 9.6) from the same local socket; RemoteAddr follows.
	DisablePreferredAddress bool

	// QlogDir, if not empty, names a directory (created if need be) where
	// each session writes a qlog trace of its connection: a JSON-SEQ file
	// <odcid>_client.sqlog or <odcid>_server.sqlog, odcid being the
	// connection's original destination connection ID in hex
	// (draft-ietf-quic-qlog-main-schema, with the QUIC events of
	// draft-ietf-quic-qlog-quic-events): packets sent, received, dropped
	// and lost with their frames, recovery metrics, key updates,
	// connection states and transport parameters. The files load in qvis.
	// Programs may set it from the QLOGDIR environment variable, as the
	// examples do. Tracing costs time on every packet; without it, the
	// datapath pays nothing.
	QlogDir string

	// Logger, if not nil, receives a session's notable events: handshake
	// complete, session closed (with its error), path changes and
	// migrations at Info level, key updates at Debug level. Each record
	// has the attributes "conn_id", the connection's original destination
	// connection ID in hex as in QlogDir's file names, and "role", client
	// or server. Nothing is formatted for a level the Logger does not
	// enable.
	Logger *slog.Logger
}

const (
	defaultAcceptBacklog    = 64
	defaultHandshakeTimeout = 10 * time.Second
	defaultMaxIdleTimeout   = 30 * time.Second // the core's default
)

var errNoTLSConfig = errors.New("quic: a TLS config is required")

// coreConfig returns the core's configuration for c and tlsConf.
func (c *Config) coreConfig(tlsConf *tls.Config, resetKey *[32]byte) *core.Config {
	if c == nil {
		c = &Config{}
	}
	return &core.Config{
		TLS:                    tlsConf,
		Versions:               c.Versions,
		MaxIdleTimeout:         c.MaxIdleTimeout,
		InitialMaxData:         c.InitialConnectionWindow,
		MaxData:                c.MaxConnectionWindow,
		InitialMaxStreamData:   c.InitialStreamWindow,
		MaxStreamData:          c.MaxStreamWindow,
		MaxBidiStreams:         c.MaxIncomingStreams,
		MaxUniStreams:          c.MaxIncomingUniStreams,
		MaxStreamWriteBuffer:   c.MaxStreamWriteBuffer,
		StatelessResetKey:      resetKey,
		MaxDatagramFrameSize:   c.maxDatagramFrameSize(),
		Allow0RTT:              c.Allow0RTT,
		DisableActiveMigration: c.DisableActiveMigration,
	}
}

// maxDatagramFrameSize is what EnableDatagrams advertises: any DATAGRAM
// frame that fits in a packet.
func (c *Config) maxDatagramFrameSize() uint64 {
	if !c.EnableDatagrams {
		return 0
	}
	return 65535
}

func (c *Config) tokenStore() TokenStore {
	if c == nil {
		return nil
	}
	return c.TokenStore
}

func (c *Config) keepAlivePeriod() time.Duration {
	if c == nil || c.KeepAlivePeriod < 0 {
		return 0
	}
	return c.KeepAlivePeriod
}

func (c *Config) maxIdleTimeout() time.Duration {
	if c == nil || c.MaxIdleTimeout <= 0 {
		return defaultMaxIdleTimeout
	}
	return c.MaxIdleTimeout
}

func (c *Config) preferredAddress() netip.AddrPort {
	if c == nil {
		return netip.AddrPort{}
	}
	return c.PreferredAddress
}

func (c *Config) usePreferredAddress() bool { return c == nil || !c.DisablePreferredAddress }

func (c *Config) requireRetry() bool { return c != nil && c.RequireRetry }

func (c *Config) versions() []uint32 {
	if c == nil {
		return nil
	}
	return c.Versions
}

func (c *Config) acceptBacklog() int {
	if c == nil || c.AcceptBacklog <= 0 {
		return defaultAcceptBacklog
	}
	return c.AcceptBacklog
}

func (c *Config) handshakeTimeout() time.Duration {
	if c == nil || c.HandshakeTimeout <= 0 {
		return defaultHandshakeTimeout
	}
	return c.HandshakeTimeout
}

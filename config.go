package quic

import (
	"crypto/tls"
	"errors"
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
}

const (
	defaultAcceptBacklog    = 64
	defaultHandshakeTimeout = 10 * time.Second
)

var errNoTLSConfig = errors.New("quic: a TLS config is required")

// coreConfig returns the core's configuration for c and tlsConf.
func (c *Config) coreConfig(tlsConf *tls.Config, resetKey *[32]byte) *core.Config {
	if c == nil {
		c = &Config{}
	}
	return &core.Config{
		TLS:                  tlsConf,
		Versions:             c.Versions,
		MaxIdleTimeout:       c.MaxIdleTimeout,
		InitialMaxData:       c.InitialConnectionWindow,
		MaxData:              c.MaxConnectionWindow,
		InitialMaxStreamData: c.InitialStreamWindow,
		MaxStreamData:        c.MaxStreamWindow,
		MaxBidiStreams:       c.MaxIncomingStreams,
		MaxUniStreams:        c.MaxIncomingUniStreams,
		MaxStreamWriteBuffer: c.MaxStreamWriteBuffer,
		StatelessResetKey:    resetKey,
	}
}

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

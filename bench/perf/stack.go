package perf

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// Stack names.
const (
	Quince = "quince"
	QuicGo = "quic-go"
)

// Stacks lists the stacks this package drives.
var Stacks = []string{Quince, QuicGo}

// IdleTimeout is the idle timeout both stacks are configured with: long
// enough to hold thousands of idle sessions while more are opened.
const IdleTimeout = 90 * time.Second

// Server is a perf server on one stack.
type Server interface {
	// Addr is the UDP address the server listens on.
	Addr() *net.UDPAddr
	// Close stops the server and closes its sessions.
	Close() error
}

// Client dials sessions from one UDP socket.
type Client interface {
	Dial(ctx context.Context, addr string) (Conn, error)
	// Close closes the client's socket; its sessions must be closed first.
	Close() error
}

// Conn is a client session.
type Conn interface {
	OpenStream(ctx context.Context) (Stream, error)
	// PacketCounts reports the packets this endpoint sent and received, and
	// whether the stack counts them.
	PacketCounts() (sent, received uint64, ok bool)
	Close() error
}

// StartServer starts a perf server of stack on addr.
func StartServer(stack, addr string, tlsConf *tls.Config) (Server, error) {
	tlsConf = withALPN(tlsConf)
	switch stack {
	case Quince:
		return startQuinceServer(addr, tlsConf)
	case QuicGo:
		return startQuicGoServer(addr, tlsConf)
	}
	return nil, fmt.Errorf("perf: unknown stack %q", stack)
}

// NewClient makes a perf client of stack.
func NewClient(stack string, tlsConf *tls.Config) (Client, error) {
	tlsConf = withALPN(tlsConf)
	switch stack {
	case Quince:
		return newQuinceClient(tlsConf), nil
	case QuicGo:
		return newQuicGoClient(tlsConf)
	}
	return nil, fmt.Errorf("perf: unknown stack %q", stack)
}

func withALPN(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.NextProtos = []string{ALPN}
	return c
}

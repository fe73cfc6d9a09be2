package core

import (
	"errors"
	"fmt"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// Connection termination (RFC 9000, Section 10).

type connState uint8

const (
	stateOpen     connState = iota
	stateClosing            // CONNECTION_CLOSE sent; answer packets with it (Section 10.2.1)
	stateDraining           // the peer closed; send nothing (Section 10.2.2)
	stateClosed             // done; nothing more to send or receive
)

type closeState struct {
	state    connState
	err      *ConnError
	deadline time.Time // end of the closing or draining period

	// The CONNECTION_CLOSE frame this endpoint sends.
	frame     wire.ConnectionCloseFrame
	closeOwed bool // send CONNECTION_CLOSE on the next Send
	received  int  // datagrams received while closing
}

// ConnError says why a connection ended. It is the error every call returns
// after the connection closed.
type ConnError struct {
	// Code is the QUIC transport error code (App false) or the
	// application's error code (App true).
	Code uint64
	App  bool
	// FrameType is the frame that caused a transport error, if known.
	FrameType uint64
	Reason    string
	// Remote is true if the peer closed the connection, false if this
	// endpoint did.
	Remote bool
	// IdleTimeout is set when the connection ended by the idle timeout
	// (RFC 9000, Section 10.1).
	IdleTimeout bool
	// StatelessReset is set when the peer sent a stateless reset
	// (RFC 9000, Section 10.3).
	StatelessReset bool
	// VersionNegotiation is set when a client ended because the server's
	// Version Negotiation packet offered no version it speaks
	// (RFC 9368, Section 2.1); Versions is the server's list.
	VersionNegotiation bool
	Versions           []uint32
}

func (e *ConnError) Error() string {
	switch {
	case e.IdleTimeout:
		return "quic: connection closed by idle timeout"
	case e.StatelessReset:
		return "quic: connection reset by peer (stateless reset)"
	case e.VersionNegotiation:
		return "quic: version negotiation failed: " + e.Reason
	}
	who := "local"
	if e.Remote {
		who = "remote"
	}
	if e.App {
		return fmt.Sprintf("quic: %s application error 0x%x: %s", who, e.Code, e.Reason)
	}
	code := wire.ErrorCode(e.Code)
	if e.Reason == "" {
		return fmt.Sprintf("quic: %s transport error %v", who, code)
	}
	return fmt.Sprintf("quic: %s transport error %v: %s", who, code, e.Reason)
}

// Err returns why the connection ended, or nil while it is open.
func (c *Conn) Err() *ConnError {
	if c.closing.state == stateOpen {
		return nil
	}
	return c.closing.err
}

func (c *Conn) closeErr() error { return c.closing.err }

// IsClosed reports whether the connection is over: nothing more will be sent
// or received, and the caller may forget it.
func (c *Conn) IsClosed() bool { return c.closing.state == stateClosed }

// IsDraining reports whether the connection is closing or draining: it takes
// no new work but still answers the peer for a while.
func (c *Conn) IsDraining() bool { return c.closing.state != stateOpen }

// Close closes the connection immediately (RFC 9000, Section 10.2) with an
// application error code and reason, sent in a CONNECTION_CLOSE frame of type
// 0x1d. Before the handshake completes, it is sent as a transport error
// APPLICATION_ERROR in type 0x1c, as RFC 9000, Section 10.2.3 requires.
func (c *Conn) Close(code uint64, reason string, now time.Time) {
	c.startClosing(&ConnError{Code: code, App: true, Reason: reason}, now)
}

// CloseWithTransportError closes the connection immediately with a QUIC
// transport error code, in a CONNECTION_CLOSE frame of type 0x1c
// (RFC 9000, Section 19.19).
func (c *Conn) CloseWithTransportError(code wire.ErrorCode, reason string, now time.Time) {
	c.startClosing(&ConnError{Code: uint64(code), Reason: reason}, now)
}

// stopTLS ends crypto/tls's handshake, and the goroutine it runs, when the
// connection ends. The CRYPTO buffers go back to the pool too: a closing
// or draining connection sends nothing but CONNECTION_CLOSE (RFC 9000,
// Section 10.2), and one that closes during or just after its handshake
// (a server's session ticket unacknowledged, a client's Handshake level
// not yet discarded) would otherwise leave them to the garbage collector.
func (c *Conn) stopTLS() {
	if c.tls != nil {
		c.tls.Close()
	}
	for i := range c.spaces {
		c.spaces[i].cryptoSend.Release()
		c.spaces[i].cryptoRecv.Release()
	}
}

// closeWithError closes the connection because of a transport error found
// while processing the peer's packets.
func (c *Conn) closeWithError(err error, now time.Time) {
	var te *wire.TransportError
	if !errors.As(err, &te) {
		te = &wire.TransportError{Code: wire.InternalError, Reason: err.Error()}
	}
	c.stats.LocalErrors++
	c.startClosing(&ConnError{Code: uint64(te.Code), FrameType: te.FrameType, Reason: te.Reason}, now)
}

// maxReasonLen bounds the reason phrase sent in CONNECTION_CLOSE so the frame
// fits any packet.
const maxReasonLen = 256

func (c *Conn) startClosing(e *ConnError, now time.Time) {
	if c.closing.state != stateOpen {
		return
	}
	c.stopTLS()
	c.closing.state = stateClosing
	c.closing.err = e
	reason := e.Reason
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	c.closing.frame = wire.ConnectionCloseFrame{App: e.App, Code: e.Code, FrameType: e.FrameType, Reason: []byte(reason)}
	c.closing.closeOwed = true
	// RFC 9000, Section 10.2: the closing state lasts three PTOs.
	c.closing.deadline = now.Add(3 * c.rtt.PTO(c.peerMaxAckDelay()))
	c.events.push(Event{Kind: EventClosed})
}

// onConnectionClose handles the peer's CONNECTION_CLOSE: draining
// (RFC 9000, Section 10.2.2).
func (c *Conn) onConnectionClose(f *wire.ConnectionCloseFrame, now time.Time) {
	e := &ConnError{Code: f.Code, App: f.App, FrameType: f.FrameType, Reason: string(f.Reason), Remote: true}
	c.enterDraining(e, now)
}

func (c *Conn) enterDraining(e *ConnError, now time.Time) {
	switch c.closing.state {
	case stateOpen:
		c.closing.err = e
		c.events.push(Event{Kind: EventClosed})
		c.stopTLS()
	case stateClosing:
	default:
		return
	}
	c.closing.state = stateDraining
	c.closing.closeOwed = false
	c.closing.deadline = now.Add(3 * c.rtt.PTO(c.peerMaxAckDelay()))
}

// closeIdle ends the connection silently after the idle timeout
// (RFC 9000, Section 10.1).
func (c *Conn) closeIdle() {
	if c.closing.state == stateOpen {
		c.closing.err = &ConnError{IdleTimeout: true, Reason: "idle timeout"}
		c.events.push(Event{Kind: EventClosed})
		c.stopTLS()
	}
	c.closing.state = stateClosed
}

// idleDeadline returns when the idle timeout fires: RFC 9000, Section 10.1,
// no sooner than three PTOs after the last activity.
func (c *Conn) idleDeadline() time.Time {
	d := max(c.idleTimeout, 3*c.rtt.PTO(c.peerMaxAckDelay()))
	return c.lastActivity.Add(d)
}

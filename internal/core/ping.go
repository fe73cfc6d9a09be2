package core

// Ping makes the next 1-RTT packet ack-eliciting, sending a PING frame if
// nothing else goes with it (RFC 9000, Section 19.2). A keep-alive calls it
// before the idle timeout; the acknowledgement that comes back restarts
// both sides' idle timers (RFC 9000, Section 10.1.2). It does nothing before
// the handshake completes or after the connection closes.
func (c *Conn) Ping() {
	if c.closing.state != stateOpen || !c.handshakeComplete {
		return
	}
	c.spaces[spaceApp].pingOwed = true
}

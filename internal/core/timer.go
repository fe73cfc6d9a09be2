package core

import "time"

// Timeout returns the next time OnTimeout must be called, or false if there
// is none. It changes after every call into the Conn.
func (c *Conn) Timeout() (time.Time, bool) {
	var t time.Time
	earliest := func(d time.Time) {
		if !d.IsZero() && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	switch c.closing.state {
	case stateClosed:
		return time.Time{}, false
	case stateClosing, stateDraining:
		return c.closing.deadline, true
	}
	earliest(c.idleDeadline())
	earliest(c.lossTimer)
	for i := range c.spaces {
		s := &c.spaces[i]
		if s.ackOwed && !s.discarded {
			earliest(s.ackDeadline)
		}
	}
	if c.keys1RTT.prevRead != nil {
		earliest(c.keys1RTT.prevUntil)
	}
	if !c.pacingUntil.IsZero() {
		earliest(c.pacingUntil)
	}
	earliest(c.pathTimeout())
	return t, !t.IsZero()
}

// OnTimeout handles every timer due at now: idle timeout, end of closing or
// draining, loss detection and PTO (RFC 9002, Section 6.2), delayed ACKs.
// Afterwards the caller calls Send until it has nothing more.
func (c *Conn) OnTimeout(now time.Time) {
	c.clock = now
	if c.cfg.Tracer != nil {
		defer c.traceTimeout(now)
	}
	switch c.closing.state {
	case stateClosed:
		return
	case stateClosing, stateDraining:
		if !now.Before(c.closing.deadline) {
			c.closing.state = stateClosed
		}
		return
	}
	if !now.Before(c.idleDeadline()) {
		c.closeIdle()
		return
	}
	if !c.lossTimer.IsZero() && !now.Before(c.lossTimer) {
		c.onLossDetectionTimeout(now)
	}
	c.keys1RTT.dropOldKeys(now)
	c.onPathTimeout(now)
	if !c.pacingUntil.IsZero() && !now.Before(c.pacingUntil) {
		c.pacingUntil = time.Time{}
	}
	// Delayed ACKs that are due go out with the next Send.
}

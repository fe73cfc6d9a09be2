package quic

import "time"

// Keep-alives (Config.KeepAlivePeriod). After the handshake, a session
// that has received nothing for the period asks the core for a PING; the
// acknowledgement that comes back restarts both sides' idle timers
// (RFC 9000, Section 10.1.2). All of it runs on the loop goroutine.

// capKeepAlive caps the period at half the idle timeout both sides agreed
// on, the smaller of theirs (RFC 9000, Section 10.1), so that a lost PING
// can be followed by another in time.
func (s *Session) capKeepAlive() {
	if s.keepAlive <= 0 {
		return
	}
	idle := s.idleTimeout
	if p := s.conn.PeerParams(); p != nil && p.MaxIdleTimeout > 0 {
		if peer := p.MaxIdleTimeout; idle <= 0 || peer < idle {
			idle = peer
		}
	}
	if idle > 0 && s.keepAlive > idle/2 {
		s.keepAlive = idle / 2
	}
}

// keepAliveDeadline returns when the next PING is due, if keep-alives are
// on and the handshake has completed.
func (s *Session) keepAliveDeadline() (time.Time, bool) {
	if s.keepAlive <= 0 || s.lastRecv.IsZero() || !s.hsDeadline.IsZero() {
		return time.Time{}, false
	}
	return s.lastRecv.Add(s.keepAlive), true
}

// keepAliveDue sends a PING if one is due at now.
func (s *Session) keepAliveDue(now time.Time) {
	if t, ok := s.keepAliveDeadline(); ok && !now.Before(t) {
		s.conn.Ping()
		s.lastRecv = now // the next one is a period later, whatever happens
	}
}

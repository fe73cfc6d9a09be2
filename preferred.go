package quic

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/mux"
)

// The server's preferred address (RFC 9000, Section 9.6).
//
// A Listener with Config.PreferredAddress opens a second socket there, with
// its own mux. Its server sessions offer that address with a connection ID
// in preferred_address, register every connection ID they issue on both
// muxes, and receive each mux's datagrams in their own inbox, so that they
// know where each one arrived, which they tell the core (ReceiveAt). A
// session sends its datagrams from the socket the core says: the original
// one until the client has moved to the preferred address and the core has
// validated the path from there (RFC 9000, Section 9.6.2), except probing
// datagrams for the other socket's path. A client keeps its
// local socket and moves its peer address to the preferred one once the
// core has validated it (core.Conn.MigrateToPreferredAddress).

var errPreferredUnspecified = errors.New("quic: Config.PreferredAddress needs a specified IP address")

// listenPreferred opens the Listener's socket at the preferred address,
// whose mux accepts no new connections and answers unknown connection IDs
// with the stateless resets of the main mux's key.
func (l *Listener) listenPreferred(addr netip.AddrPort) error {
	ip := addr.Addr().Unmap()
	if !ip.IsValid() || ip.IsUnspecified() {
		return errPreferredUnspecified
	}
	network := "udp6"
	if ip.Is4() {
		network = "udp4"
	}
	uc, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, addr.Port())))
	if err != nil {
		return err
	}
	m, err := mux.New(uc, mux.Config{Versions: l.conf.versions(), StatelessResetKey: l.mux.StatelessResetKey()})
	if err != nil {
		uc.Close()
		return err
	}
	l.pref = m
	bound := m.LocalAddr()
	l.prefAddr = netip.AddrPortFrom(bound.Addr().Unmap(), bound.Port())
	return nil
}

// PreferredAddr returns the address of the Listener's preferred-address
// socket (Config.PreferredAddress, with its port if that was 0), or nil
// if it has none.
func (l *Listener) PreferredAddr() net.Addr {
	if l.pref == nil {
		return nil
	}
	return net.UDPAddrFromAddrPort(l.prefAddr)
}

// offerPreferred sets the preferred address that a server session's core
// offers.
func (l *Listener) offerPreferred(cfg *core.Config) {
	if l.pref == nil {
		return
	}
	if l.prefAddr.Addr().Is4() {
		cfg.PreferredIPv4 = l.prefAddr
	} else {
		cfg.PreferredIPv6 = l.prefAddr
	}
}

// usePreferredMux makes s, a new server session, receive on m, its
// Listener's preferred-address socket, too. Before the loop starts.
func (s *Session) usePreferredMux(m *mux.Mux) {
	if m == nil {
		return
	}
	s.pref = m
	s.prefInbox = make(chan *mux.Datagram, inboxSize)
}

// outMux returns the socket the session sends from.
func (s *Session) outMux() *mux.Mux {
	if s.onPref {
		return s.pref
	}
	return s.mux
}

// followAlternate makes the session send from the socket the core sends its
// non-probing packets from: the preferred address once the client has moved
// there and the core has validated the path from it (RFC 9000, Section
// 9.6.2), the original one before. Loop goroutine.
func (s *Session) followAlternate() {
	if s.pref == nil {
		return
	}
	onPref := s.conn.UsingAlternate()
	if s.onPref == onPref {
		return
	}
	s.onPref = onPref
	s.setLocal(s.outMux().LocalAddr())
	if onPref {
		s.logPath("quic: sending from the preferred address", s.peerAddr)
	} else {
		s.logPath("quic: sending from the original address", s.peerAddr)
	}
}

// sendFromOther sends one datagram from the socket the session does not send
// from now: a PATH_RESPONSE or PATH_CHALLENGE for the path through it
// (RFC 9000, Sections 8.2 and 9.6.2). Loop goroutine.
func (s *Session) sendFromOther(b []byte, to netip.AddrPort) {
	other := s.pref
	if s.onPref {
		other = s.mux
	}
	other.WriteTo(b, to) // a lost probe is probed again
}

// maxPreferredProbes is how many times a client probes the server's
// preferred address before it gives up and stays where it is.
const maxPreferredProbes = 3

// moveToPreferred probes the server's preferred address of the client's
// address family, if the server offered one, once the handshake is
// confirmed (RFC 9000, Section 9.6.1). When the PATH_RESPONSE comes, the
// core sends there (EventPathChanged, which pathChanged follows). The
// probe, a single datagram, may be lost, or reach the server after packets
// it has stopped tracking and be dropped as a duplicate; preferredDue
// probes again, no more often than a backed-off PTO (RFC 9000,
// Section 8.2.1). Loop goroutine.
func (s *Session) moveToPreferred(now time.Time) {
	s.prefRetryAt = time.Time{}
	if s.prefProbes >= maxPreferredProbes || s.mig != nil || s.conn.PathValidating() {
		return
	}
	addr, ok := s.conn.PreferredAddress()
	if !ok || s.conn.MigrateToPreferredAddress(now) != nil {
		// None of this family, no spare connection ID, or closing: stay.
		return
	}
	if s.prefProbes == 0 {
		s.logPath("quic: validating the server's preferred address", addr)
	}
	rtt := s.conn.RTT()
	s.prefRetryAt = now.Add(rtt.PTO(s.conn.PeerParams().MaxAckDelay) << s.prefProbes)
	s.prefProbes++
}

// preferredDue probes the preferred address again if its answer is
// overdue. Loop goroutine.
func (s *Session) preferredDue(now time.Time) {
	if !s.prefRetryAt.IsZero() && !now.Before(s.prefRetryAt) {
		s.moveToPreferred(now)
	}
}

// preferredMoved ends the probing once the client sends to the preferred
// address. Loop goroutine.
func (s *Session) preferredMoved() {
	s.prefRetryAt = time.Time{}
}

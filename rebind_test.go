package quic

import (
	"net"
	"net/netip"
	"sync"
	"testing"
)

// rebindRelay forwards datagrams between one client and a server, from a
// socket toward the server that rebind replaces, as a NAT that changes
// the client's port does.
type rebindRelay struct {
	front  *net.UDPConn // the client talks to it
	server netip.AddrPort

	mu     sync.Mutex
	back   *net.UDPConn // toward the server
	client netip.AddrPort
}

func newRebindRelay(t *testing.T, server netip.AddrPort) *rebindRelay {
	front, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &rebindRelay{front: front, server: server}
	r.rebind(t)
	go func() {
		b := make([]byte, 2048)
		for {
			n, from, err := front.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			r.client = from
			back := r.back
			r.mu.Unlock()
			back.WriteToUDPAddrPort(b[:n], server)
		}
	}()
	t.Cleanup(func() {
		front.Close()
		r.mu.Lock()
		r.back.Close()
		r.mu.Unlock()
	})
	return r
}

// rebind moves the relay to a new socket toward the server; the old one
// keeps forwarding what still comes to it.
func (r *rebindRelay) rebind(t *testing.T) netip.AddrPort {
	back, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	r.mu.Lock()
	r.back = back
	r.mu.Unlock()
	go func() {
		b := make([]byte, 2048)
		for {
			n, _, err := back.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			client := r.client
			r.mu.Unlock()
			r.front.WriteToUDPAddrPort(b[:n], client)
		}
	}()
	return back.LocalAddr().(*net.UDPAddr).AddrPort()
}

// TestServerFollowsNATRebinding checks that a server session keeps
// working when the client's address changes, and that its RemoteAddr
// follows (RFC 9000, Section 9.3).
func TestServerFollowsNATRebinding(t *testing.T) {
	l := listen(t, nil)
	relay := newRebindRelay(t, l.Addr().(*net.UDPAddr).AddrPort())
	_, ctls := testTLS(t)
	c, err := Dial(testCtx(t), "udp", relay.front.LocalAddr().String(), ctls, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		for {
			st, err := s.AcceptStream(testCtx(t))
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 64<<10)
				for {
					n, err := st.Read(buf)
					if n > 0 {
						st.Write(buf[:n])
					}
					if err != nil {
						st.Close()
						return
					}
				}
			}()
		}
	}()
	transfer(t, c, 256<<10, func() {})
	newAddr := relay.rebind(t)
	transfer(t, c, 1<<20, func() {})
	if got := s.RemoteAddr().(*net.UDPAddr).AddrPort(); got != newAddr {
		t.Errorf("server's RemoteAddr = %v after rebinding, want %v", got, newAddr)
	}
}

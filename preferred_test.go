package quic

import (
	"errors"
	"net/netip"
	"testing"
)

// TestPreferredAddress runs a Listener on 127.0.0.1:A offering the
// preferred address 127.0.0.1:B (RFC 9000, Section 9.6). A client that
// dials A moves to B once its handshake is confirmed, from the same local
// socket: its RemoteAddr becomes B, socket B receives its datagrams, the
// server sends from B, and a transfer completes intact. A client with
// DisablePreferredAddress stays on A, and B never hears from it.
func TestPreferredAddress(t *testing.T) {
	tests := []struct {
		name    string
		disable bool
	}{
		{"move", false},
		{"opt-out", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t, &Config{PreferredAddress: netip.MustParseAddrPort("127.0.0.1:0")})
			addrA := udpAddrPort(l.Addr())
			addrB := udpAddrPort(l.PreferredAddr())
			if addrB.Port() == 0 || addrB == addrA {
				t.Fatalf("PreferredAddr = %v, Addr = %v", addrB, addrA)
			}
			c, s := pair(t, l, &Config{DisablePreferredAddress: tt.disable})
			local := c.LocalAddr().String()
			want := addrA
			if !tt.disable {
				want = addrB
			}
			download(t, c, s, 4<<20, 1, func() {})
			// The move takes a round trip after the handshake is
			// confirmed; exchanges continue until it shows, or not.
			for i := 0; i < 100 && !tt.disable && udpAddrPort(c.RemoteAddr()) != want; i++ {
				download(t, c, s, 1000, 1, func() {})
			}
			if got := udpAddrPort(c.RemoteAddr()); got != want {
				t.Fatalf("client's RemoteAddr = %v, want %v", got, want)
			}
			// The data keeps flowing on the path in use.
			deliveredA, deliveredB := l.mux.Stats().Delivered, l.pref.Stats().Delivered
			download(t, c, s, 1<<20, 1, func() {})
			if got := c.LocalAddr().String(); got != local {
				t.Errorf("client's LocalAddr = %v, want %v: it keeps its socket", got, local)
			}
			if got := udpAddrPort(s.LocalAddr()); got != want {
				t.Errorf("server session's LocalAddr = %v, want %v", got, want)
			}
			// All the client's datagrams of that transfer went to the
			// address in use.
			onA, onB := l.mux.Stats().Delivered-deliveredA, l.pref.Stats().Delivered-deliveredB
			if tt.disable && (onA == 0 || deliveredB+onB != 0) {
				t.Errorf("socket A delivered %d datagrams, B %d in all; want all on A", onA, deliveredB+onB)
			}
			if !tt.disable && (onB == 0 || onA != 0) {
				t.Errorf("socket A delivered %d datagrams, B %d; want all on B", onA, onB)
			}
		})
	}
}

// TestPreferredAddressUnspecified checks that a Listener refuses a
// preferred address it could not offer.
func TestPreferredAddressUnspecified(t *testing.T) {
	stls, _ := testTLS(t)
	for _, a := range []string{"0.0.0.0:0", "[::]:0"} {
		l, err := Listen("udp", "127.0.0.1:0", stls, &Config{PreferredAddress: netip.MustParseAddrPort(a)})
		if err == nil {
			l.Close()
		}
		if !errors.Is(err, errPreferredUnspecified) {
			t.Errorf("Listen with PreferredAddress %v: %v, want errPreferredUnspecified", a, err)
		}
	}
}

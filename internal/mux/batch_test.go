package mux

import (
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadPaths sends bursts through the batched reader and the
// one-at-a-time reader and checks that every datagram arrives whole, in
// order, with its sender's address, on IPv4 and IPv6.
func TestReadPaths(t *testing.T) {
	for _, batched := range []bool{true, false} {
		for _, network := range []string{"udp4", "udp6"} {
			name := network + "/single"
			if batched {
				name = network + "/batched"
			}
			t.Run(name, func(t *testing.T) {
				disableBatchReads = !batched
				defer func() { disableBatchReads = false }()
				ip := net.IPv4(127, 0, 0, 1)
				if network == "udp6" {
					ip = net.IPv6loopback
				}
				srv, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
				if err != nil {
					t.Skipf("no %s loopback: %v", network, err)
				}
				m, err := New(srv, Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if batched && m.batch == nil {
					t.Skip("batched reads unavailable here")
				}
				client, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
				if err != nil {
					t.Fatal(err)
				}
				defer client.Close()
				id := cid(0x42, 8)
				const n = 100
				in := make(chan *Datagram, n)
				if err := m.Register(id, in); err != nil {
					t.Fatal(err)
				}
				from := client.LocalAddr().(*net.UDPAddr).AddrPort()
				for i := range n {
					if _, err := client.WriteToUDPAddrPort(shortPacket(id, 30+i*10), m.LocalAddr()); err != nil {
						t.Fatal(err)
					}
				}
				for i := range n {
					d := recv(t, in)
					if diff := cmp.Diff(shortPacket(id, 30+i*10), d.Data); diff != "" {
						t.Errorf("datagram %d (-want +got):\n%s", i, diff)
					}
					if d.From != from {
						t.Errorf("datagram %d from %v, want %v", i, d.From, from)
					}
					d.Release()
				}
			})
		}
	}
}

// TestBatchReadAllocs checks that reading and routing datagrams through
// the batched reader allocates nothing per datagram.
func TestBatchReadAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	stopGC(t)
	h := newHarness(t, Config{})
	if h.m.batch == nil {
		t.Skip("batched reads unavailable here")
	}
	id := cid(0x43, 8)
	in := make(chan *Datagram, 1)
	if err := h.m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	pkt := shortPacket(id, 1200)
	to := h.m.LocalAddr()
	allocs := testing.AllocsPerRun(1000, func() {
		h.client.WriteToUDPAddrPort(pkt, to)
		(<-in).Release()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per datagram sent and routed, want 0", allocs)
	}
}

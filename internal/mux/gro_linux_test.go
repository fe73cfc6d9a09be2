//go:build linux && (amd64 || arm64)

package mux

import (
	"bytes"
	"encoding/binary"
	"net"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cmsg returns a control message as the kernel lays it out on 64-bit
// Linux: its length (header and data, unaligned) and then the data, padded
// to a multiple of 8 bytes.
func cmsg(level, typ int32, data []byte) []byte {
	b := binary.NativeEndian.AppendUint64(nil, uint64(syscall.SizeofCmsghdr+len(data)))
	b = binary.NativeEndian.AppendUint32(b, uint32(level))
	b = binary.NativeEndian.AppendUint32(b, uint32(typ))
	b = append(b, data...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func groCmsg(size int32) []byte {
	return cmsg(solUDP, udpGRO, binary.NativeEndian.AppendUint32(nil, uint32(size)))
}

// withLen returns c with its length field set to n.
func withLen(c []byte, n uint64) []byte {
	c = append([]byte(nil), c...)
	binary.NativeEndian.PutUint64(c, n)
	return c
}

func join(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func TestGROSegmentSize(t *testing.T) {
	tos := cmsg(syscall.IPPROTO_IP, syscall.IP_TOS, []byte{0x02}) // ECT(0); length 17
	tclass := cmsg(syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, []byte{1, 0, 0, 0})
	tests := []struct {
		name    string
		control []byte
		want    int
	}{
		{"no control data", nil, 0},
		{"GRO", groCmsg(1200), 1200},
		{"GRO size 1", groCmsg(1), 1},
		{"GRO size 0", groCmsg(0), 0},
		{"GRO negative size", groCmsg(-1200), 0},
		{"ECN before GRO", join(tos, groCmsg(1252)), 1252},
		{"GRO before ECN", join(groCmsg(1252), tos), 1252},
		{"IPv6 traffic class before GRO", join(tclass, groCmsg(1350)), 1350},
		{"ECN only", tos, 0},
		{"GRO level, other type", cmsg(solUDP, udpSegment, []byte{0xb0, 4, 0, 0}), 0},
		{"GRO type, other level", cmsg(syscall.IPPROTO_IP, udpGRO, []byte{0xb0, 4, 0, 0}), 0},
		{"GRO with 2 bytes of data", cmsg(solUDP, udpGRO, []byte{0xb0, 4}), 0},
		{"header cut short", groCmsg(1200)[:12], 0},
		{"data cut short", groCmsg(1200)[:18], 0},
		{"length 0", withLen(groCmsg(1200), 0), 0},
		{"length shorter than the header", withLen(groCmsg(1200), 15), 0},
		{"length past the data", withLen(groCmsg(1200), 25), 0},
		{"length 2^64-1", withLen(groCmsg(1200), ^uint64(0)), 0},
		{"length 0 before GRO", join(withLen(tos, 0), groCmsg(1200)), 0},
		{"aligned length past the data", join(withLen(tos, 17))[:20], 0},
		{"GRO after a message running past the data", join(withLen(tos, 40), groCmsg(1200)), 0},
		{"trailing bytes after ECN", join(tos, []byte{1, 2, 3}), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groSegmentSize(tt.control); got != tt.want {
				t.Errorf("groSegmentSize(% x) = %d, want %d", tt.control, got, tt.want)
			}
		})
	}
}

// segments splits b as the reader does.
func segments(b []byte, size int) [][]byte {
	var out [][]byte
	for {
		seg, rest := nextSegment(b, size)
		out = append(out, seg)
		if len(rest) == 0 {
			return out
		}
		b = rest
	}
}

func TestNextSegment(t *testing.T) {
	tests := []struct {
		n, size int
		want    []int // segment lengths
	}{
		{3600, 1200, []int{1200, 1200, 1200}},
		{3000, 1200, []int{1200, 1200, 600}},
		{2401, 1200, []int{1200, 1200, 1}},
		{1200, 1200, []int{1200}},
		{1000, 1200, []int{1000}},
		{1500, 0, []int{1500}},  // no UDP_GRO message: one datagram
		{1500, -1, []int{1500}}, // not from the kernel, but harmless
		{0, 1200, []int{0}},     // an empty datagram stays one
		{0, 0, []int{0}},
		{5, 1, []int{1, 1, 1, 1, 1}},
		{65535, 1252, append(repeatInt(52, 1252), 65535-52*1252)},
	}
	for _, tt := range tests {
		b := make([]byte, tt.n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		segs := segments(b, tt.size)
		var got []int
		var whole []byte
		for _, s := range segs {
			got = append(got, len(s))
			whole = append(whole, s...)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%d bytes in segments of %d: lengths (-want +got):\n%s", tt.n, tt.size, diff)
		}
		if !bytes.Equal(b, whole) {
			t.Errorf("%d bytes in segments of %d: segments do not add up to the buffer", tt.n, tt.size)
		}
	}
}

func repeatInt(n, v int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// FuzzGROSegmentSize checks that no control data makes the parser panic
// or loop, and that splitting by what it returns covers the buffer.
func FuzzGROSegmentSize(f *testing.F) {
	f.Add(groCmsg(1200), 3000)
	f.Add(join(cmsg(syscall.IPPROTO_IP, syscall.IP_TOS, []byte{3}), groCmsg(1)), 10)
	f.Add(withLen(groCmsg(7), 3), 100)
	f.Fuzz(func(t *testing.T, control []byte, n int) {
		size := groSegmentSize(control)
		if size < 0 {
			t.Fatalf("negative size %d", size)
		}
		n = min(max(n, 0), 1<<12)
		total := 0
		for _, s := range segments(make([]byte, n), size) {
			if size > 0 && len(s) > size {
				t.Fatalf("segment of %d bytes, size %d", len(s), size)
			}
			total += len(s)
		}
		if total != n {
			t.Fatalf("segments add up to %d bytes, want %d", total, n)
		}
	})
}

// groPacket is datagram i of a GRO test: a short header for id, i in the
// four bytes after it, then a pattern.
func groPacket(id []byte, i, n int) []byte {
	b := shortPacket(id, n)
	binary.BigEndian.PutUint32(b[1+len(id):], uint32(i))
	return b
}

// TestGROLoopback sends GSO batches (runs of equal datagrams, some with a
// short last one) to a mux with UDP_GRO on, over IPv4 and IPv6, with and
// without the ECN control messages that IP_RECVTOS adds, and checks that
// every datagram arrives on its own, whole, in order, and that the kernel
// did coalesce.
func TestGROLoopback(t *testing.T) {
	for _, network := range []string{"udp4", "udp6"} {
		for _, recvTOS := range []bool{false, true} {
			name := network
			if recvTOS {
				name += "/recvtos"
			}
			t.Run(name, func(t *testing.T) {
				ip := net.IPv4(127, 0, 0, 1)
				if network == "udp6" {
					ip = net.IPv6loopback
				}
				srv, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
				if err != nil {
					t.Skipf("no %s loopback: %v", network, err)
				}
				if recvTOS {
					rc, _ := srv.SyscallConn()
					rc.Control(func(fd uintptr) {
						if network == "udp6" {
							err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_RECVTCLASS, 1)
						} else {
							err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1)
						}
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				m, err := New(srv, Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				if !m.batch.gro {
					t.Skip("the kernel refused UDP_GRO (setsockopt SOL_UDP UDP_GRO; Linux 5.0+): the reader falls back to one datagram per message")
				}
				cc, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
				if err != nil {
					t.Fatal(err)
				}
				cm, err := New(cc, Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer cm.Close()
				b := newBatchFor(t, cm, "gso")

				var sizes []int
				sizes = append(sizes, repeatInt(40, 1200)...)
				sizes = append(sizes, 700) // a short last segment
				sizes = append(sizes, repeatInt(10, 1000)...)
				sizes = append(sizes, 1500, 1500, 13)
				sizes = append(sizes, repeatInt(60, 1252)...) // more than fits in 64 KiB
				id := cid(0x47, 8)
				in := make(chan *Datagram, len(sizes))
				if err := m.Register(id, in); err != nil {
					t.Fatal(err)
				}
				for i, n := range sizes {
					b.Add(groPacket(id, i, n), m.LocalAddr())
				}
				if err := b.Flush(); err != nil {
					t.Fatal(err)
				}
				from := cm.LocalAddr()
				for i, n := range sizes {
					d := recv(t, in)
					if diff := cmp.Diff(groPacket(id, i, n), d.Data); diff != "" {
						t.Fatalf("datagram %d (-want +got):\n%s", i, diff)
					}
					if d.From != from {
						t.Errorf("datagram %d from %v, want %v", i, d.From, from)
					}
					d.Release()
				}
				m.Close() // the reader has returned: its counters may be read
				if st := m.Stats(); st.Received != uint64(len(sizes)) || st.Delivered != uint64(len(sizes)) {
					t.Errorf("received %d, delivered %d datagrams; want %d each", st.Received, st.Delivered, len(sizes))
				}
				if m.batch.coalesced == 0 {
					t.Error("no message held more than one datagram: the GSO sends were not coalesced")
				}
			})
		}
	}
}

// TestGROFallback checks that a mux on which UDP_GRO is off (as on a
// kernel that refuses it) leaves it off and still receives a GSO batch
// as separate datagrams, segmented by the kernel.
func TestGROFallback(t *testing.T) {
	disableGRO = true
	m, err := New(listenLoopback(t), Config{})
	disableGRO = false
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.batch.gro {
		t.Fatal("UDP_GRO on with disableGRO set")
	}
	var on int
	rc, _ := m.conn.SyscallConn()
	rc.Control(func(fd uintptr) { on, err = syscall.GetsockoptInt(int(fd), solUDP, udpGRO) })
	if err == nil && on != 0 {
		t.Errorf("UDP_GRO = %d on the socket, want 0", on)
	}
	cm, err := New(listenLoopback(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	b := newBatchFor(t, cm, "gso")
	id := cid(0x48, 8)
	const n = 30
	in := make(chan *Datagram, n)
	if err := m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		b.Add(groPacket(id, i, 1200), m.LocalAddr())
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		d := recv(t, in)
		if diff := cmp.Diff(groPacket(id, i, 1200), d.Data); diff != "" {
			t.Fatalf("datagram %d (-want +got):\n%s", i, diff)
		}
		d.Release()
	}
}

// TestGROReadAllocs checks that reading coalesced GSO batches and routing
// their datagrams allocates nothing per datagram.
func TestGROReadAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	stopGC(t)
	h := newHarness(t, Config{})
	if !h.m.batch.gro {
		t.Skip("the kernel refused UDP_GRO (setsockopt SOL_UDP UDP_GRO; Linux 5.0+)")
	}
	cm, err := New(listenLoopback(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	b := newBatchFor(t, cm, "gso")
	id := cid(0x49, 8)
	const n = 20
	in := make(chan *Datagram, n)
	if err := h.m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	pkt := shortPacket(id, 1200)
	last := shortPacket(id, 500)
	to := h.m.LocalAddr()
	allocs := testing.AllocsPerRun(200, func() {
		for range n - 1 {
			b.Add(pkt, to)
		}
		b.Add(last, to)
		b.Flush()
		for range n {
			(<-in).Release()
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch of %d datagrams sent and routed, want 0", allocs, n)
	}
	h.m.Close()
	if h.m.batch.coalesced == 0 {
		t.Error("no message held more than one datagram: the test did not exercise GRO")
	}
}

// TestGROOversized checks that the datagrams of a coalesced message longer
// than MaxDatagramSize are each dropped and counted as oversized, as they
// would be without GRO, and do not stop the shorter ones that follow.
func TestGROOversized(t *testing.T) {
	m, err := New(listenLoopback(t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.batch.gro {
		t.Skip("the kernel refused UDP_GRO (setsockopt SOL_UDP UDP_GRO; Linux 5.0+)")
	}
	cm, err := New(listenLoopback(t), Config{MaxDatagramSize: 4000})
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	b := newBatchFor(t, cm, "gso")
	id := cid(0x4a, 8)
	in := make(chan *Datagram, 10)
	if err := m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	const long = 10
	for i := range long {
		b.Add(groPacket(id, i, 3000), m.LocalAddr())
	}
	b.Flush() // one GSO message of 3000-byte segments
	b.Add(groPacket(id, long, 1000), m.LocalAddr())
	b.Flush()
	d := recv(t, in)
	if diff := cmp.Diff(groPacket(id, long, 1000), d.Data); diff != "" {
		t.Errorf("datagram after the oversized ones (-want +got):\n%s", diff)
	}
	d.Release()
	m.Close()
	if st := m.Stats(); st.Oversized != long || st.Received != long+1 {
		t.Errorf("received %d, oversized %d; want %d, %d", st.Received, st.Oversized, long+1, long)
	}
	if m.batch.coalesced == 0 {
		t.Error("the oversized datagrams did not arrive coalesced")
	}
}

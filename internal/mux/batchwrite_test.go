package mux

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// setBatchPath makes the Batches made until the test ends send by path:
// "gso", "sendmmsg" or "single".
func setBatchPath(t *testing.T, path string) {
	disableGSO = path != "gso"
	disableSendmmsg = path == "single"
	t.Cleanup(func() { disableGSO, disableSendmmsg = false, false })
}

// newBatchFor returns a Batch on m that sends by path, or skips the test if
// that path is unavailable here.
func newBatchFor(t *testing.T, m *Mux, path string) *Batch {
	t.Helper()
	setBatchPath(t, path)
	b := m.NewBatch()
	if got := b.w.path(); got != path {
		t.Skipf("%s sends unavailable here (the batch sends by %s)", path, got)
	}
	return b
}

// sink is a plain UDP socket that collects what arrives.
type sink struct {
	conn *net.UDPConn
	addr netip.AddrPort
	got  chan received
}

type received struct {
	data []byte
	from netip.AddrPort
}

func newSink(t *testing.T, network string, ip net.IP) *sink {
	t.Helper()
	c, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetReadBuffer(4 << 20) // hold a whole burst; loopback drops nothing else
	s := &sink{conn: c, addr: c.LocalAddr().(*net.UDPAddr).AddrPort(), got: make(chan received, 1024)}
	go func() {
		buf := make([]byte, 65536)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				close(s.got)
				return
			}
			s.got <- received{append([]byte(nil), buf[:n]...), from}
		}
	}()
	return s
}

// next returns the next datagram the sink received.
func (s *sink) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-s.got:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a datagram")
		return received{}
	}
}

// payload is datagram i of a test, n bytes long: i in the first four
// bytes (or as many as fit), then a pattern of i.
func payload(i, n int) []byte {
	b := make([]byte, n)
	copy(b, binary.BigEndian.AppendUint32(nil, uint32(i)))
	for j := 4; j < n; j++ {
		b[j] = byte(i + j)
	}
	return b
}

// send is one datagram of a flush: to which sink, how long.
type send struct {
	to, size int
}

func repeat(n int, s send) []send {
	out := make([]send, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(ss ...[]send) []send {
	var out []send
	for _, s := range ss {
		out = append(out, s...)
	}
	return out
}

// TestBatchWritePaths sends bursts through the GSO, sendmmsg and
// one-at-a-time paths, on IPv4, IPv6 and an IPv6 socket to an IPv4 peer,
// and checks that every datagram arrives whole, in order, from the mux's
// port.
func TestBatchWritePaths(t *testing.T) {
	flushes := []struct {
		name  string
		sends []send
	}{
		{"one datagram", []send{{0, 1200}}},
		{"equal sizes", repeat(40, send{0, 1200})},
		{"mixed sizes", []send{
			{0, 1200}, {0, 1200}, {0, 1200}, {0, 700}, {0, 1200}, {0, 1200},
			{0, 100}, {0, 100}, {0, 1452}, {0, 50}, {0, 1452}, {0, 1452},
		}},
		{"two peers", []send{
			{0, 1200}, {0, 1200}, {1, 1200}, {1, 1200}, {0, 1200}, {1, 300}, {0, 1200},
		}},
		{"past 64 KB", repeat(60, send{0, 1452})},
		{"past MaxBatch", concat(repeat(100, send{0, 1300}), repeat(50, send{1, 1300}))},
		{"tiny", repeat(MaxBatch, send{1, 1})},
	}
	networks := []struct {
		name          string
		network, sink string
		ip, sinkIP    net.IP
	}{
		{"udp4", "udp4", "udp4", net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 1)},
		{"udp6", "udp6", "udp6", net.IPv6loopback, net.IPv6loopback},
		{"udp6 to udp4", "udp", "udp4", net.IPv6unspecified, net.IPv4(127, 0, 0, 1)},
	}
	for _, path := range []string{"gso", "sendmmsg", "single"} {
		for _, nw := range networks {
			t.Run(path+"/"+nw.name, func(t *testing.T) {
				conn, err := net.ListenUDP(nw.network, &net.UDPAddr{IP: nw.ip})
				if err != nil {
					t.Skipf("no %s loopback: %v", nw.network, err)
				}
				m, err := New(conn, Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				sinks := []*sink{newSink(t, nw.sink, nw.sinkIP), newSink(t, nw.sink, nw.sinkIP)}
				b := newBatchFor(t, m, path)
				i := 0
				for _, f := range flushes {
					want := make([][][]byte, len(sinks))
					for _, s := range f.sends {
						p := payload(i, s.size)
						i++
						b.Add(p, sinks[s.to].addr)
						want[s.to] = append(want[s.to], p)
					}
					if err := b.Flush(); err != nil {
						t.Fatalf("%s: Flush: %v", f.name, err)
					}
					if b.Len() != 0 {
						t.Errorf("%s: Len after Flush = %d", f.name, b.Len())
					}
					for k, s := range sinks {
						var got [][]byte
						for range want[k] {
							r := s.next(t)
							if r.from.Port() != m.LocalAddr().Port() {
								t.Errorf("%s: datagram from %v; want port %d", f.name, r.from, m.LocalAddr().Port())
							}
							got = append(got, r.data)
						}
						if diff := cmp.Diff(want[k], got); diff != "" {
							t.Errorf("%s: sink %d (-want +got):\n%s", f.name, k, diff)
						}
					}
				}
				if s := m.Stats(); s.WriteErrors != 0 {
					t.Errorf("WriteErrors = %d", s.WriteErrors)
				}
				if got := b.w.path(); got != path {
					t.Errorf("the batch fell back from %s to %s", path, got)
				}
			})
		}
	}
}

// TestBatchWriteFailures checks that datagrams whose writes fail are
// dropped and counted, that the first error is returned, and that the rest
// of the batch is still sent, on each path. A GSO send that fails is retried
// one datagram at a time, which fails again here.
func TestBatchWriteFailures(t *testing.T) {
	portZero := netip.MustParseAddrPort("127.0.0.1:0") // EINVAL
	tests := []struct {
		name     string
		bad      netip.AddrPort
		badCount int
	}{
		{"port zero, a run", portZero, 3},
		{"port zero, one", portZero, 1},
		{"IPv6 peer of an IPv4 socket", netip.MustParseAddrPort("[2001:db8::1]:443"), 2},
		{"invalid address", netip.AddrPort{}, 1},
	}
	for _, path := range []string{"gso", "sendmmsg", "single"} {
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				m, err := New(listenLoopback(t), Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				sk := newSink(t, "udp4", net.IPv4(127, 0, 0, 1))
				b := newBatchFor(t, m, path)
				b.Add(payload(0, 1000), sk.addr)
				for i := range tt.badCount {
					b.Add(payload(100+i, 1000), tt.bad)
				}
				b.Add(payload(1, 1000), sk.addr)
				b.Add(payload(2, 1000), sk.addr)
				if err := b.Flush(); err == nil {
					t.Error("Flush returned no error")
				}
				for i := range 3 {
					if diff := cmp.Diff(payload(i, 1000), sk.next(t).data); diff != "" {
						t.Errorf("datagram %d (-want +got):\n%s", i, diff)
					}
				}
				if got := m.Stats().WriteErrors; got != uint64(tt.badCount) {
					t.Errorf("WriteErrors = %d; want %d", got, tt.badCount)
				}
				// The error is reported once.
				b.Add(payload(3, 1000), sk.addr)
				if err := b.Flush(); err != nil {
					t.Errorf("second Flush: %v", err)
				}
				sk.next(t)
			})
		}
	}
}

// TestBatchWriteClosed checks that a batch on a closed mux reports
// ErrClosed, without counting write errors.
func TestBatchWriteClosed(t *testing.T) {
	for _, path := range []string{"gso", "sendmmsg", "single"} {
		t.Run(path, func(t *testing.T) {
			m, err := New(listenLoopback(t), Config{})
			if err != nil {
				t.Fatal(err)
			}
			b := newBatchFor(t, m, path)
			m.Close()
			b.Add(payload(0, 100), netip.MustParseAddrPort("127.0.0.1:9"))
			b.Add(payload(1, 100), netip.MustParseAddrPort("127.0.0.1:9"))
			if err := b.Flush(); !errors.Is(err, ErrClosed) {
				t.Errorf("Flush = %v; want ErrClosed", err)
			}
			if got := m.Stats().WriteErrors; got != 0 {
				t.Errorf("WriteErrors = %d; want 0", got)
			}
		})
	}
}

// TestBatchNext checks the buffer contract: Next without Commit returns
// the same buffer, and Commit without Next panics.
func TestBatchNext(t *testing.T) {
	m, err := New(listenLoopback(t), Config{MaxDatagramSize: 1400})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	b := m.NewBatch()
	if b.Mux() != m {
		t.Error("Batch.Mux is not the mux that made it")
	}
	buf := b.Next()
	if len(buf) != 1400 {
		t.Errorf("len(Next()) = %d; want 1400", len(buf))
	}
	buf[0] = 42
	if again := b.Next(); &again[0] != &buf[0] {
		t.Error("Next without Commit returned a different buffer")
	}
	b.Commit(1, netip.MustParseAddrPort("127.0.0.1:9"))
	if b.Len() != 1 {
		t.Errorf("Len = %d; want 1", b.Len())
	}
	defer func() {
		if recover() == nil {
			t.Error("Commit without Next did not panic")
		}
	}()
	b.Commit(1, netip.MustParseAddrPort("127.0.0.1:9"))
}

// TestBatchWriteAllocs checks that filling and flushing a batch allocates
// nothing once warm, on each path.
func TestBatchWriteAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	stopGC(t)
	for _, path := range []string{"gso", "sendmmsg", "single"} {
		t.Run(path, func(t *testing.T) {
			m, err := New(listenLoopback(t), Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			// A sink that nobody reads: loopback drops what overflows it.
			sk, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer sk.Close()
			to := sk.LocalAddr().(*net.UDPAddr).AddrPort()
			b := newBatchFor(t, m, path)
			flush := func() {
				for i := range 40 {
					n := 1200
					if i%10 == 9 {
						n = 80
					}
					buf := b.Next()
					b.Commit(n, to)
					_ = buf
				}
				if err := b.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			flush()
			if a := testing.AllocsPerRun(50, flush); a != 0 {
				t.Errorf("%v allocations per batch; want 0", a)
			}
		})
	}
}

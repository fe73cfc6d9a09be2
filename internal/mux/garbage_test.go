package mux

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/quince-go/quic/internal/core/wire"
)

// TestGarbage sends 10,000 random datagrams, some shaped like QUIC
// headers, and checks that the mux survives, counts them all and does not
// hold on to memory.
func TestGarbage(t *testing.T) {
	h := newHarness(t, Config{Server: true, AcceptBacklog: 8})
	in := make(chan *Datagram, 8)
	known := cid(0x42, 8)
	if err := h.m.Register(known, in); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	const total, round = 10_000, 20 // rounds stay within the socket buffer
	b := make([]byte, 1600)
	for i := range total {
		n := r.IntN(len(b))
		for j := range b[:n] {
			b[j] = byte(r.Uint32())
		}
		if n > 0 {
			switch i % 4 {
			case 1: // long header of a random or supported version
				b[0] |= 0x80
				if n > 5 && i%8 == 1 {
					b[1], b[2], b[3], b[4] = 0, 0, 0, byte(wire.Version1)
				}
			case 2: // short header, sometimes for the known ID
				b[0] = b[0]&0x7f | 0x40
				if n > 9 && i%8 == 2 {
					copy(b[1:], known)
				}
			}
		}
		h.send(b[:n])
		if i%round == round-1 {
			h.sync()
			for len(in) > 0 {
				(<-in).Release()
			}
		}
	}
	s := h.m.Stats()
	if want := uint64(total + total/round); s.Received != want {
		t.Errorf("Received = %d, want %d", s.Received, want)
	}
	sum := s.Delivered + s.Accepted + s.Refused + s.VersionNegotiations + s.StatelessResets +
		s.InboxFull + s.Malformed + s.Oversized + s.Unroutable + s.Held + s.Pending + s.RateLimited + s.WriteErrors
	if sum != s.Received {
		t.Errorf("counters add up to %d of %d datagrams: %+v", sum, s.Received, s)
	}
	t.Logf("%+v", s)

	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 4<<20 {
		t.Errorf("heap in use grew by %d bytes", grew)
	}
}

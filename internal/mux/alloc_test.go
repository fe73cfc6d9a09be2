package mux

import (
	"testing"
)

func TestRoutingAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	stopGC(t)
	h := newHarness(t, Config{})
	in := make(chan *Datagram, 1)
	id := cid(0x11, 8)
	if err := h.m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	from := h.clientAddr()
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"short header", shortPacket(id, 1200)},
		{"long header", longPacket(id, 1200)},
	}
	for _, tt := range tests {
		allocs := testing.AllocsPerRun(1000, func() {
			d := h.m.pool.get()
			d.Data = append(d.buf[:0], tt.pkt...)
			d.From = from
			h.m.handle(d)
			(<-in).Release()
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per routed datagram, want 0", tt.name, allocs)
		}
	}
}

// TestReplyAllocs checks that answering garbage with stateless resets or
// Version Negotiation, or dropping it, does not allocate.
func TestReplyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	stopGC(t)
	h := newHarness(t, Config{Server: true, ReplyBurst: 1 << 30, ReplyRate: 1})
	from := h.clientAddr()
	tests := []struct {
		name string
		pkt  []byte
	}{
		{"stateless reset", shortPacket(cid(7, 8), 100)},
		{"version negotiation", unknownVersionPacket(0x1a2a3a4a, cid(1, 8), cid(2, 8), 1200)},
		{"too short", shortPacket(cid(7, 8), 10)},
		{"malformed", []byte{0xc0, 0, 0, 0, 1, 30}},
	}
	for _, tt := range tests {
		allocs := testing.AllocsPerRun(200, func() {
			d := h.m.pool.get()
			d.Data = append(d.buf[:0], tt.pkt...)
			d.From = from
			h.m.handle(d)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per datagram, want 0", tt.name, allocs)
		}
	}
}

package mux

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRouteByConnID(t *testing.T) {
	h := newHarness(t, Config{Server: true})
	id1, id2 := cid(1, 8), cid(2, 8)
	in1, in2 := make(chan *Datagram, 4), make(chan *Datagram, 4)
	if err := h.m.Register(id1, in1); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Register(id2, in2); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		data  []byte
		inbox chan *Datagram
	}{
		{"short header", shortPacket(id1, 100), in1},
		{"long header", longPacket(id2, 200), in2},
		{"client Initial to a known ID", clientInitial(0x1, id2, cid(9, 5), 1200), in2},
		{"short header, other ID", shortPacket(id2, 40), in2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.send(tt.data)
			d := recv(t, tt.inbox)
			defer d.Release()
			if diff := cmp.Diff(tt.data, d.Data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if d.From != h.clientAddr() {
				t.Errorf("From = %v, want %v", d.From, h.clientAddr())
			}
		})
	}
	h.sync()
	h.noReply()
	want := Stats{Received: 5, Delivered: 5}
	if diff := cmp.Diff(want, h.m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestRegister(t *testing.T) {
	h := newHarness(t, Config{})
	a, b := make(chan *Datagram), make(chan *Datagram)
	id := cid(3, 8)
	if err := h.m.Register(id, a); err != nil {
		t.Fatal(err)
	}
	if err := h.m.Register(id, a); err != nil {
		t.Errorf("registering again with the same inbox: %v", err)
	}
	if err := h.m.Register(id, b); err != ErrConnIDInUse {
		t.Errorf("Register with another inbox = %v, want ErrConnIDInUse", err)
	}
	if err := h.m.Register(cid(4, 7), a); err == nil {
		t.Error("Register accepted a 7-byte ID with ConnIDLen 8")
	}
	h.m.Unregister(id)
	if err := h.m.Register(id, b); err != nil {
		t.Errorf("Register after Unregister: %v", err)
	}
}

func TestUnregisteredIDIsNotRouted(t *testing.T) {
	h := newHarness(t, Config{})
	id := cid(5, 8)
	in := make(chan *Datagram, 4)
	if err := h.m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	h.m.Unregister(id)
	h.send(longPacket(id, 100))
	h.sync()
	if len(in) != 0 {
		t.Errorf("inbox got %d datagrams after Unregister", len(in))
	}
	if got := h.m.Stats().Unroutable; got != 1 {
		t.Errorf("Unroutable = %d, want 1", got)
	}
}

func TestInboxFullDrops(t *testing.T) {
	h := newHarness(t, Config{})
	id := cid(6, 8)
	in := make(chan *Datagram, 2)
	if err := h.m.Register(id, in); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		h.send(shortPacket(id, 50))
	}
	h.sync() // the reader did not block on the full inbox
	if len(in) != 2 {
		t.Errorf("inbox holds %d datagrams, want 2", len(in))
	}
	want := Stats{Received: 6, Delivered: 3, InboxFull: 3}
	if diff := cmp.Diff(want, h.m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	for len(in) > 0 {
		(<-in).Release()
	}
}

func TestPeerGetsUnknownShortHeaders(t *testing.T) {
	h := newHarness(t, Config{})
	a, b := make(chan *Datagram, 1), make(chan *Datagram, 1)
	if err := h.m.RegisterPeer(h.clientAddr(), a); err != nil {
		t.Fatal(err)
	}
	if err := h.m.RegisterPeer(h.clientAddr(), b); err != nil {
		t.Fatal(err)
	}
	// A peer's stateless reset has a random connection ID.
	reset := shortPacket(cid(0x77, 8), 43)
	h.send(reset)
	for _, in := range []chan *Datagram{a, b} {
		d := recv(t, in)
		if diff := cmp.Diff(reset, d.Data); diff != "" {
			t.Errorf("data (-want +got):\n%s", diff)
		}
		d.Release()
	}
	h.sync()
	h.noReply()

	h.m.UnregisterPeer(h.clientAddr(), a)
	h.m.UnregisterPeer(h.clientAddr(), b)
	h.send(reset)
	h.sync()
	if got := h.reply(); len(got) != 42 {
		t.Errorf("after UnregisterPeer: reply of %d bytes, want a 42-byte reset", len(got))
	}
}

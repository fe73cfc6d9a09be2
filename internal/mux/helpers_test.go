package mux

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// waitTimeout bounds every wait in these tests, so that a bug fails the
// test instead of hanging it. No test sleeps.
const waitTimeout = 10 * time.Second

// barrierID is a connection ID that harness registers to learn when the
// mux has handled everything sent before a barrier datagram: one client
// socket's datagrams to loopback arrive in order.
var barrierID = bytes.Repeat([]byte{0xbb}, DefaultConnIDLen)

type harness struct {
	t       *testing.T
	m       *Mux
	client  *net.UDPConn
	barrier chan *Datagram
	clock   *fakeClock
}

// fakeClock is the mux's clock in tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newHarness starts a mux on loopback with cfg and a fake clock, and a
// client socket to talk to it.
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	m, err := newMux(listenLoopback(t), cfg, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	client := listenLoopback(t)
	h := &harness{t: t, m: m, client: client, barrier: make(chan *Datagram, 4), clock: clock}
	t.Cleanup(func() {
		client.Close()
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := m.Register(barrierID, h.barrier); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) clientAddr() netip.AddrPort {
	return h.client.LocalAddr().(*net.UDPAddr).AddrPort()
}

// send sends b from the client to the mux.
func (h *harness) send(b []byte) {
	h.t.Helper()
	if _, err := h.client.WriteToUDPAddrPort(b, h.m.LocalAddr()); err != nil {
		h.t.Fatal(err)
	}
}

// sync waits until the mux has handled everything the client sent before.
func (h *harness) sync() {
	h.t.Helper()
	h.send(shortPacket(barrierID, 30))
	select {
	case d := <-h.barrier:
		d.Release()
	case <-time.After(waitTimeout):
		h.t.Fatal("barrier datagram did not arrive")
	}
}

// reply reads the next datagram the mux sent to the client.
func (h *harness) reply() []byte {
	h.t.Helper()
	h.client.SetReadDeadline(time.Now().Add(waitTimeout))
	b := make([]byte, 2048)
	n, _, err := h.client.ReadFromUDPAddrPort(b)
	if err != nil {
		h.t.Fatalf("no reply: %v", err)
	}
	return b[:n]
}

// noReply checks that the mux sent the client nothing. Call it after sync:
// replies are written before the barrier is handled, and loopback delivers
// synchronously, so a reply would already be queued.
func (h *harness) noReply() {
	h.t.Helper()
	h.client.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	b := make([]byte, 2048)
	n, _, err := h.client.ReadFromUDPAddrPort(b)
	if err == nil {
		h.t.Fatalf("unexpected reply % x", b[:n])
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		h.t.Fatal(err)
	}
}

// recv waits for a datagram on inbox.
func recv(t *testing.T, inbox <-chan *Datagram) *Datagram {
	t.Helper()
	select {
	case d := <-inbox:
		return d
	case <-time.After(waitTimeout):
		t.Fatal("no datagram in inbox")
		return nil
	}
}

// shortPacket returns an n-byte datagram with a short header for dcid.
func shortPacket(dcid []byte, n int) []byte {
	b := append([]byte{0x41}, dcid...)
	for len(b) < n {
		b = append(b, byte(len(b)))
	}
	return b[:n]
}

// clientInitial returns a client's first Initial for dcid and scid, padded
// to size bytes and protected with the client's Initial keys.
func clientInitial(version uint32, dcid, scid []byte, size int) []byte {
	client, _ := protect.InitialKeys(version, dcid)
	b, lengthOff, pnOff := wire.AppendLongHeader(nil, wire.LongHeaderFields{
		Type: wire.PacketInitial, Version: version, DstConnID: dcid, SrcConnID: scid,
		PacketNumber: 0, PacketNumberLen: 2,
	})
	b = append(b, byte(wire.FramePing))
	for len(b)+protect.TagLen < size {
		b = append(b, 0)
	}
	wire.PutLongHeaderLength(b, lengthOff, len(b)-pnOff+protect.TagLen)
	return client.Seal(b, pnOff, 2, 0)
}

// longPacket returns a Handshake packet for dcid, unprotected, of n bytes.
func longPacket(dcid []byte, n int) []byte {
	b, lengthOff, pnOff := wire.AppendLongHeader(nil, wire.LongHeaderFields{
		Type: wire.PacketHandshake, Version: wire.Version1, DstConnID: dcid,
		SrcConnID: []byte{1, 2, 3, 4}, PacketNumber: 0, PacketNumberLen: 1,
	})
	for len(b) < n {
		b = append(b, 0)
	}
	wire.PutLongHeaderLength(b, lengthOff, len(b)-pnOff)
	return b
}

// unknownVersionPacket returns a long header of version v, n bytes long.
func unknownVersionPacket(v uint32, dcid, scid []byte, n int) []byte {
	b := []byte{0xc0, byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	b = append(b, byte(len(dcid)))
	b = append(b, dcid...)
	b = append(b, byte(len(scid)))
	b = append(b, scid...)
	for len(b) < n {
		b = append(b, 0)
	}
	return b
}

func cid(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

package mux

import (
	"context"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

func TestClose(t *testing.T) {
	h := newHarness(t, Config{Server: true, AcceptBacklog: 4})
	// Leave a datagram in the backlog for Close to release.
	h.send(clientInitial(wire.Version1, cid(1, 8), nil, 1200))
	h.sync()

	d, err := h.m.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.Release()
	h.send(clientInitial(wire.Version1, cid(2, 8), nil, 1200))
	h.sync()

	h2 := newHarness(t, Config{Server: true})
	accepted := make(chan error, 1)
	go func() {
		_, err := h2.m.Accept(context.Background())
		accepted <- err
	}()

	for _, m := range []*Mux{h.m, h2.m} {
		closed := make(chan error, 1)
		go func() { closed <- m.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close: %v", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("Close hangs")
		}
		select {
		case <-m.readerEnd:
		default:
			t.Error("reader goroutine still running after Close")
		}
		select {
		case <-m.Done():
		default:
			t.Error("Done not closed after Close")
		}
		if err := m.Err(); err != ErrClosed {
			t.Errorf("Err = %v, want ErrClosed", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := m.Register(cid(3, 8), make(chan *Datagram)); err != ErrClosed {
			t.Errorf("Register after Close = %v", err)
		}
		if err := m.RegisterPeer(h.clientAddr(), make(chan *Datagram)); err != ErrClosed {
			t.Errorf("RegisterPeer after Close = %v", err)
		}
		if err := m.WriteTo([]byte{1}, h.clientAddr()); err != ErrClosed {
			t.Errorf("WriteTo after Close = %v", err)
		}
		if _, err := m.Accept(context.Background()); err != ErrClosed {
			t.Errorf("Accept after Close = %v", err)
		}
	}
	select {
	case err := <-accepted:
		if err != ErrClosed {
			t.Errorf("pending Accept = %v, want ErrClosed", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Close did not wake Accept")
	}
	if n := len(h.m.backlog); n != 0 {
		t.Errorf("%d datagrams left in the backlog", n)
	}
}

func TestWriteTo(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.m.WriteTo([]byte("hello"), h.clientAddr()); err != nil {
		t.Fatal(err)
	}
	if got := string(h.reply()); got != "hello" {
		t.Errorf("client got %q", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Versions: []uint32{0x1a2a3a4a}},
		{ConnIDLen: 21},
		{ConnIDLen: -1},
		{AcceptBacklog: -1},
		{MaxDatagramSize: 1199},
		{ReplyRate: -1},
	} {
		c := listenLoopback(t)
		if m, err := New(c, cfg); err == nil {
			m.Close()
			t.Errorf("New accepted %+v", cfg)
		}
		c.Close()
	}
}

package quic

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core"
)

// TestListenerDial checks that one Listener's socket both accepts and
// dials: two Listeners dial each other, each while accepting.
func TestListenerDial(t *testing.T) {
	base := runtime.NumGoroutine()
	a := listen(t, nil)
	b := listen(t, nil)
	echoServer(a)
	echoServer(b)
	_, ctls := testTLS(t)
	for _, tc := range []struct {
		name     string
		from, to *Listener
	}{{"a to b", a, b}, {"b to a", b, a}} {
		s, err := tc.from.Dial(testCtx(t), tc.to.Addr().String(), ctls, nil)
		if err != nil {
			t.Fatalf("%s: Dial: %v", tc.name, err)
		}
		if got, want := s.LocalAddr().String(), tc.from.Addr().String(); got != want {
			t.Errorf("%s: session's local address %v, want the listener's %v", tc.name, got, want)
		}
		if got, err := echo(testCtx(t), s, []byte(tc.name)); err != nil || string(got) != tc.name {
			t.Errorf("%s: echo = %q, %v", tc.name, got, err)
		}
	}
	// The dialing listener still accepts ordinary clients.
	if got, err := echo(testCtx(t), dial(t, a, nil), []byte("plain")); err != nil || string(got) != "plain" {
		t.Errorf("echo through a dialing listener = %q, %v", got, err)
	}

	// Closing a Listener ends the sessions it dialed.
	s, err := a.Dial(testCtx(t), b.Addr().String(), ctls, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	<-s.Context().Done()
	var ae *ApplicationError
	if err := context.Cause(s.Context()); !errors.As(err, &ae) || ae.Remote || ae.Code != 0 {
		t.Errorf("dialed session ended with %v after its listener closed; want local *ApplicationError 0", err)
	}
	if _, err := a.Dial(testCtx(t), b.Addr().String(), ctls, nil); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Dial on a closed listener = %v; want net.ErrClosed", err)
	}
	b.Close()
	waitGoroutines(t, base)
}

func TestListenerDialErrors(t *testing.T) {
	l := listen(t, nil)
	_, ctls := testTLS(t)
	if _, err := l.Dial(testCtx(t), "[::1]:443", ctls, nil); err == nil {
		t.Error("an IPv4 listener dialed an IPv6 address")
	}
	if _, err := l.Dial(testCtx(t), "127.0.0.1:443", nil, nil); err == nil {
		t.Error("Dial without a TLS config succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Dial(ctx, "127.0.0.1:9", ctls, nil) // nothing answers
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Dial = %v; want context.Canceled", err)
	}
}

// TestHandshakeTimeout checks that a handshake that stalls ends with
// ErrHandshakeTimeout: a Dial to a peer that never answers, and a server
// session whose client sent one Initial and vanished, which frees its
// accept slot.
func TestHandshakeTimeout(t *testing.T) {
	conf := &Config{HandshakeTimeout: 100 * time.Millisecond, AcceptBacklog: 1}
	t.Run("Dial", func(t *testing.T) {
		silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer silent.Close()
		_, ctls := testTLS(t)
		_, err = Dial(testCtx(t), "udp", silent.LocalAddr().String(), ctls, conf)
		var nerr net.Error
		if !errors.Is(err, ErrHandshakeTimeout) || !errors.As(err, &nerr) || !nerr.Timeout() {
			t.Errorf("Dial = %v; want ErrHandshakeTimeout", err)
		}
	})
	t.Run("Listener", func(t *testing.T) {
		l := listen(t, conf)
		echoServer(l)
		// A client's first Initial, sent from a socket that never answers.
		raw, err := net.DialUDP("udp", nil, l.Addr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		_, ctls := testTLS(t)
		ctls.ServerName = "localhost"
		scid := make([]byte, core.ConnIDLen)
		rand.Read(scid)
		now := time.Now()
		c, err := core.NewClient((*Config)(nil).coreConfig(ctls, nil), core.ClientOptions{PeerAddr: l.mux.LocalAddr(), SrcConnID: scid}, now)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseWithTransportError(0, "", now)
		buf := make([]byte, 1500)
		n, _ := c.Send(buf, now)
		if n == 0 {
			t.Fatal("the client core sent nothing")
		}
		if _, err := raw.Write(buf[:n]); err != nil {
			t.Fatal(err)
		}
		// The stalled session holds the only slot until its handshake
		// times out; then a real client connects.
		for l.mux.Stats().Accepted == 0 {
			runtime.Gosched()
		}
		_, ctls = testTLS(t)
		for {
			s, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, nil)
			var te *TransportError
			if errors.As(err, &te) && te.Code == ConnectionRefused {
				continue
			}
			if err != nil {
				t.Fatalf("Dial: %v (stats %+v)", err, l.mux.Stats())
			}
			if got, err := echo(testCtx(t), s, []byte("after")); err != nil || string(got) != "after" {
				t.Errorf("echo = %q, %v", got, err)
			}
			s.Close()
			break
		}
	})
}

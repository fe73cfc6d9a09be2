package core

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quince-go/quic/internal/core/wire"
)

func datagramPair(t *testing.T, link linkConfig, clientMax, serverMax uint64) *testPair {
	p := newTestPair(t, 5, link, &Config{MaxDatagramFrameSize: clientMax}, &Config{MaxDatagramFrameSize: serverMax})
	p.handshake()
	return p
}

// TestDatagrams checks that datagrams (RFC 9221) go both ways intact and in
// order on a clean link.
func TestDatagrams(t *testing.T) {
	p := datagramPair(t, linkConfig{delay: 10 * time.Millisecond}, 65535, 65535)
	var want [][]byte
	for i := range 20 {
		d := make([]byte, i*50)
		for j := range d {
			d[j] = byte(i + j)
		}
		want = append(want, d)
		if err := p.client.SendDatagram(d); err != nil {
			t.Fatalf("SendDatagram(%d bytes): %v", len(d), err)
		}
		if err := p.server.SendDatagram(d); err != nil {
			t.Fatalf("server SendDatagram(%d bytes): %v", len(d), err)
		}
	}
	var gotServer, gotClient [][]byte
	sawEvent := false
	p.run(5*time.Second, func() bool {
		for {
			e, ok := p.server.NextEvent()
			if !ok {
				break
			}
			sawEvent = sawEvent || e.Kind == EventDatagram
		}
		for d, ok := p.server.ReceiveDatagram(); ok; d, ok = p.server.ReceiveDatagram() {
			gotServer = append(gotServer, d)
		}
		for d, ok := p.client.ReceiveDatagram(); ok; d, ok = p.client.ReceiveDatagram() {
			gotClient = append(gotClient, d)
		}
		return len(gotServer) == len(want) && len(gotClient) == len(want)
	})
	if !sawEvent {
		t.Error("no EventDatagram on the server")
	}
	if diff := cmp.Diff(want, gotServer, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("server received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, gotClient, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("client received (-want +got):\n%s", diff)
	}
}

// TestDatagramLimits checks SendDatagram's errors: a peer that accepts no
// datagrams, and sizes at and beyond the peer's max_datagram_frame_size and
// the path's datagram size.
func TestDatagramLimits(t *testing.T) {
	tests := []struct {
		name      string
		serverMax uint64
		wantMax   int
	}{
		// A frame of 100 bytes: type, a 2-byte length, 97 bytes of data.
		{"peer limit", 100, 97},
		// 1,200-byte datagrams: 1 + 8 + 4 bytes of short header, a
		// 16-byte tag, a type and a 2-byte length.
		{"path limit", 65535, 1200 - 13 - 16 - 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := datagramPair(t, linkConfig{delay: 10 * time.Millisecond, mtu: 1200}, 65535, tt.serverMax)
			if got := p.client.MaxDatagramSize(); got != tt.wantMax {
				t.Fatalf("MaxDatagramSize = %d; want %d", got, tt.wantMax)
			}
			if err := p.client.SendDatagram(make([]byte, tt.wantMax+1)); !errors.Is(err, ErrDatagramTooLarge) {
				t.Errorf("SendDatagram(max+1) = %v; want ErrDatagramTooLarge", err)
			}
			if err := p.client.SendDatagram(make([]byte, tt.wantMax)); err != nil {
				t.Fatalf("SendDatagram(max) = %v", err)
			}
			var got []byte
			p.run(5*time.Second, func() bool {
				d, ok := p.server.ReceiveDatagram()
				if ok {
					got = d
				}
				return ok
			})
			if len(got) != tt.wantMax || p.server.Err() != nil {
				t.Errorf("server got %d bytes, error %v; want %d bytes", len(got), p.server.Err(), tt.wantMax)
			}
		})
	}
	t.Run("unsupported", func(t *testing.T) {
		p := datagramPair(t, linkConfig{delay: 10 * time.Millisecond}, 65535, 0)
		if err := p.client.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsUnsupported) {
			t.Errorf("SendDatagram = %v; want ErrDatagramsUnsupported", err)
		}
		if n := p.client.MaxDatagramSize(); n != 0 {
			t.Errorf("MaxDatagramSize = %d; want 0", n)
		}
	})
	t.Run("before the handshake", func(t *testing.T) {
		p := newTestPair(t, 5, linkConfig{}, &Config{MaxDatagramFrameSize: 65535}, &Config{MaxDatagramFrameSize: 65535})
		if err := p.client.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsUnsupported) {
			t.Errorf("SendDatagram = %v; want ErrDatagramsUnsupported", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		p := datagramPair(t, linkConfig{}, 65535, 65535)
		p.client.Close(7, "bye", p.now)
		var ce *ConnError
		if err := p.client.SendDatagram([]byte("x")); !errors.As(err, &ce) {
			t.Errorf("SendDatagram after Close = %v; want the ConnError", err)
		}
	})
}

// TestDatagramFrameErrors checks RFC 9221, Section 3: a DATAGRAM frame to an
// endpoint that did not advertise max_datagram_frame_size, or larger than
// it, is a PROTOCOL_VIOLATION.
func TestDatagramFrameErrors(t *testing.T) {
	tests := []struct {
		name      string
		serverMax uint64
		data      int
	}{
		{"not advertised", 0, 1},
		{"too large", 100, 98},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := datagramPair(t, linkConfig{}, 65535, tt.serverMax)
			f := wire.DatagramFrame{Data: make([]byte, tt.data)}
			p.inject(true, f.Append(nil))
			err := p.server.Err()
			if err == nil || err.Code != uint64(wire.ProtocolViolation) || err.FrameType != wire.FrameDatagramLen {
				t.Fatalf("server error %v; want PROTOCOL_VIOLATION in a DATAGRAM frame", err)
			}
		})
	}
	t.Run("at the limit", func(t *testing.T) {
		p := datagramPair(t, linkConfig{}, 65535, 100)
		f := wire.DatagramFrame{Data: make([]byte, 97)}
		p.inject(true, f.Append(nil))
		if err := p.server.Err(); err != nil {
			t.Fatalf("server error %v", err)
		}
		if d, ok := p.server.ReceiveDatagram(); !ok || len(d) != 97 {
			t.Fatalf("ReceiveDatagram = %d bytes, %v; want 97", len(d), ok)
		}
	})
}

// TestDatagramsLossy sends 1,000 datagrams, one a millisecond, over a lossy
// link that duplicates and reorders: each datagram arrives intact or not at
// all, never twice, and none is sent twice (RFC 9221, Section 5.2).
func TestDatagramsLossy(t *testing.T) {
	p := datagramPair(t, linkConfig{delay: 20 * time.Millisecond, jitter: 5 * time.Millisecond, loss: 0.05, duplicate: 0.02}, 65535, 65535)
	const n = 1000
	sent := 0
	received := map[uint32]int{}
	corrupt := 0
	drain := func() {
		for d, ok := p.server.ReceiveDatagram(); ok; d, ok = p.server.ReceiveDatagram() {
			if len(d) < 8 || crc32.ChecksumIEEE(d[8:]) != binary.BigEndian.Uint32(d[4:]) {
				corrupt++
				continue
			}
			received[binary.BigEndian.Uint32(d)]++
		}
	}
	next := p.now
	p.run(30*time.Second, func() bool {
		for sent < n && !p.now.Before(next) {
			d := make([]byte, 8+100+sent%500)
			binary.BigEndian.PutUint32(d, uint32(sent))
			for j := 8; j < len(d); j++ {
				d[j] = byte(sent * j)
			}
			binary.BigEndian.PutUint32(d[4:], crc32.ChecksumIEEE(d[8:]))
			if err := p.client.SendDatagram(d); err != nil {
				t.Fatalf("SendDatagram %d: %v", sent, err)
			}
			sent++
			next = next.Add(time.Millisecond)
		}
		drain()
		if sent < n {
			// Wake the harness when the next datagram is due.
			p.client.pacingUntil = next
		}
		return sent == n && p.client.datagramsOut.len() == 0 && len(p.inflight) == 0
	})
	drain()
	st := p.client.Stats()
	if corrupt > 0 {
		t.Errorf("%d corrupt datagrams", corrupt)
	}
	for seq, k := range received {
		if k != 1 || seq >= n {
			t.Errorf("datagram %d arrived %d times", seq, k)
		}
	}
	if st.DatagramsSentFrames+st.DatagramsDropped != n {
		t.Errorf("%d DATAGRAM frames sent and %d dropped for %d datagrams; each must go once", st.DatagramsSentFrames, st.DatagramsDropped, n)
	}
	// The sender drops datagrams that pile up while congestion control
	// holds them back; of those sent, about 90% arrive.
	if sentFrames := int(st.DatagramsSentFrames); len(received) < sentFrames*8/10 || len(received) > sentFrames || sentFrames < n/4 {
		t.Errorf("%d of %d datagrams arrived, %d sent; want about 90%% of those sent", len(received), n, sentFrames)
	}
	t.Logf("%d of %d arrived; %d dropped at the sender; stats %+v", len(received), n, st.DatagramsDropped, st)
}

// TestDatagramQueueBounds checks that both queues keep the newest datagrams
// when they fill.
func TestDatagramQueueBounds(t *testing.T) {
	p := datagramPair(t, linkConfig{delay: 10 * time.Millisecond}, 65535, 65535)
	for i := range maxSendDatagrams + 10 {
		if err := p.client.SendDatagram([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := p.client.Stats().DatagramsDropped; got != 10 {
		t.Errorf("sender dropped %d; want 10", got)
	}
	for i := range maxRecvDatagrams + 10 {
		if err := p.client.SendDatagram([]byte{byte(maxSendDatagrams + 10 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	p.run(5*time.Second, func() bool { return p.client.datagramsOut.len() == 0 && len(p.inflight) == 0 })
	var got []byte
	for d, ok := p.server.ReceiveDatagram(); ok; d, ok = p.server.ReceiveDatagram() {
		got = append(got, d[0])
	}
	if len(got) != maxRecvDatagrams {
		t.Fatalf("received %d; want %d", len(got), maxRecvDatagrams)
	}
	total := 2*maxSendDatagrams + 20 // sent, counting the dropped
	for i, b := range got {
		if want := byte(total - maxRecvDatagrams + i); b != want {
			t.Fatalf("datagram %d is %d; want %d (the newest kept)", i, b, want)
		}
	}
}

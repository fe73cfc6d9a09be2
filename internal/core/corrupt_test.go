package core

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Corrupted datagrams must never crash an endpoint nor reach the
// application: every QUIC packet is authenticated (RFC 9001, Section 5), so
// a damaged packet fails to open and is dropped (RFC 9000, Section 12.2),
// and the lost data is sent again.

func TestCorruptTransfer(t *testing.T) {
	for _, tc := range []struct {
		name string
		link linkConfig
	}{
		{"corrupt5_loss2", linkConfig{delay: 10 * time.Millisecond, jitter: 3 * time.Millisecond, loss: 0.02, duplicate: 0.02, corrupt: 0.05}},
		{"corrupt20_loss5", linkConfig{delay: 10 * time.Millisecond, jitter: 3 * time.Millisecond, loss: 0.05, duplicate: 0.02, corrupt: 0.20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 11, tc.link, nil, nil)
			sizes := append(repeat(20, 100<<10), 4<<20)
			runTransfer(t, p, sizes, time.Hour)
			cs := p.client.Stats()
			ss := p.server.Stats()
			if cs.PacketsDropped == 0 || ss.PacketsDropped == 0 {
				t.Errorf("PacketsDropped: client %d, server %d; want both > 0 with corruption", cs.PacketsDropped, ss.PacketsDropped)
			}
			if cs.LocalErrors != 0 || ss.LocalErrors != 0 {
				t.Errorf("LocalErrors: client %d, server %d; want 0", cs.LocalErrors, ss.LocalErrors)
			}
		})
	}
}

func TestCorruptHandshake(t *testing.T) {
	link := linkConfig{delay: 10 * time.Millisecond, jitter: 5 * time.Millisecond, loss: 0.05, duplicate: 0.05, corrupt: 0.30}
	for seed := uint64(1); seed <= 16; seed++ {
		t.Run("seed"+itoa(int(seed)), func(t *testing.T) {
			p := newTestPair(t, seed, link, nil, nil)
			runTransfer(t, p, repeat(3, 50<<10), 10*time.Minute)
		})
	}
}

// TestCorruptInjected hands each endpoint, besides every genuine datagram,
// several mangled copies of it: bytes flipped, cut short, extended with
// junk, or with a run of bytes overwritten. None may close the connection,
// and the data must still arrive intact.
func TestCorruptInjected(t *testing.T) {
	link := linkConfig{delay: 10 * time.Millisecond, jitter: 2 * time.Millisecond, loss: 0.02}
	p := newTestPair(t, 5, link, nil, nil)
	rng := rand.New(rand.NewPCG(99, 99))
	type injection struct {
		toServer bool
		data     []byte
	}
	var queue []injection
	p.onDatagram = func(toServer bool, d []byte) bool {
		for range 3 {
			queue = append(queue, injection{toServer, mangle(rng, d)})
		}
		return true
	}
	injected := map[bool]int{}
	inject := func() {
		for _, in := range queue {
			if in.toServer && p.server == nil {
				continue
			}
			c := p.client
			from := serverAddr
			if in.toServer {
				c, from = p.server, clientAddr
			}
			c.Receive(in.data, from, p.now)
			injected[in.toServer]++
			if err := c.Err(); err != nil {
				t.Fatalf("mangled datagram closed the connection (toServer=%v): %v", in.toServer, err)
			}
		}
		queue = queue[:0]
	}
	ok := p.run(time.Minute, func() bool {
		inject()
		return p.client.HandshakeConfirmed() && p.server != nil && p.server.HandshakeConfirmed()
	})
	if !ok {
		t.Fatalf("handshake did not complete: client err %v, server err %v", p.client.Err(), p.serverErr())
	}
	tr := newTransfer(p, append(repeat(10, 64<<10), 1<<20), 3)
	if !p.run(time.Hour, func() bool { inject(); return tr.done() }) {
		t.Fatalf("transfer did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
	}
	tr.check(t)
	checkOpen(t, p)
	cs := p.client.Stats()
	ss := p.server.Stats()
	if cs.PacketsDropped == 0 || ss.PacketsDropped == 0 {
		t.Errorf("PacketsDropped: client %d, server %d; want both > 0", cs.PacketsDropped, ss.PacketsDropped)
	}
	t.Logf("injected %d to server, %d to client; dropped: server %d, client %d",
		injected[true], injected[false], ss.PacketsDropped, cs.PacketsDropped)
}

// mangle returns a damaged copy of d.
func mangle(rng *rand.Rand, d []byte) []byte {
	b := append([]byte(nil), d...)
	switch rng.IntN(5) {
	case 0: // one bit
		i := rng.IntN(len(b))
		b[i] ^= 1 << rng.IntN(8)
	case 1: // several bytes
		for range 1 + rng.IntN(8) {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
	case 2: // cut short
		b = b[:rng.IntN(len(b))]
	case 3: // junk appended
		for range 1 + rng.IntN(64) {
			b = append(b, byte(rng.Uint32()))
		}
	case 4: // a run overwritten, often in the header
		start := rng.IntN(min(len(b), 48))
		end := min(len(b), start+1+rng.IntN(16))
		for i := start; i < end; i++ {
			b[i] = byte(rng.Uint32())
		}
	}
	return b
}

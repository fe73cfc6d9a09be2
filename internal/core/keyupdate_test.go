package core

import (
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// Key updates (RFC 9001, Section 6) in the middle of transfers.

// phaseWatch follows the key phase bit of the 1-RTT packets each side sends.
// The bit is header-protected, so it unmasks a copy of each packet with the
// receiver's header key, which never changes (RFC 9001, Section 6).
type phaseWatch struct {
	p *testPair
	// flips counts changes of the key phase bit from one packet to the
	// next, by direction (true: client to server).
	flips, packets map[bool]int
	last           map[bool]bool
}

func watchPhases(p *testPair) *phaseWatch {
	w := &phaseWatch{p: p, flips: map[bool]int{}, packets: map[bool]int{}, last: map[bool]bool{}}
	p.onDatagram = func(toServer bool, d []byte) bool {
		w.see(toServer, d)
		return true
	}
	return w
}

func (w *phaseWatch) see(toServer bool, d []byte) {
	receiver := w.p.client
	if toServer {
		receiver = w.p.server
	}
	if receiver == nil || receiver.keys1RTT.read == nil {
		return
	}
	for len(d) > 0 {
		pkt, rest, err := wire.NextPacket(d, 8)
		if err != nil {
			return
		}
		d = rest
		if pkt[0]&0x80 != 0 {
			continue
		}
		_, pnOffset, err := wire.ParseShortHeader(pkt, 8)
		if err != nil {
			w.p.t.Fatalf("short header: %v", err)
		}
		pkt = append([]byte(nil), pkt...)
		if _, err := receiver.keys1RTT.read.Header.RemoveHeaderProtection(pkt, pnOffset); err != nil {
			w.p.t.Fatalf("RemoveHeaderProtection: %v", err)
		}
		phase := wire.ShortHeaderKeyPhase(pkt[0])
		if w.packets[toServer] > 0 && phase != w.last[toServer] {
			w.flips[toServer]++
		}
		w.last[toServer] = phase
		w.packets[toServer]++
	}
}

// TestKeyUpdateInitiated starts one key update by hand, from either side,
// once a third of the data has arrived.
func TestKeyUpdateInitiated(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server bool // the server starts the update
		link   linkConfig
	}{
		{"client", false, linkConfig{delay: 10 * time.Millisecond}},
		{"server", true, linkConfig{delay: 10 * time.Millisecond}},
		{"client_loss5", false, linkConfig{delay: 10 * time.Millisecond, jitter: 3 * time.Millisecond, loss: 0.05, duplicate: 0.02}},
		{"server_loss5", true, linkConfig{delay: 10 * time.Millisecond, jitter: 3 * time.Millisecond, loss: 0.05, duplicate: 0.02}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 21, tc.link, nil, nil)
			w := watchPhases(p)
			p.handshake()
			const size = 3 << 20
			tr := newTransfer(p, append([]int{size}, repeat(8, 64<<10)...), 1)
			initiator := p.client
			if tc.server {
				initiator = p.server
			}
			started := false
			var lastErr error
			ok := p.run(time.Hour, func() bool {
				done := tr.done()
				if !started && len(tr.ids) > 0 && tr.got[tr.ids[0]] != nil && tr.got[tr.ids[0]].Len() >= size/3 {
					// It may fail until a packet of the current phase is
					// acknowledged (RFC 9001, Section 6.1); try again later.
					if lastErr = initiator.InitiateKeyUpdate(); lastErr == nil {
						started = true
					}
				}
				return done && started
			})
			if !started {
				t.Fatalf("InitiateKeyUpdate never succeeded: %v", lastErr)
			}
			if !ok {
				t.Fatalf("transfer did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
			}
			tr.check(t)
			checkOpen(t, p)
			checkKeyUpdates(t, p, w, 1, 1)
		})
	}
}

// TestKeyUpdateInterval updates keys every few hundred packets through
// Config.KeyUpdateInterval during a transfer with loss and reordering.
func TestKeyUpdateInterval(t *testing.T) {
	link := linkConfig{delay: 10 * time.Millisecond, jitter: 3 * time.Millisecond, loss: 0.05, duplicate: 0.02}
	for _, tc := range []struct {
		name           string
		client, server uint64 // KeyUpdateInterval of each
		minUpdates     int
	}{
		{"client_every_1000", 1000, 0, 8},
		{"server_every_300", 0, 300, 8},
		{"both_every_500", 500, 500, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 8, link, &Config{KeyUpdateInterval: tc.client}, &Config{KeyUpdateInterval: tc.server})
			w := watchPhases(p)
			runTransfer(t, p, append([]int{12 << 20}, repeat(20, 100<<10)...), time.Hour)
			checkKeyUpdates(t, p, w, tc.minUpdates, 1<<30)
		})
	}
}

// checkKeyUpdates checks that both sides count the same number of key
// updates, between lo and hi, and that the key phase bit flipped that often
// on the wire in each direction.
func checkKeyUpdates(t *testing.T, p *testPair, w *phaseWatch, lo, hi int) {
	t.Helper()
	cs := p.client.Stats()
	ss := p.server.Stats()
	n := p.client.keys1RTT.updates
	if n < lo || n > hi {
		t.Errorf("client saw %d key updates; want %d to %d", n, lo, hi)
	}
	if got := p.server.keys1RTT.updates; got != n {
		t.Errorf("server saw %d key updates, client %d", got, n)
	}
	// Stats count an update from when it starts; one that an endpoint
	// started as the transfer ended may be unanswered yet.
	pending := func(c *Conn) uint64 {
		if c.keys1RTT.writePhase != c.keys1RTT.readPhase {
			return 1
		}
		return 0
	}
	if cs.KeyUpdates != uint64(n)+pending(p.client) || ss.KeyUpdates != uint64(n)+pending(p.server) {
		t.Errorf("Stats().KeyUpdates: client %d, server %d; want %d and updates in progress (client %d, server %d)",
			cs.KeyUpdates, ss.KeyUpdates, n, pending(p.client), pending(p.server))
	}
	if w.flips[true] != n || w.flips[false] != n {
		t.Errorf("key phase flipped %d times client to server, %d server to client; want %d", w.flips[true], w.flips[false], n)
	}
	t.Logf("%d key updates; 1-RTT packets watched: %d to server, %d to client", n, w.packets[true], w.packets[false])
}

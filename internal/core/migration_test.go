package core

import (
	"bytes"
	"container/heap"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// Connection migration (RFC 9000, Section 9) in the harness: the link moves
// the client to a new address when it next sends (p.rebindTo), as a NAT
// rebinding would, and datagrams to the old address are lost from then on.

// download has the client ask for size bytes on one stream and the server
// send them; the client checks them.
type download struct {
	p     *testPair
	want  []byte
	id    int64
	asked bool
	sent  int
	got   bytes.Buffer
	fin   bool
	buf   []byte
}

func newDownload(p *testPair, size int) *download {
	return &download{p: p, want: makePayload(size, 99), id: -1, buf: make([]byte, 64<<10)}
}

func (d *download) step() {
	c, s := d.p.client, d.p.server
	if !d.asked {
		id, err := c.OpenStream(true)
		if err != nil {
			return
		}
		c.StreamWrite(id, []byte("get"), true)
		d.id, d.asked = id, true
	}
	if s != nil {
		if _, ok := s.AcceptStream(true); ok {
			// The stream the client opened: d.id.
		}
		for d.sent < len(d.want) {
			n, err := s.StreamWrite(d.id, d.want[d.sent:], true)
			if err != nil || n == 0 {
				break
			}
			d.sent += n
		}
	}
	for !d.fin {
		n, fin, err := c.StreamRead(d.id, d.buf)
		if err != nil {
			break
		}
		d.got.Write(d.buf[:n])
		d.fin = fin
		if n == 0 {
			break
		}
	}
}

func (d *download) done() bool {
	d.step()
	return d.fin
}

func (d *download) check(t *testing.T) {
	t.Helper()
	if sha256.Sum256(d.got.Bytes()) != sha256.Sum256(d.want) {
		t.Errorf("downloaded %d bytes with a different checksum; want %d bytes", d.got.Len(), len(d.want))
	}
}

// pathLog records what the link carried to and from each client address,
// and the path frames in it.
type pathLog struct {
	toAddr, fromAddr map[netip.AddrPort]int
	// ampViolation is set when the server sent more than three times what
	// it received from an address it was validating.
	ampViolation string
}

// watchPaths installs a pathLog on the pair. validating says whether the
// server's limit applies to an address.
func watchPaths(p *testPair) *pathLog {
	l := &pathLog{toAddr: map[netip.AddrPort]int{}, fromAddr: map[netip.AddrPort]int{}}
	p.onAddr = func(toServer bool, d []byte, addr netip.AddrPort) {
		if toServer {
			l.fromAddr[addr] += len(d)
			return
		}
		l.toAddr[addr] += len(d)
		if addr != clientAddr && !p.server.addressValidated && sameAddr(p.server.PeerAddr(), addr) &&
			l.toAddr[addr] > 3*l.fromAddr[addr] && l.ampViolation == "" {
			l.ampViolation = "server sent " + itoa(l.toAddr[addr]) + " bytes to " + addr.String() + " after receiving " + itoa(l.fromAddr[addr])
		}
	}
	return l
}

// addrCmp compares addresses for cmp.
var addrCmp = cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b })

// pathEvents drains the server's events and returns the path ones.
func pathEvents(c *Conn) []Event {
	var out []Event
	for {
		e, ok := c.NextEvent()
		if !ok {
			return out
		}
		switch e.Kind {
		case EventPathChanged, EventPathValidated, EventPathFailed:
			out = append(out, Event{Kind: e.Kind, Addr: e.Addr})
		}
	}
}

func TestNATRebinding(t *testing.T) {
	for _, tc := range []struct {
		name    string
		newAddr netip.AddrPort
		resetCC bool // RFC 9000, Section 9.4: unless only the port changed
	}{
		{"port", netip.MustParseAddrPort("192.0.2.1:61000"), false},
		{"address", netip.MustParseAddrPort("198.51.100.7:4433"), true},
	} {
		for _, dir := range []string{"download", "upload"} {
			t.Run(tc.name+"_"+dir, func(t *testing.T) {
				p := newTestPair(t, 11, linkConfig{delay: 10 * time.Millisecond, jitter: time.Millisecond, loss: 0.05}, nil, nil)
				log := watchPaths(p)
				p.handshake()
				pathEvents(p.server)
				const size = 4 << 20
				var done func() bool
				var check func()
				var progress func() int
				if dir == "download" {
					d := newDownload(p, size)
					done, check, progress = d.done, func() { d.check(t) }, func() int { return d.got.Len() }
				} else {
					tr := newTransfer(p, []int{size}, 3)
					done, check = tr.done, func() { tr.check(t) }
					progress = func() int {
						if len(tr.ids) == 0 || tr.got[tr.ids[0]] == nil {
							return 0
						}
						return tr.got[tr.ids[0]].Len()
					}
				}
				if !p.run(time.Minute, func() bool { done(); return progress() > size/4 }) {
					t.Fatalf("no progress before the rebinding")
				}
				// Let congestion control open up, so a reset is visible.
				windowBefore := p.server.cc.Window()
				p.rebindTo = tc.newAddr
				var windowAtValidation int
				var sawValidation bool
				if !p.run(5*time.Minute, func() bool {
					if !sawValidation && p.server.PathStats().Validations > 0 {
						sawValidation = true
						windowAtValidation = p.server.cc.Window()
					}
					return done()
				}) {
					t.Fatalf("transfer did not finish after the rebinding: client err %v, server err %v", p.client.Err(), p.serverErr())
				}
				check()
				checkOpen(t, p)
				if got := p.server.PeerAddr(); got != tc.newAddr {
					t.Errorf("server sends to %v; want %v", got, tc.newAddr)
				}
				if log.ampViolation != "" {
					t.Errorf("anti-amplification limit broken before validation: %s", log.ampViolation)
				}
				if !sawValidation {
					t.Fatalf("the server never validated the new path")
				}
				if dir == "download" {
					// (The upload helper drains the server's events.)
					evs := pathEvents(p.server)
					want := []Event{{Kind: EventPathChanged, Addr: tc.newAddr}, {Kind: EventPathValidated, Addr: tc.newAddr}}
					if diff := cmp.Diff(want, evs, addrCmp); diff != "" {
						t.Errorf("server path events (-want +got):\n%s", diff)
					}
				}
				if got, want := p.server.PathStats(), (PathStats{Migrations: 1, Validations: 1}); got.Migrations != want.Migrations || got.Validations != want.Validations {
					t.Errorf("server path stats %+v; want %d migration, %d validation", got, want.Migrations, want.Validations)
				}
				initial := newTestPair(t, 1, linkConfig{}, nil, nil).client.cc.Window()
				if tc.resetCC && windowAtValidation != initial {
					t.Errorf("congestion window at validation %d; want the initial %d (before: %d)", windowAtValidation, initial, windowBefore)
				}
				if !tc.resetCC && windowAtValidation == initial && windowBefore != initial {
					t.Errorf("congestion window reset to %d on a port-only change", windowAtValidation)
				}
				if p.server.connIDs.peerID()[0] == 0xc {
					t.Errorf("server still sends to the client's first connection ID after the migration")
				}
			})
		}
	}
}

// TestPathChallengeOnRebinding checks the frames of the validation: the
// server sends PATH_CHALLENGE to the new address, one of them in a datagram
// expanded to 1,200 bytes (RFC 9000, Section 8.2.1), and the client answers
// with PATH_RESPONSE from there. The server also challenges the old address
// once (Section 9.3.3).
func TestPathChallengeOnRebinding(t *testing.T) {
	p := newTestPair(t, 5, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	newAddr := netip.MustParseAddrPort("203.0.113.9:9999")
	var challengeSizes []int
	var serverChallenges, clientResponses, oldChallenges int
	p.onAddr = func(toServer bool, d []byte, addr netip.AddrPort) {
		if toServer {
			if n := p.client.PathStats().ResponsesSent; n > clientResponses {
				clientResponses = n
				if addr != newAddr {
					t.Errorf("PATH_RESPONSE from %v; want %v", addr, newAddr)
				}
			}
			return
		}
		if n := p.server.PathStats().ChallengesSent; n > serverChallenges {
			serverChallenges = n
			switch addr {
			case newAddr:
				challengeSizes = append(challengeSizes, len(d))
			case clientAddr:
				oldChallenges++
			default:
				t.Errorf("PATH_CHALLENGE to %v", addr)
			}
		}
	}
	d := newDownload(p, 200<<10)
	p.run(time.Second, func() bool { d.step(); return d.got.Len() > 50<<10 })
	p.rebindTo = newAddr
	if !p.run(time.Minute, d.done) {
		t.Fatal("download did not finish")
	}
	d.check(t)
	if len(challengeSizes) == 0 || clientResponses == 0 {
		t.Fatalf("%d PATH_CHALLENGE, %d PATH_RESPONSE; want some", len(challengeSizes), clientResponses)
	}
	if got := p.server.PathStats().Validations; got != 1 {
		t.Errorf("validations = %d; want 1", got)
	}
	t.Logf("challenge datagrams to the new address: %v", challengeSizes)
	if oldChallenges != 1 {
		t.Errorf("%d PATH_CHALLENGE to the old address; want 1", oldChallenges)
	}
	if got := challengeSizes[len(challengeSizes)-1]; got < minDatagramSize {
		t.Errorf("sizes of the datagrams with PATH_CHALLENGE %v; want the last at least %d", challengeSizes, minDatagramSize)
	}
}

// spoofCopy puts a copy of the client datagram d on the link as if it came
// from addr, arriving before the genuine one (RFC 9000, Sections 9.3.2 and
// 9.3.3).
func (p *testPair) spoofCopy(d []byte, addr netip.AddrPort) {
	if p.onAddr != nil {
		p.onAddr(true, d, addr)
	}
	p.seq++
	heap.Push(&p.inflight, datagram{at: p.now, toServer: true, data: append([]byte(nil), d...), seq: p.seq, addr: addr})
}

func TestSpoofedMigration(t *testing.T) {
	attacker := netip.MustParseAddrPort("198.18.0.66:666")
	for _, tc := range []struct {
		name string
		// silence drops everything between the genuine client and the
		// server for this long after the spoofed copy, so that nothing
		// but the validation timer can undo the migration.
		silence time.Duration
		// genuineFirst lets the genuine datagram through before the
		// silence: it arrives as a duplicate of the copy, which is all
		// the server has to go back on (RFC 9000, Section 9.3.3).
		genuineFirst bool
	}{
		{"peer_keeps_sending", 0, false},
		{"validation_times_out", 10 * time.Second, false},
		{"genuine_duplicate", 10 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 21, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
			log := watchPaths(p)
			p.handshake()
			pathEvents(p.server)
			d := newDownload(p, 1<<20)
			p.run(time.Second, func() bool { d.step(); return d.got.Len() > 100<<10 })
			spoofed := false
			var silenceUntil time.Time
			p.onDatagram = func(toServer bool, b []byte) bool {
				if !spoofed && toServer {
					spoofed = true
					p.spoofCopy(b, attacker)
					silenceUntil = p.now.Add(tc.silence)
					if tc.genuineFirst {
						return true
					}
				}
				return !p.now.Before(silenceUntil)
			}
			p.run(time.Second, func() bool { d.step(); return spoofed })
			if !spoofed {
				t.Fatal("no client datagram to copy")
			}
			if !p.run(time.Minute, d.done) {
				t.Fatalf("download did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
			}
			d.check(t)
			checkOpen(t, p)
			if got := p.server.PeerAddr(); got != clientAddr {
				t.Errorf("server sends to %v; want the genuine %v", got, clientAddr)
			}
			if log.ampViolation != "" {
				t.Errorf("anti-amplification limit broken toward the attacker: %s", log.ampViolation)
			}
			if n := log.toAddr[attacker]; n == 0 || n > 3*log.fromAddr[attacker] {
				t.Errorf("server sent %d bytes to the spoofed address, which sent %d; want some, at most 3x", n, log.fromAddr[attacker])
			}
			evs := pathEvents(p.server)
			want := []Event{{Kind: EventPathChanged, Addr: attacker}, {Kind: EventPathChanged, Addr: clientAddr}}
			if tc.silence > 0 && !tc.genuineFirst {
				want = []Event{{Kind: EventPathChanged, Addr: attacker}, {Kind: EventPathFailed, Addr: attacker}, {Kind: EventPathChanged, Addr: clientAddr}}
			}
			if diff := cmp.Diff(want, evs, addrCmp); diff != "" {
				t.Errorf("server path events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientMigrate(t *testing.T) {
	p := newTestPair(t, 31, linkConfig{delay: 10 * time.Millisecond, loss: 0.05}, nil, nil)
	if err := p.client.Migrate(p.now); !errors.Is(err, ErrMigrationTooEarly) {
		t.Errorf("Migrate before the handshake: %v; want %v", err, ErrMigrationTooEarly)
	}
	log := watchPaths(p)
	p.handshake()
	pathEvents(p.server)
	d := newDownload(p, 2<<20)
	p.run(time.Minute, func() bool { d.step(); return d.got.Len() > 256<<10 })
	// The session layer moves to a new socket, then tells the core.
	newAddr := netip.MustParseAddrPort("192.0.2.77:5000")
	oldCID := clone(p.client.connIDs.peerID())
	window := p.client.cc.Window()
	p.clientAt = newAddr
	if err := p.client.Migrate(p.now); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if bytes.Equal(p.client.connIDs.peerID(), oldCID) {
		t.Errorf("client kept its connection ID on the new path")
	}
	if got, want := p.client.cc.Window(), newTestPair(t, 1, linkConfig{}, nil, nil).client.cc.Window(); got != want {
		t.Errorf("congestion window after Migrate %d (before %d); want the initial %d", got, window, want)
	}
	if !p.run(time.Minute, d.done) {
		t.Fatalf("download did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
	}
	d.check(t)
	checkOpen(t, p)
	if got := p.server.PeerAddr(); got != newAddr {
		t.Errorf("server sends to %v; want %v", got, newAddr)
	}
	if log.ampViolation != "" {
		t.Errorf("anti-amplification: %s", log.ampViolation)
	}
	if diff := cmp.Diff([]Event{{Kind: EventPathValidated, Addr: serverAddr}}, pathEvents(p.client), addrCmp); diff != "" {
		t.Errorf("client path events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Event{{Kind: EventPathChanged, Addr: newAddr}, {Kind: EventPathValidated, Addr: newAddr}}, pathEvents(p.server), addrCmp); diff != "" {
		t.Errorf("server path events (-want +got):\n%s", diff)
	}
}

func TestMigrateRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server Config
		setup  func(p *testPair)
		want   error
	}{
		{name: "disable_active_migration", server: Config{DisableActiveMigration: true}, want: ErrMigrationDisabled},
		{name: "no_spare_connection_id", setup: func(p *testPair) {
			p.client.connIDs.peer = p.client.connIDs.peer[:1]
		}, want: ErrNoConnIDForMigration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 41, linkConfig{delay: 10 * time.Millisecond}, nil, &tc.server)
			p.handshake()
			if tc.setup != nil {
				tc.setup(p)
			}
			cid := clone(p.client.connIDs.peerID())
			if err := p.client.Migrate(p.now); !errors.Is(err, tc.want) {
				t.Fatalf("Migrate: %v; want %v", err, tc.want)
			}
			if !bytes.Equal(p.client.connIDs.peerID(), cid) || p.client.PathValidating() {
				t.Errorf("a refused Migrate changed the connection")
			}
		})
	}
}

// TestDisableActiveMigration: a server that sent disable_active_migration
// leaves probes from a new address unanswered, but still follows a NAT
// rebinding, which it can't tell from a migration (RFC 9000, Section 9).
func TestDisableActiveMigration(t *testing.T) {
	for _, dam := range []bool{false, true} {
		t.Run(map[bool]string{false: "allowed", true: "disabled"}[dam], func(t *testing.T) {
			p := newTestPair(t, 51, linkConfig{delay: 10 * time.Millisecond}, nil, &Config{DisableActiveMigration: dam})
			p.handshake()
			if got := p.client.PeerParams().DisableActiveMigration; got != dam {
				t.Fatalf("client sees disable_active_migration %v; want %v", got, dam)
			}
			// A probing packet from a new address.
			probeFrom := netip.MustParseAddrPort("192.0.2.99:7000")
			pkt := seal1RTT(t, p.client, frames(&wire.PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}, &wire.PaddingFrame{N: 1200}))
			p.server.Receive(pkt, probeFrom, p.now)
			answered := 0
			for {
				n, to := p.server.Send(p.buf, p.now)
				if n == 0 {
					break
				}
				if to == probeFrom {
					answered++
					if n < minDatagramSize {
						t.Errorf("PATH_RESPONSE in %d bytes; want it expanded to %d", n, minDatagramSize)
					}
				}
			}
			if want := map[bool]int{false: 1, true: 0}[dam]; answered != want {
				t.Errorf("%d datagrams to the probing address; want %d", answered, want)
			}
			if got := p.server.PeerAddr(); got != clientAddr {
				t.Errorf("a probe moved the server to %v", got)
			}
			// NAT rebinding is followed either way.
			d := newDownload(p, 256<<10)
			newAddr := netip.MustParseAddrPort("192.0.2.1:50000")
			p.rebindTo = newAddr
			if !p.run(time.Minute, d.done) {
				t.Fatal("download did not finish")
			}
			d.check(t)
			if got := p.server.PeerAddr(); got != newAddr {
				t.Errorf("server sends to %v; want %v", got, newAddr)
			}
		})
	}
}

func TestPreferredAddress(t *testing.T) {
	// lost says which of the server's probing datagrams from the preferred
	// address the link drops: the second is its PATH_CHALLENGE, which it
	// must send again.
	for _, lost := range []int{0, 2} {
		t.Run(fmt.Sprintf("lost_probe_%d", lost), func(t *testing.T) { testPreferredAddress(t, lost) })
	}
}

func testPreferredAddress(t *testing.T, lost int) {
	preferred := netip.MustParseAddrPort("192.0.2.200:8443")
	p := newTestPair(t, 61, linkConfig{delay: 10 * time.Millisecond}, nil, &Config{PreferredIPv4: preferred})
	p.handshake()
	got, ok := p.client.PreferredAddress()
	if !ok || got != preferred {
		t.Fatalf("PreferredAddress() = %v, %v; want %v", got, ok, preferred)
	}
	// The preferred address's connection ID routes to the server.
	pa := p.client.PeerParams().PreferredAddress
	if !p.server.connIDs.isLocal(pa.ConnID) {
		t.Fatalf("preferred_address connection ID is not the server's")
	}
	pathEvents(p.client)
	// RFC 9000, Section 9.6.2: the server sends from its preferred
	// address only probing datagrams (its PATH_RESPONSE, its own
	// PATH_CHALLENGE) until the client has moved and the path from there
	// is validated; after that, nothing from the original address.
	var probesFromPreferred, fromPreferred, fromOriginalAfter int
	p.onDatagram = func(toServer bool, d []byte) bool {
		switch {
		case toServer:
		case p.server_ == preferred && !p.server.UsingAlternate():
			probesFromPreferred++
			if len(d) != minDatagramSize {
				t.Errorf("a %d-byte datagram from the preferred address before the move; want only 1,200-byte probes", len(d))
			}
			return probesFromPreferred != lost
		case p.server_ == preferred:
			fromPreferred++
		case p.server.UsingAlternate():
			fromOriginalAfter++
		}
		return true
	}
	if err := p.client.MigrateToPreferredAddress(p.now); err != nil {
		t.Fatalf("MigrateToPreferredAddress: %v", err)
	}
	d := newDownload(p, 256<<10)
	if !p.run(time.Minute, d.done) {
		t.Fatal("download did not finish")
	}
	d.check(t)
	checkOpen(t, p)
	if !p.server.UsingAlternate() || probesFromPreferred < 2 || fromPreferred == 0 || fromOriginalAfter != 0 {
		t.Errorf("server using its preferred address %v; %d probing datagrams from there before, %d datagrams after, %d from the original address after; want true, at least 2, some, 0",
			p.server.UsingAlternate(), probesFromPreferred, fromPreferred, fromOriginalAfter)
	}
	if got := p.client.Stats().PacketsDropped; got != 0 {
		t.Errorf("client dropped %d packets; want none (those from the server's original address during the move included)", got)
	}
	if got := p.client.PeerAddr(); got != preferred {
		t.Errorf("client sends to %v; want %v", got, preferred)
	}
	if !bytes.Equal(p.client.connIDs.peerID(), pa.ConnID) {
		t.Errorf("client does not use the preferred address's connection ID")
	}
	if diff := cmp.Diff([]Event{{Kind: EventPathChanged, Addr: preferred}, {Kind: EventPathValidated, Addr: preferred}}, pathEvents(p.client), addrCmp); diff != "" {
		t.Errorf("client path events (-want +got):\n%s", diff)
	}
}

// TestUnknownServerAddress: a client drops packets from an address that is
// not its server's (RFC 9000, Section 9).
func TestUnknownServerAddress(t *testing.T) {
	p := newTestPair(t, 71, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	before := p.client.Stats().PacketsDropped
	pkt := seal1RTT(t, p.server, frames(&wire.PingFrame{}, &wire.PaddingFrame{N: 30}))
	p.client.Receive(pkt, netip.MustParseAddrPort("192.0.2.3:443"), p.now)
	if got := p.client.Stats().PacketsDropped; got != before+1 {
		t.Errorf("dropped %d packets; want %d", got, before+1)
	}
}

// TestClientMigrateFails: a client whose new path carries nothing learns it
// from EventPathFailed after the validation timer (RFC 9000, Section 8.2.4).
func TestClientMigrateFails(t *testing.T) {
	p := newTestPair(t, 81, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	pathEvents(p.client)
	dead := netip.MustParseAddrPort("192.0.2.66:6666")
	p.onAddr = nil
	p.onDatagram = func(toServer bool, d []byte) bool { return p.clientAt != dead }
	p.clientAt = dead
	start := p.now
	if err := p.client.Migrate(p.now); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	var evs []Event
	p.run(10*time.Second, func() bool {
		evs = append(evs, pathEvents(p.client)...)
		return len(evs) > 0
	})
	if diff := cmp.Diff([]Event{{Kind: EventPathFailed, Addr: serverAddr}}, evs, addrCmp); diff != "" {
		t.Fatalf("client path events (-want +got):\n%s", diff)
	}
	// RFC 9000, Section 8.2.4: three times the PTO of a new path, about
	// three seconds.
	if took := p.now.Sub(start); took < 2*time.Second || took > 4*time.Second {
		t.Errorf("validation abandoned after %v; want about 3s", took)
	}
	if got := p.client.PathStats().ChallengesSent; got < 2 {
		t.Errorf("%d PATH_CHALLENGE sent; want more than one before giving up", got)
	}
}

// TestManySpoofedAddresses: copies of one genuine packet from a thousand
// forged addresses cost the server bounded state and don't move it for
// good.
func TestManySpoofedAddresses(t *testing.T) {
	p := newTestPair(t, 91, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	log := watchPaths(p)
	p.handshake()
	d := newDownload(p, 512<<10)
	p.run(time.Second, func() bool { d.step(); return d.got.Len() > 64<<10 })
	spoofs := 0
	p.onDatagram = func(toServer bool, b []byte) bool {
		if toServer && spoofs < 1000 {
			for i := 0; i < 10; i++ {
				spoofs++
				p.spoofCopy(b, netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(spoofs >> 8), byte(spoofs)}), 1000))
			}
		}
		return true
	}
	if !p.run(time.Minute, d.done) {
		t.Fatalf("download did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
	}
	d.check(t)
	checkOpen(t, p)
	if got := p.server.PeerAddr(); got != clientAddr {
		t.Errorf("server sends to %v; want %v", got, clientAddr)
	}
	if log.ampViolation != "" {
		t.Errorf("anti-amplification: %s", log.ampViolation)
	}
	if got := p.server.PathStats().Migrations; got < 100 {
		t.Errorf("%d migrations; want the forged copies to have moved the server each time", got)
	}
	if n := len(p.server.connIDs.retireOwed) + p.server.connIDs.retiring; n > maxRetiring {
		t.Errorf("%d connection IDs being retired; want at most %d", n, maxRetiring)
	}
}

package core

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

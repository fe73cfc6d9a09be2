package core

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

const (
	v1 = wire.Version1
	v2 = wire.Version2
)

// longVersion returns the version of a datagram's first packet if it has a
// long header.
func longVersion(d []byte) (uint32, bool) {
	if len(d) < 5 || d[0]&0x80 == 0 {
		return 0, false
	}
	return binary.BigEndian.Uint32(d[1:5]), true
}

// versionLog records the long-header versions each side put on the link.
type versionLog struct{ toServer, toClient []uint32 }

func (l *versionLog) watch(p *testPair) {
	p.onDatagram = func(toServer bool, d []byte) bool {
		if v, ok := longVersion(d); ok {
			if toServer {
				l.toServer = appendNew(l.toServer, v)
			} else {
				l.toClient = appendNew(l.toClient, v)
			}
		}
		return true
	}
}

// appendNew appends v unless it is already last.
func appendNew(list []uint32, v uint32) []uint32 {
	if n := len(list); n > 0 && list[n-1] == v {
		return list
	}
	return append(list, v)
}

// TestCompatibleVersionNegotiation covers QUIC version 2 (RFC 9369) and
// compatible version negotiation between versions 1 and 2 (RFC 9368,
// Section 2.3): the server upgrades a client that offers its preferred
// version; the client follows the long header's version.
func TestCompatibleVersionNegotiation(t *testing.T) {
	tests := []struct {
		name           string
		client, server []uint32
		want           uint32
		// The long-header versions each side sent, in order.
		wantToServer, wantToClient []uint32
	}{
		{"v1", []uint32{v1}, []uint32{v1}, v1, []uint32{v1}, []uint32{v1}},
		{"v2", []uint32{v2}, []uint32{v2}, v2, []uint32{v2}, []uint32{v2}},
		{"v2 to a server of both", []uint32{v2}, []uint32{v1, v2}, v2, []uint32{v2}, []uint32{v2}},
		{"upgrade v1 to v2", []uint32{v1, v2}, []uint32{v2, v1}, v2, []uint32{v1, v2}, []uint32{v2}},
		{"server prefers v1", []uint32{v1, v2}, []uint32{v1, v2}, v1, []uint32{v1}, []uint32{v1}},
		{"client offers no v2", []uint32{v1}, []uint32{v2, v1}, v1, []uint32{v1}, []uint32{v1}},
		{"downgrade v2 to v1", []uint32{v2, v1}, []uint32{v1, v2}, v1, []uint32{v2, v1}, []uint32{v1}},
	}
	for _, tt := range tests {
		for _, loss := range []float64{0, 0.2} {
			t.Run(fmt.Sprintf("%s/loss%v", tt.name, loss), func(t *testing.T) {
				p := newTestPair(t, 7, linkConfig{delay: 10 * time.Millisecond, loss: loss},
					&Config{Versions: tt.client}, &Config{Versions: tt.server})
				var log versionLog
				log.watch(p)
				p.handshake()
				if p.client.Version() != tt.want || p.server.Version() != tt.want {
					t.Fatalf("versions: client 0x%x, server 0x%x; want 0x%x", p.client.Version(), p.server.Version(), tt.want)
				}
				if loss == 0 {
					if diff := cmp.Diff(tt.wantToServer, log.toServer); diff != "" {
						t.Errorf("versions sent by the client (-want +got):\n%s", diff)
					}
					if diff := cmp.Diff(tt.wantToClient, log.toClient); diff != "" {
						t.Errorf("versions sent by the server (-want +got):\n%s", diff)
					}
				}
				vi := p.client.PeerParams().VersionInformation
				if vi == nil || vi.Chosen != tt.want || !slices.Equal(vi.Available, tt.server) {
					t.Errorf("server's version_information = %+v; want chosen 0x%x, available %x", vi, tt.want, tt.server)
				}
				vi = p.server.PeerParams().VersionInformation
				if vi == nil || vi.Chosen != tt.client[0] || !slices.Equal(vi.Available, tt.client) {
					t.Errorf("client's version_information = %+v; want chosen 0x%x, available %x", vi, tt.client[0], tt.client)
				}
				transferCheck(t, p, 100_000)
			})
		}
	}
}

// transferCheck sends n bytes client to server on a new stream and checks
// they arrive.
func transferCheck(t *testing.T, p *testPair, n int) {
	t.Helper()
	id, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i)
	}
	written := 0
	var got []byte
	buf := make([]byte, 65536)
	ok := p.run(60*time.Second, func() bool {
		if written < n {
			m, _ := p.client.StreamWrite(id, data[written:], true)
			written += m
		}
		for {
			m, fin, err := p.server.StreamRead(id, buf)
			got = append(got, buf[:m]...)
			if fin || err != nil || m == 0 {
				return fin
			}
		}
	})
	if !ok || !slices.Equal(got, data) {
		t.Fatalf("transfer: got %d of %d bytes (client err %v, server err %v)", len(got), n, p.client.Err(), p.server.Err())
	}
}

// playVersionNegotiation makes the harness answer Initials of versions the
// server does not speak with a Version Negotiation packet listing offered,
// as the mux does (RFC 9000, Section 6.1).
func (p *testPair) playVersionNegotiation(offered []uint32) {
	p.accept = func(h wire.LongHeader, d []byte) (ServerOptions, bool) {
		if slices.Contains(p.serverConfig.Versions, h.Version) {
			return p.serverOpts, true
		}
		p.transmit(false, wire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID, offered))
		return ServerOptions{}, false
	}
}

// TestIncompatibleVersionNegotiation covers a client's reaction to Version
// Negotiation packets (RFC 9000, Section 6.2; RFC 9368, Sections 2.1 and 4).
func TestIncompatibleVersionNegotiation(t *testing.T) {
	t.Run("restart in an offered version", func(t *testing.T) {
		p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{Versions: []uint32{v1, v2}}, &Config{Versions: []uint32{v2}})
		p.playVersionNegotiation([]uint32{0x1a2a3a4a, v2})
		var log versionLog
		log.watch(p)
		p.handshake()
		if p.client.Version() != v2 || p.server.Version() != v2 {
			t.Fatalf("versions: client 0x%x, server 0x%x; want v2", p.client.Version(), p.server.Version())
		}
		if diff := cmp.Diff([]uint32{v1, v2}, log.toServer); diff != "" {
			t.Errorf("versions sent by the client (-want +got):\n%s", diff)
		}
		transferCheck(t, p, 50_000)
	})
	t.Run("no common version", func(t *testing.T) {
		p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{Versions: []uint32{v1, v2}}, &Config{Versions: []uint32{v2}})
		offered := []uint32{0x1a2a3a4a, 0xff00001d}
		p.playVersionNegotiation(offered)
		p.run(10*time.Second, func() bool { return p.client.IsClosed() })
		err := p.client.Err()
		if err == nil || !err.VersionNegotiation || !p.client.IsClosed() {
			t.Fatalf("client: err %v, closed %v; want a version negotiation error", err, p.client.IsClosed())
		}
		if diff := cmp.Diff(offered, err.Versions); diff != "" {
			t.Errorf("offered versions (-want +got):\n%s", diff)
		}
		if ev := drainEvents(p.client); !slices.Contains(ev, EventClosed) {
			t.Errorf("events %v; want EventClosed", ev)
		}
	})
	t.Run("forged downgrade", func(t *testing.T) {
		// An attacker drops the client's v2 Initials and forges a Version
		// Negotiation packet offering only v1; the server's
		// version_information shows the client would have chosen v2.
		p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{Versions: []uint32{v2, v1}}, &Config{Versions: []uint32{v2, v1}})
		forged := false
		p.onDatagram = func(toServer bool, d []byte) bool {
			if v, _ := longVersion(d); !toServer || v != v2 || p.client.Version() != v2 {
				return true
			}
			if !forged {
				forged = true
				h, _ := wire.ParseLongHeader(d)
				p.transmit(false, wire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID, []uint32{v1}))
			}
			return false
		}
		p.run(10*time.Second, func() bool { return p.client.IsClosed() || p.client.IsDraining() })
		if err := p.client.Err(); err == nil || err.Code != uint64(wire.VersionNegotiationError) || err.Remote {
			t.Fatalf("client error %v; want a local VERSION_NEGOTIATION_ERROR", err)
		}
	})

	// Version Negotiation packets the client must ignore; the handshake
	// then completes in v1.
	ignored := []struct {
		name string
		vn   func(h wire.LongHeader) []byte
		late bool // sent after the server's first Initial reached the client
	}{
		{"lists the original version", func(h wire.LongHeader) []byte {
			return wire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID, []uint32{v2, v1})
		}, false},
		{"wrong destination connection ID", func(h wire.LongHeader) []byte {
			return wire.AppendVersionNegotiation(nil, []byte{9}, h.DstConnID, []uint32{v2})
		}, false},
		{"wrong source connection ID", func(h wire.LongHeader) []byte {
			return wire.AppendVersionNegotiation(nil, h.SrcConnID, []byte{9}, []uint32{v2})
		}, false},
		{"empty list", func(h wire.LongHeader) []byte {
			return wire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID, nil)
		}, false},
		{"after the server's Initial", func(h wire.LongHeader) []byte {
			return wire.AppendVersionNegotiation(nil, h.SrcConnID, h.DstConnID, []uint32{v2})
		}, true},
	}
	for _, tt := range ignored {
		t.Run("ignore "+tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{Versions: []uint32{v1, v2}}, &Config{Versions: []uint32{v1, v2}})
			sent := p.injectForged(tt.late, tt.vn)
			p.handshake()
			if !sent() || p.client.Version() != v1 || p.client.vn.reacted {
				t.Fatalf("sent %v, client version 0x%x, reacted %v; want the packet ignored", sent(), p.client.Version(), p.client.vn.reacted)
			}
		})
	}
}

func drainEvents(c *Conn) []EventKind {
	var kinds []EventKind
	for {
		e, ok := c.NextEvent()
		if !ok {
			return kinds
		}
		kinds = append(kinds, e.Kind)
	}
}

// TestNegotiateVersion checks the version_information rules of RFC 9368,
// Section 4 on each side.
func TestNegotiateVersion(t *testing.T) {
	vi := func(chosen uint32, avail ...uint32) *wire.VersionInformation {
		return &wire.VersionInformation{Chosen: chosen, Available: avail}
	}
	tests := []struct {
		name     string
		client   bool
		versions []uint32 // Config.Versions
		version  uint32   // in use
		original uint32   // of the client's first flight
		reacted  bool     // the client followed Version Negotiation
		vi       *wire.VersionInformation
		wantErr  bool
		wantVer  uint32
	}{
		{"client: none, no VN", true, []uint32{v1, v2}, v1, v1, false, nil, false, v1},
		{"client: none after VN, v1", true, []uint32{v2, v1}, v1, v1, true, nil, false, v1},
		{"client: none after VN, v2", true, []uint32{v1, v2}, v2, v2, true, nil, true, v2},
		{"client: chosen differs from packets", true, []uint32{v1, v2}, v1, v1, false, vi(v2, v1, v2), true, v1},
		{"client: upgraded", true, []uint32{v1, v2}, v2, v1, false, vi(v2, v2), false, v2},
		{"client: after VN, consistent", true, []uint32{v1, v2}, v2, v2, true, vi(v2, v2), false, v2},
		{"client: after VN, empty available", true, []uint32{v1, v2}, v2, v2, true, vi(v2), true, v2},
		{"client: after VN, downgraded", true, []uint32{v2, v1}, v1, v1, true, vi(v1, v1, v2), true, v1},
		{"server: none", false, []uint32{v2, v1}, v1, v1, false, nil, false, v1},
		{"server: chosen is not the packets' version", false, []uint32{v1, v2}, v1, v1, false, vi(v2, v2, v1), true, v1},
		{"server: upgrade", false, []uint32{v2, v1}, v1, v1, false, vi(v1, v1, v2), false, v2},
		{"server: keep", false, []uint32{v1, v2}, v1, v1, false, vi(v1, v1, v2), false, v1},
		{"server: client offers only its chosen", false, []uint32{v2, v1}, v1, v1, false, vi(v1, v1), false, v1},
		{"server: reserved versions skipped", false, []uint32{v2, v1}, v1, v1, false, vi(v1, 0x0a0a0a0a, v1), false, v1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Conn
			var err error
			if tt.client {
				c, err = NewClient(&Config{TLS: testTLSConfig(false), Versions: tt.versions}, ClientOptions{}, testStart)
			} else {
				c, err = NewServer(&Config{TLS: testTLSConfig(true), Versions: tt.versions},
					ServerOptions{OrigDstConnID: make([]byte, 8), Version: tt.original}, testStart)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.stopTLS()
			c.version, c.vn.original, c.vn.reacted = tt.version, tt.original, tt.reacted
			err = c.negotiateVersion(tt.vi)
			if (err != nil) != tt.wantErr {
				t.Fatalf("negotiateVersion = %v; want error %v", err, tt.wantErr)
			}
			if te, ok := err.(*wire.TransportError); err != nil && (!ok || te.Code != wire.VersionNegotiationError) {
				t.Errorf("error %v; want VERSION_NEGOTIATION_ERROR", err)
			}
			if c.version != tt.wantVer {
				t.Errorf("version 0x%x; want 0x%x", c.version, tt.wantVer)
			}
		})
	}
}

// TestUnsupportedConfigVersion checks that only versions 1 and 2 may be
// configured.
func TestUnsupportedConfigVersion(t *testing.T) {
	vs := []uint32{v1, 0x1a2a3a4a}
	if _, err := NewClient(&Config{TLS: testTLSConfig(false), Versions: vs}, ClientOptions{}, testStart); err == nil {
		t.Error("NewClient accepted a reserved version")
	}
	if _, err := NewServer(&Config{TLS: testTLSConfig(true), Versions: vs}, ServerOptions{OrigDstConnID: make([]byte, 8)}, testStart); err == nil {
		t.Error("NewServer accepted a reserved version")
	}
}

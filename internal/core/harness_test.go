package core

import (
	"container/heap"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// The harness connects a client Conn and a server Conn through an in-memory
// link with a fake clock. The link can lose, duplicate, reorder, delay and
// corrupt datagrams, all decided by a seeded random source, so that a seed
// always gives the same run.

var (
	clientAddr = netip.MustParseAddrPort("192.0.2.1:4433")
	serverAddr = netip.MustParseAddrPort("192.0.2.2:443")
	testStart  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// testCert is a self-signed Ed25519 certificate for "example.com". Ed25519
// signatures are deterministic, which keeps runs repeatable.
var testCert = func() tls.Certificate {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.com"},
		DNSNames:     []string{"example.com"},
		NotBefore:    testStart.Add(-time.Hour),
		NotAfter:     testStart.Add(24 * 365 * time.Hour),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}()

func testTLSConfig(server bool) *tls.Config {
	c := &tls.Config{
		NextProtos: []string{"test"},
		Time:       func() time.Time { return testStart },
	}
	if server {
		c.Certificates = []tls.Certificate{testCert}
	} else {
		pool := x509.NewCertPool()
		leaf, _ := x509.ParseCertificate(testCert.Certificate[0])
		pool.AddCert(leaf)
		c.RootCAs = pool
		c.ServerName = "example.com"
	}
	return c
}

// linkConfig describes the impairments of the link, each direction alike.
type linkConfig struct {
	delay     time.Duration // one-way delay
	jitter    time.Duration // extra random delay up to this, which reorders
	loss      float64       // probability a datagram is dropped
	duplicate float64       // probability a datagram is delivered twice
	corrupt   float64       // probability one byte of a datagram is flipped
	mtu       int           // datagrams larger than this are dropped; 0: no limit
}

type datagram struct {
	at       time.Time
	toServer bool
	data     []byte
	seq      int // tie-breaker for equal arrival times
	// server is the server's address it goes to or comes from.
	server netip.AddrPort
	// addr is the client's address: the source of a datagram to the
	// server, the destination of one to the client.
	addr netip.AddrPort
}

type testPair struct {
	t      testing.TB
	rng    *rand.Rand
	link   linkConfig
	now    time.Time
	client *Conn
	server *Conn
	// serverConfig makes the server when the first Initial arrives.
	serverConfig *Config
	serverOpts   ServerOptions
	inflight     datagramHeap // ordered by arrival time, then sending order
	// clientAt is the client's address as the server sees it; changing it
	// is a NAT rebinding or a migration: datagrams to the old address are
	// lost.
	clientAt netip.AddrPort
	// rebindTo, if set, becomes clientAt when the client next sends: a NAT
	// makes a new mapping for an outgoing datagram after losing the old.
	rebindTo netip.AddrPort
	// serverAt is the server address the client last sent to. The
	// server's datagrams come from serverAddr, or from its preferred
	// address when the server says so (SentFromAlternate), and those to
	// its preferred address arrive there (ReceiveAt).
	serverAt netip.AddrPort
	seq      int
	buf      []byte
	// server_ is the server address of the datagram being transmitted,
	// when flush knows it.
	server_ netip.AddrPort

	// Counters seen by the link.
	sentToServer, sentToClient int // bytes
	dropped                    int
	// trace records every datagram the link carried, for determinism checks.
	trace []string
	// onDatagram, if set, sees and may modify every datagram before the link
	// impairs it; returning false drops it.
	onDatagram func(toServer bool, d []byte) bool
	// onAddr, if set, sees every datagram with the client address it comes
	// from or goes to, before onDatagram.
	onAddr func(toServer bool, d []byte, addr netip.AddrPort)
	// accept, if set, plays the mux for a datagram that arrives before the
	// server exists: it returns the server's options, or false to drop the
	// datagram (after answering it with p.transmit, say).
	accept func(h wire.LongHeader, d []byte) (ServerOptions, bool)
}

func newTestPair(t testing.TB, seed uint64, link linkConfig, clientCfg, serverCfg *Config) *testPair {
	return newTestPairWith(t, seed, link, clientCfg, serverCfg, ClientOptions{})
}

// newTestPairWith is newTestPair with client options beyond the fixed
// address and connection IDs.
func newTestPairWith(t testing.TB, seed uint64, link linkConfig, clientCfg, serverCfg *Config, copts ClientOptions) *testPair {
	if clientCfg == nil {
		clientCfg = &Config{}
	}
	if serverCfg == nil {
		serverCfg = &Config{}
	}
	if clientCfg.TLS == nil {
		clientCfg.TLS = testTLSConfig(false)
	}
	if serverCfg.TLS == nil {
		serverCfg.TLS = testTLSConfig(true)
	}
	p := &testPair{
		t:            t,
		rng:          rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		link:         link,
		now:          testStart,
		serverConfig: serverCfg,
		buf:          make([]byte, 65536),
		clientAt:     clientAddr,
		serverAt:     serverAddr,
	}
	copts.PeerAddr = serverAddr
	copts.DstConnID = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	copts.SrcConnID = []byte{0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0xc}
	c, err := NewClient(clientCfg, copts, p.now)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	p.client = c
	return p
}

// flush takes every datagram both sides want to send now and puts them on
// the link.
func (p *testPair) flush() {
	for _, side := range []*Conn{p.client, p.server} {
		if side == nil {
			continue
		}
		for i := 0; i < 10000; i++ {
			n, to := side.Send(p.buf, p.now)
			if n == 0 {
				break
			}
			if side == p.client && p.rebindTo.IsValid() {
				p.clientAt, p.rebindTo = p.rebindTo, netip.AddrPort{}
			}
			addr := p.clientAt
			p.server_ = serverAddr
			if side == p.server {
				addr = to
				if p.server.SentFromAlternate() {
					p.server_ = p.preferredAddr()
				}
			} else if to.IsValid() {
				p.serverAt = to
				p.server_ = to
			}
			p.transmitAddr(side == p.client, append([]byte(nil), p.buf[:n]...), addr)
			p.server_ = netip.AddrPort{}
		}
	}
}

func (p *testPair) transmit(toServer bool, d []byte) {
	p.transmitAddr(toServer, d, p.clientAt)
}

// transmitAddr puts d on the link; addr is the client's address it comes
// from or goes to.
func (p *testPair) transmitAddr(toServer bool, d []byte, addr netip.AddrPort) {
	if toServer {
		p.sentToServer += len(d)
	} else {
		p.sentToClient += len(d)
	}
	p.trace = append(p.trace, traceLine(p.now, toServer, len(d)))
	if p.onAddr != nil {
		p.onAddr(toServer, d, addr)
	}
	if p.onDatagram != nil && !p.onDatagram(toServer, d) {
		p.dropped++
		return
	}
	if p.link.mtu > 0 && len(d) > p.link.mtu {
		p.dropped++
		return
	}
	if p.rng.Float64() < p.link.loss {
		p.dropped++
		return
	}
	copies := 1
	if p.rng.Float64() < p.link.duplicate {
		copies = 2
	}
	for range copies {
		data := d
		if p.rng.Float64() < p.link.corrupt {
			data = append([]byte(nil), d...)
			data[p.rng.IntN(len(data))] ^= byte(1 + p.rng.IntN(255))
		}
		at := p.now.Add(p.link.delay)
		if p.link.jitter > 0 {
			at = at.Add(time.Duration(p.rng.Int64N(int64(p.link.jitter))))
		}
		p.seq++
		server := p.server_
		if !server.IsValid() {
			server = serverAddr
			if toServer {
				server = p.serverAt
			}
		}
		heap.Push(&p.inflight, datagram{at: at, toServer: toServer, data: data, seq: p.seq, addr: addr, server: server})
	}
}

func traceLine(now time.Time, toServer bool, n int) string {
	dir := "s<c"
	if toServer {
		dir = "c>s"
	}
	return now.Sub(testStart).String() + " " + dir + " " + string(rune('0'+n%10)) + itoa(n)
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// deliver hands over every datagram due by now.
func (p *testPair) deliver() bool {
	delivered := false
	for len(p.inflight) > 0 && !p.inflight[0].at.After(p.now) {
		d := heap.Pop(&p.inflight).(datagram)
		delivered = true
		if d.toServer {
			if p.server == nil {
				p.startServer(d.data)
				if p.server == nil {
					continue
				}
				p.server.Receive(d.data, d.addr, p.now)
				if p.server.Stats().PacketsReceived == 0 && p.server.Err() == nil {
					// A corrupted first Initial: the mux would route
					// the client's next datagrams, whose connection ID
					// is intact, to a new connection.
					p.server = nil
				}
				continue
			}
			p.server.ReceiveAt(d.data, d.addr, d.server != serverAddr && d.server == p.preferredAddr(), p.now)
		} else {
			if d.addr != p.clientAt {
				p.dropped++ // no one is at the old address
				continue
			}
			p.client.Receive(d.data, d.server, p.now)
		}
	}
	return delivered
}

// startServer creates the server from the first Initial, as the mux does.
func (p *testPair) startServer(d []byte) {
	h, err := wire.ParseLongHeader(d)
	if err != nil || h.Type != wire.PacketInitial {
		return
	}
	opts := p.serverOpts
	if p.accept != nil {
		var ok bool
		if opts, ok = p.accept(h, d); !ok {
			return
		}
	}
	opts.PeerAddr = p.clientAt
	if opts.OrigDstConnID == nil {
		opts.OrigDstConnID = append([]byte(nil), h.DstConnID...)
	}
	if opts.SrcConnID == nil {
		opts.SrcConnID = []byte{0x5, 0x5, 0x5, 0x5, 0x5, 0x5, 0x5, 0x5}
	}
	s, err := NewServer(p.serverConfig, opts, p.now)
	if err != nil {
		p.t.Fatalf("NewServer: %v", err)
	}
	p.server = s
}

// next advances the clock to the next event: a datagram arriving or a timer.
// It returns false if there is none.
func (p *testPair) next() bool {
	t, ok := p.nextEventAt()
	if !ok {
		return false
	}
	if t.After(p.now) {
		p.now = t
	}
	for _, side := range []*Conn{p.client, p.server} {
		if side != nil {
			if d, ok := side.Timeout(); ok && !d.After(p.now) {
				side.OnTimeout(p.now)
			}
		}
	}
	p.deliver()
	return true
}

// run moves the pair forward until done returns true or limit of fake time
// passes. It reports whether done became true.
func (p *testPair) run(limit time.Duration, done func() bool) bool {
	end := p.now.Add(limit)
	for {
		p.flush()
		if done() {
			return true
		}
		if p.now.After(end) || !p.next() {
			p.flush()
			return done()
		}
	}
}

func (p *testPair) handshake() {
	p.t.Helper()
	ok := p.run(30*time.Second, func() bool {
		return p.client.HandshakeConfirmed() && p.server != nil && p.server.HandshakeConfirmed()
	})
	if !ok {
		p.t.Fatalf("handshake did not complete: client err %v, server %v", p.client.Err(), p.serverErr())
	}
}

func (p *testPair) serverErr() error {
	if p.server == nil {
		return nil
	}
	if e := p.server.Err(); e != nil {
		return e
	}
	return nil
}

// datagramHeap is a min-heap of datagrams on the link by (at, seq).
type datagramHeap []datagram

func (h datagramHeap) Len() int { return len(h) }
func (h datagramHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h datagramHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *datagramHeap) Push(x any)   { *h = append(*h, x.(datagram)) }
func (h *datagramHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}

// injectForged has the link hand the client a packet that forge makes from
// the header of the client's first Initial (connection IDs copied): at
// once, or, if late, right after the server's first datagram. The result
// reports whether the packet went.
func (p *testPair) injectForged(late bool, forge func(first wire.LongHeader) []byte) (sent func() bool) {
	var first wire.LongHeader
	done := false
	p.onDatagram = func(toServer bool, d []byte) bool {
		if toServer && first.DstConnID == nil {
			h, _ := wire.ParseLongHeader(d)
			first = h
			first.SrcConnID = slices.Clone(h.SrcConnID)
			first.DstConnID = slices.Clone(h.DstConnID)
			if !late {
				done = true
				p.transmit(false, forge(first))
			}
		}
		if !toServer && late && !done {
			done = true
			p.transmit(false, d)
			p.transmit(false, forge(first))
			return false
		}
		return true
	}
	return func() bool { return done }
}

// preferredAddr is the server's preferred address of the client's family,
// if its configuration has one.
func (p *testPair) preferredAddr() netip.AddrPort {
	if p.serverConfig.PreferredIPv4.IsValid() {
		return p.serverConfig.PreferredIPv4
	}
	return p.serverConfig.PreferredIPv6
}

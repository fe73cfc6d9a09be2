package core

import (
	"bytes"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// resumeEnv is what two connections to one server share for resumption: the
// client's session cache and the server's TLS config (its ticket keys).
type resumeEnv struct {
	t         *testing.T
	cache     *countingCache
	serverTLS *tls.Config
}

// countingCache is a session cache that counts the tickets stored.
type countingCache struct {
	tls.ClientSessionCache
	puts int
}

func (c *countingCache) Put(key string, cs *tls.ClientSessionState) {
	c.puts++
	c.ClientSessionCache.Put(key, cs)
}

func newResumeEnv(t *testing.T) *resumeEnv {
	serverTLS := testTLSConfig(true)
	// Connections share the config, and so its ticket keys.
	serverTLS.MinVersion = tls.VersionTLS13
	return &resumeEnv{t: t, cache: &countingCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}, serverTLS: serverTLS}
}

// pair makes a client and server configured by the given functions (either
// may be nil) around the shared cache and server TLS config.
func (e *resumeEnv) pair(seed uint64, link linkConfig, client, server func(*Config)) *testPair {
	ccfg := &Config{TLS: testTLSConfig(false)}
	ccfg.TLS.ClientSessionCache = e.cache
	scfg := &Config{TLS: e.serverTLS}
	if client != nil {
		client(ccfg)
	}
	if server != nil {
		server(scfg)
	}
	return newTestPair(e.t, seed, link, ccfg, scfg)
}

// firstConnection runs a connection until the client has stored a ticket.
func (e *resumeEnv) firstConnection(client, server func(*Config)) {
	e.t.Helper()
	p := e.pair(1, linkConfig{delay: 10 * time.Millisecond}, client, server)
	puts := e.cache.puts
	if !p.run(10*time.Second, func() bool { return e.cache.puts > puts }) {
		e.t.Fatalf("no session ticket stored: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	if p.client.Resumed() {
		e.t.Fatal("first connection resumed")
	}
}

func allow0RTT(c *Config) { c.Allow0RTT = true }

// exchange is a request sent as early as possible on a client stream and
// answered by the server with the request reversed, once its handshake
// completes.
type exchange struct {
	p         *testPair
	request   []byte
	id        int64
	requested bool
	got       bytes.Buffer // the server's copy of the request
	gotAt     time.Time    // when the server had all of it
	gotEarly  bool         // the server had it before its handshake completed
	sid       int64
	haveSID   bool
	responded bool
	resp      bytes.Buffer
	respFin   bool
	events    []EventKind
	buf       []byte
}

func newExchange(p *testPair, request []byte) *exchange {
	x := &exchange{p: p, request: request, id: -1, buf: make([]byte, 4096)}
	x.open()
	return x
}

// open opens the stream and writes the request once the client may: at
// once with 0-RTT, or when the handshake completes.
func (x *exchange) open() {
	c := x.p.client
	if x.requested || !(c.EarlyDataAllowed() || c.HandshakeComplete()) {
		return
	}
	id, err := c.OpenStream(true)
	if err != nil {
		x.p.t.Fatalf("OpenStream: %v", err)
	}
	if n, err := c.StreamWrite(id, x.request, true); err != nil || n != len(x.request) {
		x.p.t.Fatalf("StreamWrite = %d, %v", n, err)
	}
	x.id, x.requested = id, true
}

// step moves the exchange along; it reports whether the client has the
// whole response.
func (x *exchange) step() bool {
	p := x.p
	if p.client.Err() != nil || p.server != nil && p.server.Err() != nil {
		return true
	}
	x.open()
	for {
		e, ok := p.client.NextEvent()
		if !ok {
			break
		}
		if e.Kind == EventEarlyDataAccepted || e.Kind == EventEarlyDataRejected {
			x.events = append(x.events, e.Kind)
		}
	}
	if s := p.server; s != nil {
		if !x.haveSID {
			x.sid, x.haveSID = s.AcceptStream(true)
		}
		if x.haveSID && x.gotAt.IsZero() {
			for {
				n, fin, err := s.StreamRead(x.sid, x.buf)
				if err != nil {
					p.t.Fatalf("server StreamRead: %v", err)
				}
				x.got.Write(x.buf[:n])
				if fin {
					x.gotAt, x.gotEarly = p.now, !s.HandshakeComplete()
					break
				}
				if n == 0 {
					break
				}
			}
		}
		if !x.gotAt.IsZero() && !x.responded && s.HandshakeComplete() {
			resp := bytes.Clone(x.got.Bytes())
			for i, j := 0, len(resp)-1; i < j; i, j = i+1, j-1 {
				resp[i], resp[j] = resp[j], resp[i]
			}
			if n, err := s.StreamWrite(x.sid, resp, true); err != nil || n != len(resp) {
				p.t.Fatalf("server StreamWrite = %d, %v", n, err)
			}
			x.responded = true
		}
	}
	if x.requested && !x.respFin {
		for {
			n, fin, err := p.client.StreamRead(x.id, x.buf)
			if err != nil {
				p.t.Fatalf("client StreamRead: %v", err)
			}
			x.resp.Write(x.buf[:n])
			if fin {
				x.respFin = true
			}
			if n == 0 || fin {
				break
			}
		}
	}
	return x.respFin
}

func (x *exchange) check() {
	t := x.p.t
	if err := x.p.client.Err(); err != nil {
		t.Fatalf("client closed: %v", err)
	}
	if err := x.p.serverErr(); err != nil {
		t.Fatalf("server closed: %v", err)
	}
	if !bytes.Equal(x.got.Bytes(), x.request) {
		t.Fatalf("server got %d bytes of a %d-byte request, or different bytes", x.got.Len(), len(x.request))
	}
	want := bytes.Clone(x.request)
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	if !bytes.Equal(x.resp.Bytes(), want) {
		t.Fatalf("client got %d bytes of a %d-byte response, or different bytes", x.resp.Len(), len(want))
	}
}

// count0RTT counts the 0-RTT packets the client sends.
func count0RTT(p *testPair, n *int) {
	p.onDatagram = func(toServer bool, d []byte) bool {
		for len(d) > 0 {
			pkt, rest, err := wire.NextPacket(d, ConnIDLen)
			if err != nil {
				break
			}
			d = rest
			if pkt[0]&0x80 != 0 {
				if h, err := wire.ParseLongHeader(pkt); err == nil && h.Type == wire.Packet0RTT {
					*n++
				}
			}
		}
		return true
	}
}

func TestResumption(t *testing.T) {
	tests := []struct {
		name          string
		first, second [2]func(*Config) // client, server
	}{
		{"without 0-RTT", [2]func(*Config){nil, nil}, [2]func(*Config){nil, nil}},
		// RFC 9001, Section 4.6.1: a ticket without early data permits
		// no 0-RTT.
		{"ticket without early data", [2]func(*Config){allow0RTT, nil}, [2]func(*Config){allow0RTT, allow0RTT}},
		{"client without 0-RTT", [2]func(*Config){allow0RTT, allow0RTT}, [2]func(*Config){nil, allow0RTT}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newResumeEnv(t)
			env.firstConnection(tt.first[0], tt.first[1])
			p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, tt.second[0], tt.second[1])
			if p.client.EarlyDataAllowed() {
				t.Error("EarlyDataAllowed")
			}
			p.handshake()
			if !p.client.Resumed() || !p.server.Resumed() {
				t.Errorf("Resumed: client %v, server %v; want both", p.client.Resumed(), p.server.Resumed())
			}
			if p.client.EarlyDataAccepted() || p.server.EarlyDataAccepted() {
				t.Error("EarlyDataAccepted without 0-RTT")
			}
		})
	}
}

func TestZeroRTTAccepted(t *testing.T) {
	const delay = 20 * time.Millisecond // one way; an RTT is 40ms
	env := newResumeEnv(t)
	env.firstConnection(allow0RTT, allow0RTT)
	p := env.pair(2, linkConfig{delay: delay}, allow0RTT, allow0RTT)
	var zeroRTT int
	count0RTT(p, &zeroRTT)
	if !p.client.EarlyDataAllowed() {
		t.Fatal("EarlyDataAllowed = false after resuming with Allow0RTT")
	}
	x := newExchange(p, makePayload(3000, 7))
	if !x.requested {
		t.Fatal("no request written before the handshake")
	}
	if !p.run(10*time.Second, x.step) {
		t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	x.check()
	// The request arrives with the client's first flight, half an RTT in,
	// before the server's handshake completes; without 0-RTT it could not
	// arrive before one and a half RTTs.
	if !x.gotEarly || x.gotAt.Sub(testStart) > delay+5*time.Millisecond {
		t.Errorf("request arrived at %v (early %v); want by %v, before the handshake", x.gotAt.Sub(testStart), x.gotEarly, delay)
	}
	if zeroRTT < 3 {
		t.Errorf("client sent %d 0-RTT packets; want at least 3 for 3000 bytes", zeroRTT)
	}
	if !p.client.EarlyDataAccepted() || !p.server.EarlyDataAccepted() {
		t.Errorf("EarlyDataAccepted: client %v, server %v; want both", p.client.EarlyDataAccepted(), p.server.EarlyDataAccepted())
	}
	if !p.client.Resumed() || !p.server.Resumed() {
		t.Error("not resumed")
	}
	if diff := cmp.Diff([]EventKind{EventEarlyDataAccepted}, x.events); diff != "" {
		t.Errorf("0-RTT events (-want +got):\n%s", diff)
	}
	if p.client.EarlyDataAllowed() {
		t.Error("EarlyDataAllowed after the handshake")
	}
}

func TestZeroRTTRejected(t *testing.T) {
	tests := []struct {
		name           string
		client, server func(*Config)
	}{
		{"server refuses 0-RTT", allow0RTT, nil},
		// RFC 9001, Section 4.6.3: a server whose limits are now lower
		// than the ticket's rejects 0-RTT.
		{"server lowered a limit", allow0RTT, func(c *Config) { c.Allow0RTT = true; c.InitialMaxStreamData = 1000 }},
		{"server lowered the stream limit", allow0RTT, func(c *Config) { c.Allow0RTT = true; c.MaxBidiStreams = 1 }},
		// A server that upgrades the connection to v2 (RFC 9368,
		// Section 2.3) rejects the client's v1 0-RTT.
		{"compatible version upgrade",
			func(c *Config) { c.Allow0RTT = true; c.Versions = []uint32{wire.Version1, wire.Version2} },
			func(c *Config) { c.Allow0RTT = true; c.Versions = []uint32{wire.Version2, wire.Version1} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newResumeEnv(t)
			env.firstConnection(allow0RTT, allow0RTT)
			p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, tt.client, tt.server)
			var zeroRTT int
			count0RTT(p, &zeroRTT)
			x := newExchange(p, makePayload(5000, 3))
			if !p.run(10*time.Second, x.step) {
				t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
			}
			x.check()
			if zeroRTT == 0 {
				t.Error("client sent no 0-RTT packets")
			}
			if x.gotEarly {
				t.Error("server read the request before its handshake completed")
			}
			if p.client.EarlyDataAccepted() || p.server.EarlyDataAccepted() {
				t.Errorf("EarlyDataAccepted: client %v, server %v; want neither", p.client.EarlyDataAccepted(), p.server.EarlyDataAccepted())
			}
			if !p.client.Resumed() || !p.server.Resumed() {
				t.Error("not resumed")
			}
			if diff := cmp.Diff([]EventKind{EventEarlyDataRejected}, x.events); diff != "" {
				t.Errorf("0-RTT events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestZeroRTTRejectedByHelloRetryRequest: a HelloRetryRequest rejects
// 0-RTT before the server's transport parameters arrive (RFC 8446, Section
// 4.2.10); the data still arrives.
func TestZeroRTTRejectedByHelloRetryRequest(t *testing.T) {
	env := newResumeEnv(t)
	env.serverTLS.SetSessionTicketKeys([][32]byte{{4, 5, 6}})
	env.firstConnection(allow0RTT, allow0RTT)
	// The client offers no P-256 key share: the server asks for one.
	env.serverTLS = env.serverTLS.Clone()
	env.serverTLS.CurvePreferences = []tls.CurveID{tls.CurveP256}
	p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, allow0RTT, allow0RTT)
	x := newExchange(p, makePayload(5000, 4))
	if !x.requested {
		t.Fatal("no 0-RTT request")
	}
	if !p.run(10*time.Second, x.step) {
		t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	if err := p.serverErr(); err != nil && strings.Contains(err.Error(), "invalid PSK binder") {
		// crypto/tls (Go 1.26) computes the binder of the second
		// ClientHello before it drops the early_data extension from it.
		t.Skip("crypto/tls bug: a client that offered 0-RTT fails a HelloRetryRequest with an invalid PSK binder")
	}
	x.check()
	if p.client.EarlyDataAccepted() || p.server.EarlyDataAccepted() || !p.client.Resumed() {
		t.Errorf("accepted %v/%v, resumed %v; want rejected and resumed", p.client.EarlyDataAccepted(), p.server.EarlyDataAccepted(), p.client.Resumed())
	}
	if diff := cmp.Diff([]EventKind{EventEarlyDataRejected}, x.events); diff != "" {
		t.Errorf("0-RTT events (-want +got):\n%s", diff)
	}
}

// TestZeroRTTLoss sends a request in 0-RTT over a lossy, reordering link.
func TestZeroRTTLoss(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		env := newResumeEnv(t)
		env.firstConnection(allow0RTT, allow0RTT)
		p := env.pair(seed, linkConfig{delay: 10 * time.Millisecond, jitter: 5 * time.Millisecond, loss: 0.25}, allow0RTT, allow0RTT)
		x := newExchange(p, makePayload(8000, seed))
		if !p.run(60*time.Second, x.step) {
			t.Fatalf("seed %d: exchange did not finish: client err %v, server %v", seed, p.client.Err(), p.serverErr())
		}
		x.check()
		if !p.client.EarlyDataAccepted() {
			t.Fatalf("seed %d: 0-RTT not accepted", seed)
		}
	}
}

// TestZeroRTTRetry: after a Retry the client sends its 0-RTT data again to
// the new connection ID (RFC 9000, Section 17.2.5.3), and the server,
// which kept nothing of the first 0-RTT packets, accepts it.
func TestZeroRTTRetry(t *testing.T) {
	env := newResumeEnv(t)
	env.firstConnection(allow0RTT, allow0RTT)
	p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, allow0RTT, allow0RTT)
	m := playRetry(p)
	x := newExchange(p, makePayload(3000, 9))
	if !p.run(10*time.Second, x.step) {
		t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	x.check()
	if m.retries == 0 || !p.client.Retried() {
		t.Fatalf("Retries sent %d, client retried %v; want a Retry", m.retries, p.client.Retried())
	}
	if !p.client.EarlyDataAccepted() || !p.server.EarlyDataAccepted() || !x.gotEarly {
		t.Errorf("0-RTT accepted: client %v, server %v; request before the handshake %v; want all", p.client.EarlyDataAccepted(), p.server.EarlyDataAccepted(), x.gotEarly)
	}
}

// TestZeroRTTBeforeInitial delivers the client's first datagram after its
// second, which carries 0-RTT: the server keeps the 0-RTT packets until
// the ClientHello gives it their keys.
func TestZeroRTTBeforeInitial(t *testing.T) {
	env := newResumeEnv(t)
	env.firstConnection(allow0RTT, allow0RTT)
	p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, allow0RTT, allow0RTT)
	x := newExchange(p, makePayload(2000, 5))
	// Take the client's first flight off the link and put it back in
	// reverse order.
	var held [][]byte
	p.onDatagram = func(toServer bool, d []byte) bool {
		if toServer && p.server == nil && len(held) < 8 {
			held = append(held, d)
			return false
		}
		return true
	}
	p.flush()
	if len(held) < 3 {
		t.Fatalf("client's first flight is %d datagrams; want at least 3", len(held))
	}
	p.onDatagram = nil
	// held is the ClientHello in two Initials, the second with 0-RTT,
	// then 0-RTT only datagrams. The server starts from the second
	// Initial, keeps the 0-RTT packets that follow, and gets their keys
	// with the first Initial.
	for _, d := range held[1:] {
		p.transmit(true, d)
	}
	p.transmit(true, held[0])
	if !p.run(10*time.Second, x.step) {
		t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	x.check()
	if !p.server.EarlyDataAccepted() || !x.gotEarly {
		t.Errorf("server accepted 0-RTT %v, read the request early %v; want both", p.server.EarlyDataAccepted(), x.gotEarly)
	}
	if p.server.Stats().PacketsDropped != 0 {
		t.Errorf("server dropped %d packets; want the 0-RTT ones kept", p.server.Stats().PacketsDropped)
	}
}

// TestZeroRTTReducedLimit: a server that accepts 0-RTT and then advertises
// a limit below the remembered one breaks RFC 9000, Section 7.4.1; the
// client closes with PROTOCOL_VIOLATION.
func TestZeroRTTReducedLimit(t *testing.T) {
	env := newResumeEnv(t)
	env.serverTLS.SetSessionTicketKeys([][32]byte{{1, 2, 3}})
	env.firstConnection(allow0RTT, allow0RTT)
	// The second server has a lower limit, and reads its tickets as if it
	// had always had it, so that it accepts 0-RTT.
	lowered := env.serverTLS.Clone()
	lowered.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := lowered.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return ss, err
		}
		for i, e := range ss.Extra {
			if v, p, ok := findRemembered([][]byte{e}); ok {
				p.InitialMaxData = 1000
				ss.Extra[i] = appendRemembered(nil, v, p)
			}
		}
		return ss, nil
	}
	env.serverTLS = lowered
	p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, allow0RTT, func(c *Config) {
		c.Allow0RTT = true
		c.InitialMaxData = 1000
	})
	x := newExchange(p, []byte("hello"))
	p.run(10*time.Second, func() bool { x.step(); return p.client.Err() != nil })
	err := p.client.Err()
	if err == nil || err.Code != uint64(wire.ProtocolViolation) || err.Remote {
		t.Fatalf("client error %v; want a local PROTOCOL_VIOLATION", err)
	}
	if !p.server.EarlyDataAccepted() {
		t.Error("server did not accept 0-RTT")
	}
}

// TestResumptionVersion: a ticket from a QUIC v1 connection is not used
// for a v2 one (RFC 9369, Section 5), but 0-RTT works in v2 with a v2
// ticket.
func TestResumptionVersion(t *testing.T) {
	env := newResumeEnv(t)
	env.firstConnection(allow0RTT, allow0RTT)
	v2 := func(c *Config) { c.Allow0RTT = true; c.Versions = []uint32{wire.Version2, wire.Version1} }
	p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, v2, v2)
	if p.client.EarlyDataAllowed() {
		t.Error("EarlyDataAllowed in v2 with a v1 ticket")
	}
	p.handshake()
	if p.client.Version() != wire.Version2 || p.client.Resumed() {
		t.Fatalf("version %#x resumed %v; want v2, not resumed", p.client.Version(), p.client.Resumed())
	}
	// The v2 connection leaves a v2 ticket, which resumes with 0-RTT.
	puts := env.cache.puts
	p.run(time.Second, func() bool { return env.cache.puts > puts })
	p = env.pair(3, linkConfig{delay: 10 * time.Millisecond}, v2, v2)
	var zeroRTT int
	count0RTT(p, &zeroRTT)
	x := newExchange(p, []byte("GET /"))
	if !p.run(10*time.Second, x.step) {
		t.Fatalf("exchange did not finish: client err %v, server %v", p.client.Err(), p.serverErr())
	}
	x.check()
	if !p.client.Resumed() || !p.client.EarlyDataAccepted() || !x.gotEarly || zeroRTT == 0 {
		t.Errorf("resumed %v, 0-RTT accepted %v, early %v, %d 0-RTT packets", p.client.Resumed(), p.client.EarlyDataAccepted(), x.gotEarly, zeroRTT)
	}
}

func TestRememberedParams(t *testing.T) {
	p := wire.DefaultTransportParameters()
	p.InitialMaxData = 1 << 20
	p.InitialMaxStreamDataBidiLocal = 1
	p.InitialMaxStreamDataBidiRemote = 2
	p.InitialMaxStreamDataUni = 3
	p.InitialMaxStreamsBidi = 4
	p.InitialMaxStreamsUni = 5
	p.ActiveConnectionIDLimit = 6
	p.MaxDatagramFrameSize = 7
	b := appendRemembered(nil, 0x6b3343cf, &p)
	v, got, ok := findRemembered([][]byte{[]byte("other layer"), b})
	if !ok || v != 0x6b3343cf {
		t.Fatalf("findRemembered = %#x, %v", v, ok)
	}
	if diff := cmp.Diff(rememberedValues(&p), rememberedValues(got)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if name := reducedLimit(&p, got); name != "" {
		t.Errorf("reducedLimit of equal parameters = %q", name)
	}
	got.InitialMaxStreamsUni--
	if name := reducedLimit(&p, got); name != "initial_max_streams_uni" {
		t.Errorf("reducedLimit = %q; want initial_max_streams_uni", name)
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 0), b[:len(rememberedPrefix)+2]} {
		if _, _, ok := findRemembered([][]byte{bad}); ok {
			t.Errorf("findRemembered(%x) ok; want malformed", bad)
		}
	}
}

// seal0RTT returns a 0-RTT packet from client c carrying payload, sealed
// with its 0-RTT keys and not recorded as sent.
func seal0RTT(t testing.TB, c *Conn, payload []byte) []byte {
	t.Helper()
	if c.early.keys == nil {
		t.Fatal("seal0RTT: no 0-RTT keys")
	}
	s := &c.spaces[spaceApp]
	pn := s.nextPN
	s.nextPN++
	b, lengthOffset, pnOffset := wire.AppendLongHeader(nil, wire.LongHeaderFields{
		Type: wire.Packet0RTT, Version: c.early.version,
		DstConnID: c.connIDs.peerID(), SrcConnID: c.connIDs.local[0].id,
		PacketNumber: pn, PacketNumberLen: injectPNLen,
	})
	b = append(b, payload...)
	wire.PutLongHeaderLength(b, lengthOffset, len(b)-pnOffset+protect.TagLen)
	return c.early.keys.Seal(b, pnOffset, injectPNLen, uint64(pn))
}

// TestZeroRTTFrames: a server processes the frames RFC 9000, Section 12.4,
// Table 3 allows in 0-RTT packets before its handshake completes, and
// closes with PROTOCOL_VIOLATION on the others.
func TestZeroRTTFrames(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		want    *closeCode
	}{
		{"STREAM", frames(&wire.StreamFrame{StreamID: 0, Data: []byte("hi"), Fin: true}), nil},
		{"PING", frames(&wire.PingFrame{}), nil},
		{"ACK", frames(&wire.AckFrame{Ranges: []wire.AckRange{{Smallest: 0, Largest: 0}}}), &closeCode{Code: uint64(wire.ProtocolViolation), FrameType: wire.FrameAck}},
		{"CRYPTO", frames(&wire.CryptoFrame{Data: []byte{1}}), &closeCode{Code: uint64(wire.ProtocolViolation), FrameType: wire.FrameCrypto}},
		{"NEW_TOKEN", frames(&wire.NewTokenFrame{Token: []byte{1}}), &closeCode{Code: uint64(wire.ProtocolViolation), FrameType: wire.FrameNewToken}},
		{"HANDSHAKE_DONE", frames(&wire.HandshakeDoneFrame{}), &closeCode{Code: uint64(wire.ProtocolViolation), FrameType: wire.FrameHandshakeDone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newResumeEnv(t)
			env.firstConnection(allow0RTT, allow0RTT)
			p := env.pair(2, linkConfig{delay: 10 * time.Millisecond}, allow0RTT, allow0RTT)
			if !p.run(time.Second, func() bool { return p.server != nil && p.server.early.keys != nil }) {
				t.Fatal("server has no 0-RTT keys")
			}
			if p.server.HandshakeComplete() {
				t.Fatal("server handshake already complete")
			}
			p.server.Receive(seal0RTT(t, p.client, tt.payload), clientAddr, p.now)
			if diff := cmp.Diff(tt.want, codeOf(p.server.Err())); diff != "" {
				t.Errorf("server error (-want +got):\n%s\n(%v)", diff, p.server.Err())
			}
			if tt.name == "STREAM" {
				if id, ok := p.server.AcceptStream(true); !ok || id != 0 || p.server.StreamReadable(0) != 2 {
					t.Errorf("AcceptStream = %d, %v; readable %d; want stream 0 with 2 bytes", id, ok, p.server.StreamReadable(0))
				}
			}
		})
	}
}

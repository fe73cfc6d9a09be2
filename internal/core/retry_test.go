package core

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/token"
)

var testTokenKey = &[32]byte{0x70, 0x6b}

// retryMux plays the mux's part in address validation (RFC 9000, Section
// 8.1): an Initial without a valid token gets a Retry; one with a valid
// Retry token creates the server with the Retry's connection IDs; one with a
// valid NEW_TOKEN token creates it validated; an invalid Retry token creates
// it with InvalidToken.
type retryMux struct {
	p       *testPair
	prot    *token.Protector
	retries int
	// double sends a second, different Retry after each one.
	double bool
	// hide creates the server without RetrySrcConnID, as a server that
	// lies about the Retry would.
	hide bool
	opts ServerOptions // of the server created
}

func playRetry(p *testPair) *retryMux {
	m := &retryMux{p: p, prot: token.New(testTokenKey)}
	p.accept = m.accept
	return m
}

func (m *retryMux) accept(h wire.LongHeader, d []byte) (ServerOptions, bool) {
	p := m.p
	opts := p.serverOpts
	if len(h.Token) > 0 {
		switch k, _ := token.KindOf(h.Token); k {
		case token.KindRetry:
			odcid, err := m.prot.OpenRetryToken(h.Token, clientAddr, h.Version, h.DstConnID, p.now)
			if err != nil {
				opts.InvalidToken = true
				opts.OrigDstConnID = slices.Clone(h.DstConnID)
			} else {
				opts.OrigDstConnID = odcid
				opts.RetrySrcConnID = slices.Clone(h.DstConnID)
				opts.AddressValidated = true
				if m.hide {
					opts.OrigDstConnID, opts.RetrySrcConnID = slices.Clone(h.DstConnID), nil
				}
			}
			m.opts = opts
			return opts, true
		case token.KindNewToken:
			if m.prot.OpenToken(h.Token, clientAddr.Addr(), h.Version, p.now) == nil {
				opts.AddressValidated = true
				m.opts = opts
				return opts, true
			}
		}
	}
	m.retries++
	for i := range 1 + btoi(m.double) {
		rscid := []byte{0x7, 0x7, 0x7, 0x7, 0x7, 0x7, 0x7, byte(i)}
		tok := m.prot.NewRetryToken(clientAddr, h.Version, h.DstConnID, rscid, p.now)
		p.transmit(false, AppendRetry(nil, h.Version, h.SrcConnID, rscid, h.DstConnID, tok))
	}
	return ServerOptions{}, false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRetry covers the client's side of Retry (RFC 9000, Sections 8.1.2 and
// 17.2.5) against a harness that always sends one.
func TestRetry(t *testing.T) {
	tests := []struct {
		name           string
		link           linkConfig
		client, server []uint32
		double         bool
		want           uint32
	}{
		{"v1", linkConfig{delay: 10 * time.Millisecond}, nil, nil, false, v1},
		{"v2", linkConfig{delay: 10 * time.Millisecond}, []uint32{v2}, []uint32{v2}, false, v2},
		{"v1 upgraded to v2", linkConfig{delay: 10 * time.Millisecond}, []uint32{v1, v2}, []uint32{v2, v1}, false, v2},
		{"lossy", linkConfig{delay: 10 * time.Millisecond, loss: 0.2, jitter: 5 * time.Millisecond}, nil, nil, false, v1},
		{"second Retry ignored", linkConfig{delay: 10 * time.Millisecond}, nil, nil, true, v1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 3, tt.link, &Config{Versions: tt.client}, &Config{Versions: tt.server})
			m := playRetry(p)
			m.double = tt.double
			p.handshake()
			// A first flight of two datagrams draws two Retries; the
			// client takes the first.
			if m.retries == 0 || !p.client.retried {
				t.Fatalf("Retries sent %d, client retried %v; want a Retry", m.retries, p.client.retried)
			}
			if want := []byte{7, 7, 7, 7, 7, 7, 7, 0}; !bytes.Equal(m.opts.RetrySrcConnID, want) || !bytes.Equal(p.client.retrySrcConnID, want) {
				t.Errorf("Retry source connection ID: server %x, client %x; want %x", m.opts.RetrySrcConnID, p.client.retrySrcConnID, want)
			}
			if p.client.Version() != tt.want || p.server.Version() != tt.want {
				t.Errorf("versions: client 0x%x, server 0x%x; want 0x%x", p.client.Version(), p.server.Version(), tt.want)
			}
			transferCheck(t, p, 50_000)
		})
	}
}

// TestRetryIgnored checks the Retry packets a client must discard
// (RFC 9000, Section 17.2.5.2; RFC 9001, Section 5.8; RFC 9369, Section 4).
func TestRetryIgnored(t *testing.T) {
	tests := []struct {
		name  string
		retry func(h wire.LongHeader) []byte
		late  bool // after the server's first Initial
	}{
		{"bad integrity tag", func(h wire.LongHeader) []byte {
			b := AppendRetry(nil, h.Version, h.SrcConnID, []byte{7, 7}, h.DstConnID, []byte("token"))
			b[len(b)-1] ^= 1
			return b
		}, false},
		{"tag over another connection ID", func(h wire.LongHeader) []byte {
			return AppendRetry(nil, h.Version, h.SrcConnID, []byte{7, 7}, []byte{1}, []byte("token"))
		}, false},
		{"other version", func(h wire.LongHeader) []byte {
			return AppendRetry(nil, v2, h.SrcConnID, []byte{7, 7}, h.DstConnID, []byte("token"))
		}, false},
		{"not to the client", func(h wire.LongHeader) []byte {
			return AppendRetry(nil, h.Version, []byte{9, 9}, []byte{7, 7}, h.DstConnID, []byte("token"))
		}, false},
		{"after the server's Initial", func(h wire.LongHeader) []byte {
			return AppendRetry(nil, h.Version, h.SrcConnID, []byte{7, 7}, h.DstConnID, []byte("token"))
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
			sent := p.injectForged(tt.late, tt.retry)
			p.handshake()
			if !sent() || p.client.retried || p.client.token != nil {
				t.Fatalf("sent %v; client retried %v with token %q; want the Retry ignored", sent(), p.client.retried, p.client.token)
			}
		})
	}
}

// TestRetryHidden checks the client's validation of the connection IDs in
// the server's transport parameters (RFC 9000, Section 7.3): a server that
// does not admit to the Retry fails the handshake.
func TestRetryHidden(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	m := playRetry(p)
	m.hide = true
	p.run(10*time.Second, func() bool { return p.client.IsDraining() })
	if err := p.client.Err(); err == nil || err.Code != uint64(wire.TransportParameterError) {
		t.Fatalf("client error %v; want TRANSPORT_PARAMETER_ERROR", err)
	}
}

// TestAddressValidationTokens covers NEW_TOKEN (RFC 9000, Section 8.1.3): a
// server with a TokenKey gives the client a token once the handshake is
// done; the client's next connection presents it and skips the Retry; an
// expired or foreign token gets a Retry; a forged Retry token is refused
// with INVALID_TOKEN (Section 8.1.2).
func TestAddressValidationTokens(t *testing.T) {
	link := linkConfig{delay: 10 * time.Millisecond}
	p := newTestPair(t, 1, link, nil, &Config{TokenKey: testTokenKey})
	m := playRetry(p)
	p.handshake()
	var tok []byte
	p.run(10*time.Second, func() bool {
		for {
			e, ok := p.client.NextEvent()
			if !ok {
				return tok != nil
			}
			if e.Kind == EventNewToken {
				tok = e.Token
			}
		}
	})
	if tok == nil {
		t.Fatal("no EventNewToken")
	}
	if m.retries == 0 {
		t.Errorf("no Retry on the first connection")
	}
	if err := token.New(testTokenKey).OpenToken(tok, clientAddr.Addr(), v1, p.now); err != nil {
		t.Fatalf("the server's token does not open: %v", err)
	}
	// The server's token is acknowledged and forgotten.
	p.run(time.Second, func() bool { return p.server.newToken == nil })
	if p.server.newToken != nil || p.server.newTokenOwed {
		t.Errorf("server still holds its NEW_TOKEN token")
	}

	expired := token.New(testTokenKey).NewToken(clientAddr.Addr(), v1, testStart.Add(-token.NewTokenLifetime))
	foreign := token.New(&[32]byte{9}).NewToken(clientAddr.Addr(), v1, testStart)
	otherVersion := token.New(testTokenKey).NewToken(clientAddr.Addr(), v2, testStart)
	forgedRetry := append([]byte{byte(token.KindRetry)}, make([]byte, 60)...)
	tests := []struct {
		name      string
		token     []byte
		wantRetry bool
		wantCode  wire.ErrorCode // a handshake failure
	}{
		{"NEW_TOKEN skips the Retry", tok, false, 0},
		{"expired", expired, true, 0},
		{"foreign key", foreign, true, 0},
		{"other version", otherVersion, true, 0},
		{"forged Retry token", forgedRetry, false, wire.InvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPairWith(t, 2, link, nil, nil, ClientOptions{Token: tt.token})
			m := playRetry(p)
			if tt.wantCode != 0 {
				p.run(10*time.Second, func() bool { return p.client.IsDraining() })
				if err := p.client.Err(); err == nil || err.Code != uint64(tt.wantCode) || !err.Remote {
					t.Fatalf("client error %v; want the server's %v", err, tt.wantCode)
				}
				return
			}
			p.handshake()
			if (m.retries > 0) != tt.wantRetry || p.client.retried != tt.wantRetry {
				t.Errorf("%d Retries, client retried %v; want a Retry %v", m.retries, p.client.retried, tt.wantRetry)
			}
			if !p.server.addressValidated {
				t.Errorf("server has not validated the client's address")
			}
		})
	}
}

// TestAppendRetry checks that AppendRetry writes a Retry the wire parser
// reads back and whose tag verifies.
func TestAppendRetry(t *testing.T) {
	for _, v := range []uint32{v1, v2} {
		odcid := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		b := AppendRetry([]byte{0xff}, v, []byte{0xc}, []byte{7, 7}, odcid, []byte("tok"))[1:]
		h, err := wire.ParseLongHeader(b)
		if err != nil || h.Type != wire.PacketRetry || h.Version != v || string(h.RetryToken) != "tok" ||
			!bytes.Equal(h.DstConnID, []byte{0xc}) || !bytes.Equal(h.SrcConnID, []byte{7, 7}) {
			t.Fatalf("version 0x%x: parsed %+v, %v", v, h, err)
		}
		if !protect.VerifyRetryIntegrity(v, odcid, b) {
			t.Errorf("version 0x%x: integrity tag does not verify", v)
		}
	}
}

// TestNewTokenProbedThenAcked: a PTO probe queues the frames of a packet in
// flight again, NEW_TOKEN included; when that packet's ACK then arrives
// first, the token is gone and nothing may send a NEW_TOKEN frame without
// one (RFC 9000, Section 19.7: an empty token is a FRAME_ENCODING_ERROR at
// the client). Seen under load in TestHundredSessions.
func TestNewTokenProbedThenAcked(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, &Config{TokenKey: testTokenKey})
	p.handshake()
	s := p.server
	app := &s.spaces[spaceApp]
	var withToken *sentPacket
	p.run(time.Second, func() bool {
		for _, sp := range app.sent.packets {
			for _, f := range sp.frames {
				if f.kind == sentNewToken {
					withToken = sp
				}
			}
		}
		return withToken != nil
	})
	if withToken == nil {
		t.Fatal("no packet in flight with NEW_TOKEN")
	}
	s.onFramesLost(app, withToken) // what queueProbe does
	s.onPacketAcked(app, withToken, false, p.now)
	// Whatever the server sends next, the client must be able to take.
	tr := newTransfer(p, []int{64 << 10}, 1)
	if !p.run(time.Minute, tr.done) {
		t.Fatalf("transfer did not finish: %v %v", p.client.Err(), p.serverErr())
	}
	tr.check(t)
	checkOpen(t, p)
	if s.newToken != nil || s.newTokenOwed {
		t.Errorf("server still holds a token (%d bytes) or owes one (%v)", len(s.newToken), s.newTokenOwed)
	}
}

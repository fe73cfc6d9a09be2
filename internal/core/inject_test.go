package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// Injection: a test plays a misbehaving peer by having one Conn of a pair
// "send" a packet whose frames the test wrote byte by byte. The packet is
// protected with the sender's real keys and packet number, so the receiver
// authenticates it like any other and must judge only its frames.

// injectPNLen is the packet number length of injected packets. With 4 bytes
// of packet number the header protection sample (RFC 9001, Section 5.4.2)
// needs no payload at all, so the payload is exactly what the test gave,
// even an empty or truncated one: no PADDING is added behind it.
const injectPNLen = 4

// seal1RTT returns a 1-RTT packet from c carrying payload, protected with
// c's current 1-RTT write keys and the next packet number of c's
// application space. The packet is not recorded as sent, so c never expects
// it to be acknowledged.
func seal1RTT(t testing.TB, c *Conn, payload []byte) []byte {
	t.Helper()
	if c.keys1RTT.write == nil {
		t.Fatal("seal1RTT: no 1-RTT write keys yet")
	}
	s := &c.spaces[spaceApp]
	pn := s.nextPN
	s.nextPN++
	b, pnOffset := wire.AppendShortHeader(nil, c.connIDs.peerID(), pn, injectPNLen, c.keys1RTT.writePhase, false)
	b = append(b, payload...)
	c.keys1RTT.sealed++
	return c.keys1RTT.write.Seal(b, pnOffset, injectPNLen, uint64(pn))
}

// sealLong returns an Initial or Handshake packet from c carrying payload,
// protected with the keys of that space. A packet shorter than padTo bytes is
// padded with PADDING frames up to it (an Initial from a client must travel
// in a datagram of at least 1,200 bytes, RFC 9000, Section 14.1).
func sealLong(t testing.TB, c *Conn, typ wire.PacketType, payload []byte, padTo int) []byte {
	t.Helper()
	id := spaceInitial
	if typ == wire.PacketHandshake {
		id = spaceHandshake
	}
	s := &c.spaces[id]
	if s.writeKeys == nil || s.discarded {
		t.Fatalf("sealLong: no %v write keys", typ)
	}
	pn := s.nextPN
	s.nextPN++
	b, lengthOffset, pnOffset := wire.AppendLongHeader(nil, wire.LongHeaderFields{
		Type: typ, Version: c.version,
		DstConnID: c.connIDs.peerID(), SrcConnID: c.connIDs.local[0].id,
		PacketNumber: pn, PacketNumberLen: injectPNLen,
	})
	b = append(b, payload...)
	for len(b)+protect.TagLen < padTo {
		b = append(b, 0)
	}
	wire.PutLongHeaderLength(b, lengthOffset, len(b)-pnOffset+protect.TagLen)
	return s.writeKeys.Seal(b, pnOffset, injectPNLen, uint64(pn))
}

// inject has the client (fromClient) or the server send a 1-RTT packet
// carrying payload, and delivers it straight to the other side, bypassing
// the link.
func (p *testPair) inject(fromClient bool, payload []byte) {
	p.t.Helper()
	from, to, addr := p.server, p.client, serverAddr
	if fromClient {
		from, to, addr = p.client, p.server, clientAddr
	}
	to.Receive(seal1RTT(p.t, from, payload), addr, p.now)
}

// advance moves the pair forward by d of fake time, delivering every
// datagram and firing every timer due by then, and none due later (unlike
// run, which jumps to the next event even past its limit).
func (p *testPair) advance(d time.Duration) {
	p.t.Helper()
	end := p.now.Add(d)
	for i := 0; ; i++ {
		if i > 1_000_000 {
			p.t.Fatal("advance: the pair does not settle")
		}
		p.flush()
		if t, ok := p.nextEventAt(); !ok || t.After(end) {
			p.now = end
			p.flush()
			return
		}
		p.next()
	}
}

// nextEventAt is when the next datagram arrives or the next timer fires.
func (p *testPair) nextEventAt() (time.Time, bool) {
	var t time.Time
	consider := func(d time.Time) {
		if !d.IsZero() && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	for _, d := range p.inflight {
		consider(d.at)
	}
	for _, c := range []*Conn{p.client, p.server} {
		if c != nil {
			if d, ok := c.Timeout(); ok {
				consider(d)
			}
		}
	}
	return t, !t.IsZero()
}

// frames concatenates encoded frames into one payload.
func frames(fs ...wire.Frame) []byte {
	var b []byte
	for _, f := range fs {
		b = f.Append(b)
	}
	return b
}

// closeCode is what a test compares of a ConnError: the code, its kind,
// the frame type and who closed.
type closeCode struct {
	Code      uint64
	App       bool
	FrameType uint64
	Remote    bool
}

func codeOf(e *ConnError) *closeCode {
	if e == nil {
		return nil
	}
	return &closeCode{Code: e.Code, App: e.App, FrameType: e.FrameType, Remote: e.Remote}
}

// expectPeerClose checks that victim closed with a transport error of code
// want, then runs the pair until offender learns it from the victim's
// CONNECTION_CLOSE, and checks that offender reports the same error as a
// remote one.
func (p *testPair) expectPeerClose(victim, offender *Conn, want wire.ErrorCode) {
	p.t.Helper()
	ve := victim.Err()
	if ve == nil {
		p.t.Fatalf("victim still open, want %v", want)
	}
	if ve.App || ve.Remote || ve.Code != uint64(want) {
		p.t.Fatalf("victim error = %+v (%v), want local transport error %v", ve, ve, want)
	}
	if !p.run(10*time.Second, func() bool { return offender.Err() != nil }) {
		p.t.Fatalf("offender never saw the CONNECTION_CLOSE; victim error %v", ve)
	}
	wantOff := &closeCode{Code: uint64(want), FrameType: ve.FrameType, Remote: true}
	if diff := cmp.Diff(wantOff, codeOf(offender.Err())); diff != "" {
		p.t.Errorf("offender error (-want +got):\n%s\n(%v)", diff, offender.Err())
	}
}

// TestInjectWellFormed checks the injection helper itself: a well-formed
// STREAM frame from either side is delivered and closes nothing.
func TestInjectWellFormed(t *testing.T) {
	for _, fromClient := range []bool{true, false} {
		p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
		p.handshake()
		victim, id := p.server, int64(0) // client-initiated bidi
		if !fromClient {
			victim, id = p.client, 1 // server-initiated bidi
		}
		p.inject(fromClient, frames(&wire.StreamFrame{StreamID: uint64(id), Data: []byte("hello"), Fin: true}))
		if err := victim.Err(); err != nil {
			t.Fatalf("fromClient=%v: victim closed: %v", fromClient, err)
		}
		buf := make([]byte, 16)
		n, fin, err := victim.StreamRead(id, buf)
		if err != nil || !fin || string(buf[:n]) != "hello" {
			t.Fatalf("fromClient=%v: StreamRead = %q, %v, %v; want \"hello\", true, nil", fromClient, buf[:n], fin, err)
		}
		// The pair goes on working afterwards: the injected packet number
		// is acknowledged without upsetting the sender.
		p.advance(time.Second)
		if p.client.Err() != nil || p.server.Err() != nil {
			t.Fatalf("fromClient=%v: closed after injection: client %v, server %v", fromClient, p.client.Err(), p.server.Err())
		}
	}
}

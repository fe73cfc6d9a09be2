package core

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// Connection termination (RFC 9000, Section 10): idle timeout, immediate
// close in both directions, close during the handshake, stateless reset,
// and stream resets.

// linkLog records, per direction, when the link last carried a datagram,
// the sender's view (sent) and the receiver's (arrival, with the link's
// fixed delay and no jitter).
type linkLog struct {
	lastSent    [2]time.Time // [0] client to server, [1] server to client
	lastArrival [2]time.Time
	count       [2]int
}

func dir(toServer bool) int {
	if toServer {
		return 0
	}
	return 1
}

func (l *linkLog) watch(p *testPair) {
	p.onDatagram = func(toServer bool, d []byte) bool {
		i := dir(toServer)
		l.lastSent[i] = p.now
		l.lastArrival[i] = p.now.Add(p.link.delay)
		l.count[i]++
		return true
	}
}

// closedTimes runs p until both sides are closed (IsClosed) and returns
// when each became so.
func closedTimes(t *testing.T, p *testPair, limit time.Duration) (client, server time.Time) {
	t.Helper()
	ok := p.run(limit, func() bool {
		if client.IsZero() && p.client.IsClosed() {
			client = p.now
		}
		if server.IsZero() && p.server.IsClosed() {
			server = p.now
		}
		return !client.IsZero() && !server.IsZero()
	})
	if !ok {
		t.Fatalf("not both closed after %v: client %v (closed %v), server %v (closed %v)",
			limit, p.client.Err(), p.client.IsClosed(), p.serverErr(), p.server.IsClosed())
	}
	return client, server
}

// expectSilent checks that c sends nothing and has no timer any more.
func expectSilent(t *testing.T, name string, c *Conn, now time.Time) {
	t.Helper()
	buf := make([]byte, 1500)
	if n, _ := c.Send(buf, now); n != 0 {
		t.Errorf("%s: Send after close returned %d bytes", name, n)
	}
	if d, ok := c.Timeout(); ok {
		t.Errorf("%s: Timeout after close = %v", name, d)
	}
}

func TestIdleTimeout(t *testing.T) {
	const delay = 10 * time.Millisecond
	tests := []struct {
		name           string
		client, server time.Duration // MaxIdleTimeout of each
		want           time.Duration // negotiated; 0 means 3 PTO
	}{
		{"client smaller", 5 * time.Second, 10 * time.Second, 5 * time.Second},
		{"server smaller", 10 * time.Second, 4 * time.Second, 4 * time.Second},
		// RFC 9000, Section 10.1: never less than three PTOs.
		{"below 3 PTO", time.Millisecond, 10 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: delay},
				&Config{MaxIdleTimeout: tt.client}, &Config{MaxIdleTimeout: tt.server})
			p.handshake()
			// Let the handshake's last ACKs settle, then watch the link.
			p.advance(100 * time.Millisecond)
			if p.client.Err() != nil || p.server.Err() != nil {
				t.Fatalf("closed before idle: client %v, server %v", p.client.Err(), p.server.Err())
			}
			var log linkLog
			log.watch(p)
			// One exchange of activity whose timing the test knows: the
			// client sends a PING, the server acknowledges it.
			p.client.spaces[spaceApp].pingOwed = true
			start := p.now
			clientAt, serverAt := closedTimes(t, p, time.Minute)

			if log.count[0] == 0 || log.count[1] == 0 {
				t.Fatalf("no exchange: %d datagrams to server, %d to client", log.count[0], log.count[1])
			}
			// Each side's idle timer restarted when it last received a
			// packet (RFC 9000, Section 10.1).
			for _, side := range []struct {
				name     string
				c        *Conn
				closedAt time.Time
				lastRecv time.Time
			}{
				{"client", p.client, clientAt, log.lastArrival[dir(false)]},
				{"server", p.server, serverAt, log.lastArrival[dir(true)]},
			} {
				want := tt.want
				if want == 0 {
					want = 3 * side.c.rtt.PTO(side.c.peerMaxAckDelay())
				}
				if got := side.closedAt.Sub(side.lastRecv); got != want {
					t.Errorf("%s closed %v after its last receive, want %v (exchange started at +%v)",
						side.name, got, want, side.lastRecv.Sub(start))
				}
				if diff := cmp.Diff(&ConnError{IdleTimeout: true, Reason: "idle timeout"}, side.c.Err()); diff != "" {
					t.Errorf("%s Err (-want +got):\n%s", side.name, diff)
				}
				expectSilent(t, side.name, side.c, p.now)
			}
			// The idle timeout closes silently: nothing on the link after
			// the exchange.
			first := clientAt
			if serverAt.Before(first) {
				first = serverAt
			}
			for i, last := range log.lastSent {
				if !last.Before(first) {
					t.Errorf("direction %d: datagram sent at +%v, after the first idle close at +%v",
						i, last.Sub(start), first.Sub(start))
				}
			}
		})
	}
}

// TestIdleTimeoutPostponedByActivity keeps a connection busy for several
// idle periods with stream data; it closes only once the data stops.
func TestIdleTimeoutPostponedByActivity(t *testing.T) {
	const idle = 5 * time.Second
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{MaxIdleTimeout: idle}, nil)
	p.handshake()
	id, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	var lastWrite time.Time
	for i := 0; i < 8; i++ { // 8 x 3s: almost five idle periods
		if _, err := p.client.StreamWrite(id, []byte("keepalive"), false); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		lastWrite = p.now
		p.advance(3 * time.Second)
		if p.client.Err() != nil || p.server.Err() != nil {
			t.Fatalf("closed at +%v despite activity: client %v, server %v", p.now.Sub(testStart), p.client.Err(), p.server.Err())
		}
		for {
			n, _, err := p.server.StreamRead(id, buf)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
	}
	clientAt, serverAt := closedTimes(t, p, time.Minute)
	for name, at := range map[string]time.Time{"client": clientAt, "server": serverAt} {
		// The last write's packet and its ACK take a few tens of
		// milliseconds; the idle period runs from them.
		if d := at.Sub(lastWrite); d < idle || d > idle+time.Second {
			t.Errorf("%s closed %v after the last write, want about %v", name, d, idle)
		}
	}
	if !p.client.Err().IdleTimeout || !p.server.Err().IdleTimeout {
		t.Errorf("not an idle timeout: client %v, server %v", p.client.Err(), p.server.Err())
	}
}

// TestApplicationClose closes an established connection from either side
// (RFC 9000, Section 10.2).
func TestApplicationClose(t *testing.T) {
	for _, fromClient := range []bool{true, false} {
		name := "server closes"
		if fromClient {
			name = "client closes"
		}
		t.Run(name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
			p.handshake()
			p.advance(100 * time.Millisecond)
			closer, peer := p.server, p.client
			if fromClient {
				closer, peer = p.client, p.server
			}
			var log linkLog
			log.watch(p)

			closeAt := p.now
			closerEnd := closeAt.Add(3 * closer.rtt.PTO(closer.peerMaxAckDelay()))
			closer.Close(42, "bye", p.now)
			var drainAt, peerEnd time.Time
			var peerSentAtDrain int
			peerDir := dir(peer == p.client)
			ok := p.run(time.Minute, func() bool {
				if drainAt.IsZero() && peer.Err() != nil {
					drainAt = p.now
					peerEnd = drainAt.Add(3 * peer.rtt.PTO(peer.peerMaxAckDelay()))
					peerSentAtDrain = log.count[peerDir]
				}
				return closer.IsClosed() && peer.IsClosed()
			})
			if !ok {
				t.Fatalf("not closed: closer %v, peer %v", closer.Err(), peer.Err())
			}
			want := &ConnError{App: true, Code: 42, Reason: "bye"}
			if diff := cmp.Diff(want, closer.Err()); diff != "" {
				t.Errorf("closer Err (-want +got):\n%s", diff)
			}
			want.Remote = true
			if diff := cmp.Diff(want, peer.Err()); diff != "" {
				t.Errorf("peer Err (-want +got):\n%s", diff)
			}
			// The closer sent its CONNECTION_CLOSE; the draining peer sent
			// nothing at all (RFC 9000, Section 10.2.2).
			if log.count[dir(closer == p.client)] == 0 {
				t.Error("closer sent no CONNECTION_CLOSE")
			}
			if log.count[peerDir] != peerSentAtDrain {
				t.Errorf("draining peer sent %d datagrams", log.count[peerDir]-peerSentAtDrain)
			}
			// Both stay in closing or draining for three PTOs.
			if closer.IsClosed() && p.now.Before(closerEnd) {
				t.Errorf("closer closed before %v", closerEnd.Sub(closeAt))
			}
			if p.now.Before(peerEnd) {
				t.Errorf("peer closed at +%v, before its draining period ended at +%v", p.now.Sub(closeAt), peerEnd.Sub(closeAt))
			}
			expectSilent(t, "closer", closer, p.now)
			expectSilent(t, "peer", peer, p.now)
		})
	}
}

// TestClosingPeriods checks when each side becomes IsClosed: three PTOs
// after closing, or after the CONNECTION_CLOSE arrived (RFC 9000,
// Section 10.2).
func TestClosingPeriods(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	p.advance(100 * time.Millisecond)
	closeAt := p.now
	clientPTO := p.client.rtt.PTO(p.client.peerMaxAckDelay())
	serverPTO := p.server.rtt.PTO(p.server.peerMaxAckDelay())
	p.client.Close(42, "bye", p.now)
	clientAt, serverAt := closedTimes(t, p, time.Minute)
	if got, want := clientAt.Sub(closeAt), 3*clientPTO; got != want {
		t.Errorf("client closed %v after Close, want 3 PTO = %v", got, want)
	}
	// The server drains from the arrival of the CONNECTION_CLOSE, one link
	// delay after Close.
	if got, want := serverAt.Sub(closeAt), 10*time.Millisecond+3*serverPTO; got != want {
		t.Errorf("server closed %v after the client's Close, want delay + 3 PTO = %v", got, want)
	}
}

// TestCloseBeforeHandshake closes before the handshake completes: the
// application's code must not be revealed in Initial or Handshake packets;
// the peer sees APPLICATION_ERROR (RFC 9000, Section 10.2.3).
func TestCloseBeforeHandshake(t *testing.T) {
	tests := []struct {
		name       string
		fromClient bool
		// until runs the pair to the moment of closing.
		until func(p *testPair) bool
	}{
		{"client after its first Initial", true, func(p *testPair) bool { return p.server != nil }},
		{"server after the client's first Initial", false, func(p *testPair) bool { return p.server != nil }},
		{"server before it completes", false, func(p *testPair) bool { return p.client.HandshakeComplete() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
			if !p.run(time.Second, func() bool { return tt.until(p) }) {
				t.Fatal("never reached the moment of closing")
			}
			closer, peer := p.server, p.client
			if tt.fromClient {
				closer, peer = p.client, p.server
			}
			if closer.HandshakeComplete() {
				t.Fatal("closer's handshake already complete")
			}
			closer.Close(42, "secret reason", p.now)
			if !p.run(10*time.Second, func() bool { return peer.Err() != nil }) {
				t.Fatalf("peer never saw the close; closer %v", closer.Err())
			}
			if diff := cmp.Diff(&ConnError{App: true, Code: 42, Reason: "secret reason"}, closer.Err()); diff != "" {
				t.Errorf("closer Err (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(&ConnError{Code: uint64(wire.ApplicationError), Remote: true}, peer.Err()); diff != "" {
				t.Errorf("peer Err (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamCallsAfterClose checks that every stream call returns the
// ConnError once the connection is closed, on both sides.
func TestStreamCallsAfterClose(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	id, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.client.StreamWrite(id, []byte("data"), false); err != nil {
		t.Fatal(err)
	}
	p.advance(100 * time.Millisecond)
	if _, ok := p.server.AcceptStream(true); !ok {
		t.Fatal("server did not accept the stream")
	}
	p.client.Close(7, "done", p.now)
	if !p.run(10*time.Second, func() bool { return p.server.Err() != nil }) {
		t.Fatal("server never saw the close")
	}
	for _, side := range []struct {
		name string
		c    *Conn
	}{{"client", p.client}, {"server", p.server}} {
		want := side.c.Err()
		buf := make([]byte, 10)
		calls := map[string]error{}
		_, calls["OpenStream"] = side.c.OpenStream(true)
		_, calls["StreamWrite"] = side.c.StreamWrite(id, []byte("x"), false)
		_, _, calls["StreamRead"] = side.c.StreamRead(id, buf)
		calls["StreamReset"] = side.c.StreamReset(id, 1)
		calls["StreamStopSending"] = side.c.StreamStopSending(id, 1)
		for call, err := range calls {
			var ce *ConnError
			if !errors.As(err, &ce) || ce != want {
				t.Errorf("%s: %s = %v, want the ConnError %v", side.name, call, err, want)
			}
		}
	}
}

// TestStatelessReset delivers a stateless reset carrying the server's token
// to the client (RFC 9000, Section 10.3).
func TestStatelessReset(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	p.advance(100 * time.Millisecond)
	pp := p.client.PeerParams()
	if pp == nil || !pp.HasStatelessResetToken {
		t.Fatal("server sent no stateless_reset_token")
	}
	// Looks like a short-header packet (RFC 9000, Section 10.3): the
	// fixed bit set, unpredictable bits, the token last.
	reset := func(token [16]byte) []byte {
		d := []byte{0x40 | 0x1b}
		for i := 0; i < 30; i++ {
			d = append(d, byte(i*37+11))
		}
		return append(d, token[:]...)
	}
	// A datagram with a wrong token is just an undecryptable packet.
	wrong := pp.StatelessResetToken
	wrong[0] ^= 1
	p.client.Receive(reset(wrong), serverAddr, p.now)
	if err := p.client.Err(); err != nil {
		t.Fatalf("wrong token closed the client: %v", err)
	}
	var log linkLog
	log.watch(p)
	p.client.Receive(reset(pp.StatelessResetToken), serverAddr, p.now)
	err := p.client.Err()
	if err == nil || !err.StatelessReset || !err.Remote {
		t.Fatalf("client Err = %+v, want a stateless reset", err)
	}
	// The client enters draining: it sends nothing more, not even a
	// CONNECTION_CLOSE (RFC 9000, Section 10.3.1).
	p.run(10*time.Second, func() bool { return p.client.IsClosed() })
	if !p.client.IsClosed() {
		t.Error("client never closed after the stateless reset")
	}
	if log.count[dir(true)] != 0 {
		t.Errorf("client sent %d datagrams after the stateless reset", log.count[dir(true)])
	}
}

// TestStreamResetAndStopSending checks RESET_STREAM and STOP_SENDING end
// to end (RFC 9000, Sections 3.5, 19.4 and 19.5).
func TestStreamResetAndStopSending(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	reset, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{reset, stopped} {
		if _, err := p.client.StreamWrite(id, streamData(3000), false); err != nil {
			t.Fatal(err)
		}
	}
	p.advance(200 * time.Millisecond)

	// The client resets one stream: the server's reader gets the code.
	if err := p.client.StreamReset(reset, 7); err != nil {
		t.Fatal(err)
	}
	// The server stops reading the other: the client's writer gets the
	// code, and the client answers with RESET_STREAM.
	if err := p.server.StreamStopSending(stopped, 9); err != nil {
		t.Fatal(err)
	}
	p.advance(500 * time.Millisecond)

	buf := make([]byte, 4096)
	var readErr error
	for readErr == nil {
		_, _, readErr = p.server.StreamRead(reset, buf)
	}
	if diff := cmp.Diff(error(&StreamError{StreamID: reset, Code: 7, Remote: true}), readErr); diff != "" {
		t.Errorf("server StreamRead of the reset stream (-want +got):\n%s", diff)
	}
	_, werr := p.client.StreamWrite(stopped, []byte("more"), false)
	if diff := cmp.Diff(error(&StreamError{StreamID: stopped, Code: 9, Remote: true}), werr); diff != "" {
		t.Errorf("client StreamWrite after STOP_SENDING (-want +got):\n%s", diff)
	}
	// The client's RESET_STREAM reached the server: its receive part is
	// reset with the STOP_SENDING code.
	if s := p.server.streams.streams[stopped]; s == nil {
		t.Errorf("server forgot stream %d", stopped)
	} else if !s.resetReceived || s.resetRecvCode != 9 {
		t.Errorf("server stream %d: resetReceived %v code %d, want RESET_STREAM with code 9", stopped, s.resetReceived, s.resetRecvCode)
	}
	cs := p.client.streams.streams[stopped]
	if cs != nil && !cs.resetSent {
		t.Errorf("client stream %d: no RESET_STREAM sent after STOP_SENDING", stopped)
	}
	if p.client.Err() != nil || p.server.Err() != nil {
		t.Errorf("connection closed: client %v, server %v", p.client.Err(), p.server.Err())
	}
}

// TestLostConnectionClose drops the closer's first CONNECTION_CLOSE: the
// closing endpoint answers the peer's later packets with it again, so the
// peer still learns the code (RFC 9000, Section 10.2.1).
func TestLostConnectionClose(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	p.advance(100 * time.Millisecond)
	// The server has data in flight, so it keeps sending (retransmissions
	// and probes) while the client is closing.
	id, err := p.server.OpenStream(false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.server.StreamWrite(id, streamData(5000), false); err != nil {
		t.Fatal(err)
	}
	dropped := 0
	p.onDatagram = func(toServer bool, d []byte) bool {
		if toServer && p.client.IsDraining() && dropped == 0 {
			dropped++
			return false
		}
		return true
	}
	p.client.Close(42, "bye", p.now)
	if !p.run(10*time.Second, func() bool { return p.server.Err() != nil }) {
		t.Fatal("server never learned of the close")
	}
	if dropped != 1 {
		t.Fatalf("dropped %d CONNECTION_CLOSE datagrams, want 1", dropped)
	}
	if diff := cmp.Diff(&ConnError{App: true, Code: 42, Reason: "bye", Remote: true}, p.server.Err()); diff != "" {
		t.Errorf("server Err (-want +got):\n%s", diff)
	}
}

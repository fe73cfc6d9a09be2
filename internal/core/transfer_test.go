package core

import (
	"bytes"
	"crypto/sha256"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// transfer describes streams the client opens and sends on; the server
// echoes nothing back but reads everything, and the test checks each
// stream's bytes by SHA-256. Streams are visited in ID order so that a run
// is a function of the seed alone.
type transfer struct {
	p       *testPair
	ids     []int64          // client streams opened, in order
	payload map[int64][]byte // by stream ID: what the client sends
	sent    map[int64]int    // bytes written; len+1 once FIN is written
	got     map[int64]*bytes.Buffer
	fin     map[int64]bool
	// clientFin records the streams whose server half the client has read
	// to the end.
	clientFin map[int64]bool
	pending   []int // sizes of streams not yet opened
	buf       []byte
	seed      uint64
	// finished counts streams fully received, so done need not scan them all.
	finished int
}

func newTransfer(p *testPair, sizes []int, seed uint64) *transfer {
	return &transfer{
		p:         p,
		payload:   map[int64][]byte{},
		sent:      map[int64]int{},
		got:       map[int64]*bytes.Buffer{},
		fin:       map[int64]bool{},
		clientFin: map[int64]bool{},
		pending:   slices.Clone(sizes),
		buf:       make([]byte, 64<<10),
		seed:      seed,
	}
}

// payloadCache keeps generated payloads: the big ones are slow to make and
// every case of a matrix uses the same.
var payloadCache = map[[2]uint64][]byte{}

// makePayload returns n pseudo-random bytes determined by n and seed. The
// result is shared and must not be modified.
func makePayload(n int, seed uint64) []byte {
	key := [2]uint64{uint64(n), seed}
	if b, ok := payloadCache[key]; ok {
		return b
	}
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := i; j < min(i+8, n); j++ {
			b[j] = byte(v)
			v >>= 8
		}
	}
	payloadCache[key] = b
	return b
}

// step opens streams, writes and reads whatever the Conns allow now.
func (tr *transfer) step() {
	c, s := tr.p.client, tr.p.server
	for len(tr.pending) > 0 && c.HandshakeComplete() {
		id, err := c.OpenStream(true)
		if err != nil {
			break
		}
		tr.ids = append(tr.ids, id)
		tr.payload[id] = makePayload(tr.pending[0], tr.seed<<32|uint64(id))
		tr.pending = tr.pending[1:]
	}
	for _, id := range tr.ids {
		data := tr.payload[id]
		if tr.sent[id] > len(data) {
			continue
		}
		n, err := c.StreamWrite(id, data[tr.sent[id]:], true)
		if err != nil {
			tr.p.t.Fatalf("StreamWrite(%d): %v", id, err)
		}
		tr.sent[id] += n
		if tr.sent[id] == len(data) {
			tr.sent[id]++ // FIN sent
		}
	}
	for c.NextEventDiscard() {
	}
	// The client reads the server's (empty) half of each stream to its FIN,
	// so that both ends can forget the stream.
	for _, id := range tr.ids {
		if !tr.clientFin[id] {
			for {
				n, fin, err := c.StreamRead(id, tr.buf)
				if err != nil || fin {
					tr.clientFin[id] = fin
					break
				}
				if n == 0 {
					break
				}
			}
		}
	}
	if s == nil {
		return
	}
	for {
		e, ok := s.NextEvent()
		if !ok {
			break
		}
		if e.Kind == EventStreamAcceptable {
			for {
				id, ok := s.AcceptStream(true)
				if !ok {
					break
				}
				// The server sends nothing back: it ends its half at once,
				// so that the stream ends and the server can let the
				// client open another (RFC 9000, Section 4.6).
				if _, err := s.StreamWrite(id, nil, true); err != nil {
					tr.p.t.Fatalf("server StreamWrite(%d, FIN): %v", id, err)
				}
			}
		}
	}
	for _, id := range tr.ids {
		if !tr.fin[id] {
			tr.read(id)
		}
	}
}

func (tr *transfer) read(id int64) {
	s := tr.p.server
	for {
		n, fin, err := s.StreamRead(id, tr.buf)
		if err != nil {
			return
		}
		if tr.got[id] == nil {
			tr.got[id] = &bytes.Buffer{}
		}
		tr.got[id].Write(tr.buf[:n])
		if fin {
			tr.fin[id] = true
			tr.finished++
			return
		}
		if n == 0 {
			return
		}
	}
}

func (tr *transfer) done() bool {
	tr.step()
	return len(tr.pending) == 0 && tr.finished == len(tr.ids)
}

// check verifies every stream's bytes by SHA-256.
func (tr *transfer) check(t *testing.T) {
	t.Helper()
	for _, id := range tr.ids {
		want := tr.payload[id]
		got := tr.got[id]
		if got == nil || sha256.Sum256(got.Bytes()) != sha256.Sum256(want) {
			n := 0
			if got != nil {
				n = got.Len()
			}
			t.Errorf("stream %d: received %d bytes with a different checksum; want %d bytes", id, n, len(want))
		}
	}
}

// runTransfer does the handshake and the transfer, fails the test if it
// doesn't finish within limit of fake time, and checks the bytes and that
// neither side closed.
func runTransfer(t *testing.T, p *testPair, sizes []int, limit time.Duration) *transfer {
	t.Helper()
	p.handshake()
	tr := newTransfer(p, sizes, 1)
	if !p.run(limit, tr.done) {
		t.Fatalf("transfer did not finish by %v: %d of %d streams done, %d not opened; client err %v, server err %v",
			p.now.Sub(testStart), tr.finished, len(tr.ids), len(tr.pending), p.client.Err(), p.serverErr())
	}
	tr.check(t)
	checkOpen(t, p)
	return tr
}

// checkOpen fails the test if either side has closed or is closing.
func checkOpen(t *testing.T, p *testPair) {
	t.Helper()
	if err := p.client.Err(); err != nil || p.client.IsDraining() {
		t.Errorf("client not open after transfer: %v", err)
	}
	if err := p.serverErr(); err != nil || p.server.IsDraining() {
		t.Errorf("server not open after transfer: %v", err)
	}
}

// NextEventDiscard drops one event; used where the test doesn't care.
func (c *Conn) NextEventDiscard() bool { _, ok := c.NextEvent(); return ok }

func TestHandshake(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	if got := p.client.ALPN(); got != "test" {
		t.Errorf("client ALPN = %q", got)
	}
	if got := p.server.ALPN(); got != "test" {
		t.Errorf("server ALPN = %q", got)
	}
	if p.client.PeerParams() == nil || p.server.PeerParams() == nil {
		t.Errorf("transport parameters missing")
	}
}

func TestTransfer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		link  linkConfig
	}{
		{"1x1MB", []int{1 << 20}, linkConfig{delay: 5 * time.Millisecond}},
		{"10x100KB_loss5", repeat(10, 100<<10), linkConfig{delay: 5 * time.Millisecond, jitter: 2 * time.Millisecond, loss: 0.05, duplicate: 0.02}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newTestPair(t, 7, tc.link, nil, nil)
			runTransfer(t, p, tc.sizes, 10*time.Minute)
		})
	}
}

// TestTransferMatrix is the transfer matrix: one 50 MB stream and
// 200 streams of 100 KB, at 0%, 5% and 20% loss, each with reordering
// (jitter) and 2% duplication. 200 streams exceed the server's initial
// MAX_STREAMS of 100, so the server must release finished streams and raise
// the limit (RFC 9000, Section 4.6).
func TestTransferMatrix(t *testing.T) {
	shapes := []struct {
		name  string
		sizes []int
	}{
		{"1x50MB", []int{50 << 20}},
		{"200x100KB", repeat(200, 100<<10)},
	}
	for _, shape := range shapes {
		for _, loss := range []float64{0, 0.05, 0.20} {
			name := shape.name + "_loss" + itoa(int(loss*100))
			t.Run(name, func(t *testing.T) {
				link := linkConfig{
					delay:     10 * time.Millisecond,
					jitter:    5 * time.Millisecond,
					loss:      loss,
					duplicate: 0.02,
				}
				p := newTestPair(t, 42, link, nil, nil)
				runTransfer(t, p, shape.sizes, time.Hour)
				cs := p.client.Stats()
				ss := p.server.Stats()
				t.Logf("fake time %v, client %+v, server %+v", p.now.Sub(testStart), cs, ss)
				if loss > 0 && cs.PacketsLost == 0 {
					t.Errorf("client lost no packets at %v%% loss", loss*100)
				}
			})
		}
	}
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

// TestStreamsBlockedOnce checks that an application retrying OpenStream at
// the peer's stream limit doesn't make the connection chatter: the client
// sends STREAMS_BLOCKED once for the limit (RFC 9000, Section 19.14), and
// then the link falls quiet until the idle timeout.
func TestStreamsBlockedOnce(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, &Config{MaxIdleTimeout: 20 * time.Second}, nil)
	p.handshake()
	for range 100 {
		if _, err := p.client.OpenStream(true); err != nil {
			t.Fatalf("OpenStream below the limit: %v", err)
		}
	}
	before := len(p.trace)
	blocked := 0
	p.run(10*time.Second, func() bool {
		if _, err := p.client.OpenStream(true); err == ErrStreamLimit {
			blocked++
		}
		return false
	})
	if blocked == 0 {
		t.Fatalf("OpenStream never hit the stream limit")
	}
	if n := len(p.trace) - before; n > 10 {
		t.Errorf("%d datagrams in 10s while the client retried OpenStream %d times at the limit; want a handful", n, blocked)
	}
	// Quiet, the connection times out as it should.
	p.run(time.Minute, func() bool { return p.client.Err() != nil })
	if p.client.Err() == nil {
		t.Errorf("client did not time out while idle at the stream limit")
	}
}

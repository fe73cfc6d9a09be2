package core

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// transfer describes streams the client opens and sends on; the server
// echoes nothing back but reads everything, and the test checks each
// stream's bytes by SHA-256.
type transfer struct {
	p       *testPair
	payload map[int64][]byte // by stream ID: what the client sends
	sent    map[int64]int
	got     map[int64]*bytes.Buffer
	fin     map[int64]bool
	pending []int // sizes of streams not yet opened
	buf     []byte
}

func newTransfer(p *testPair, sizes []int, seed uint64) *transfer {
	tr := &transfer{
		p:       p,
		payload: map[int64][]byte{},
		sent:    map[int64]int{},
		got:     map[int64]*bytes.Buffer{},
		fin:     map[int64]bool{},
		pending: sizes,
		buf:     make([]byte, 64<<10),
	}
	_ = seed
	return tr
}

func makePayload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
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
		tr.payload[id] = makePayload(tr.pending[0], uint64(id))
		tr.pending = tr.pending[1:]
	}
	for id, data := range tr.payload {
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
				if _, ok := s.AcceptStream(true); !ok {
					break
				}
			}
		}
	}
	for id := range s.streams.streams {
		tr.read(id)
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
			return
		}
		if n == 0 {
			return
		}
	}
}

func (tr *transfer) done() bool {
	tr.step()
	if len(tr.pending) > 0 {
		return false
	}
	for id := range tr.payload {
		if !tr.fin[id] {
			return false
		}
	}
	return true
}

func (tr *transfer) check(t *testing.T) {
	t.Helper()
	for id, want := range tr.payload {
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
			p.handshake()
			tr := newTransfer(p, tc.sizes, 1)
			if !p.run(10*time.Minute, tr.done) {
				t.Fatalf("transfer did not finish by %v; client err %v server err %v", p.now.Sub(testStart), p.client.Err(), p.serverErr())
			}
			tr.check(t)
		})
	}
}

func repeat(n, size int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = size
	}
	return s
}

var _ = fmt.Sprint

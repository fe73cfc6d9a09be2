package core

import (
	"testing"
	"time"
)

// TestFinishedStreamReturnsChunks checks that a stream that is over in both
// directions gives its buffers' chunks back, the spare ones included: a
// server answering many small requests must not cost two fresh 16 KiB
// chunks per stream on each side.
func TestFinishedStreamReturnsChunks(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
	p.handshake()
	id, err := p.client.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	p.client.StreamWrite(id, []byte("GET /1k\r\n"), true)
	clientSide := p.client.streams.streams[id]
	var serverSide *stream
	buf := make([]byte, 4096)
	got := 0
	answered, clientFin := false, false
	done := p.run(10*time.Second, func() bool {
		if sid, ok := p.server.AcceptStream(true); ok {
			serverSide = p.server.streams.streams[sid]
		}
		if serverSide != nil && !answered {
			if _, fin, _ := p.server.StreamRead(serverSide.id, buf); fin {
				p.server.StreamWrite(serverSide.id, make([]byte, 1024), true)
				answered = true
			}
		}
		for !clientFin {
			n, fin, _ := p.client.StreamRead(id, buf)
			got += n
			clientFin = fin
			if n == 0 {
				break
			}
		}
		for p.server.NextEventDiscard() {
		}
		for p.client.NextEventDiscard() {
		}
		_, clientOpen := p.client.streams.streams[id]
		return clientFin && serverSide != nil && !clientOpen && p.server.streams.streams[serverSide.id] == nil
	})
	if !done {
		t.Fatalf("exchange not over: response %d bytes, fin %v", got, clientFin)
	}
	for name, s := range map[string]*stream{"client": clientSide, "server": serverSide} {
		if n := s.send.Footprint() + s.recv.Footprint(); n != 0 {
			t.Errorf("%s's finished stream holds %d bytes of chunks; want 0", name, n)
		}
	}
}

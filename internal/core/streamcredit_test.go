package core

import (
	"testing"
	"time"
)

// TestStreamCreditBatched checks that a server whose client makes one
// request stream at a time returns stream credit in batches, when half
// of the limit is used (RFC 9000, Section 4.6), rather than with a
// MAX_STREAMS, and so a packet, for every stream that ends; and that the
// client is never held back by the limit.
func TestStreamCreditBatched(t *testing.T) {
	const limit, requests = 10, 100
	p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, &Config{MaxBidiStreams: limit})
	p.handshake()
	updates := 0
	last := p.client.streams.peerMaxBidi
	buf := make([]byte, 64)
	for i := range requests {
		id, err := p.client.OpenStream(true)
		if err != nil {
			t.Fatalf("request %d: OpenStream: %v", i, err)
		}
		p.client.StreamWrite(id, []byte("request"), true)
		var sid int64 = -1
		answered := false
		clientDone := false
		ok := p.run(5*time.Second, func() bool {
			if sid < 0 {
				if s, ok := p.server.AcceptStream(true); ok {
					sid = s
				}
			}
			if sid >= 0 && !answered {
				if _, fin, _ := p.server.StreamRead(sid, buf); fin {
					p.server.StreamWrite(sid, []byte("response"), true)
					answered = true
				}
			}
			if answered && !clientDone {
				if _, fin, _ := p.client.StreamRead(id, buf); fin {
					clientDone = true
				}
			}
			if m := p.client.streams.peerMaxBidi; m != last {
				updates++
				last = m
			}
			return clientDone
		})
		if !ok {
			t.Fatalf("request %d did not complete", i)
		}
	}
	// Each update gives back about limit/2 streams.
	if max := 2*requests/limit + 2; updates > max {
		t.Errorf("%d stream limit updates for %d sequential streams with a limit of %d; want at most %d", updates, requests, limit, max)
	}
	if updates == 0 {
		t.Errorf("no stream limit update for %d streams with a limit of %d", requests, limit)
	}
}

// TestStreamCreditWhenBlocked checks that a server with credit held back
// for a batch sends it when the client says it is blocked
// (STREAMS_BLOCKED), and that a client that keeps the limit's worth of
// streams open gets credit back as each one ends.
func TestStreamCreditWhenBlocked(t *testing.T) {
	const limit = 4
	p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, &Config{MaxBidiStreams: limit})
	p.handshake()
	buf := make([]byte, 64)
	opened, done := 0, 0
	var open []int64
	ok := p.run(30*time.Second, func() bool {
		for {
			id, err := p.client.OpenStream(true)
			if err != nil {
				break
			}
			p.client.StreamWrite(id, []byte("x"), true)
			open = append(open, id)
			opened++
		}
		for {
			sid, ok := p.server.AcceptStream(true)
			if !ok {
				break
			}
			p.server.StreamRead(sid, buf)
			p.server.StreamWrite(sid, []byte("y"), true)
		}
		for i := 0; i < len(open); i++ {
			if _, fin, _ := p.client.StreamRead(open[i], buf); fin {
				open = append(open[:i], open[i+1:]...)
				i--
				done++
			}
		}
		return done >= 40
	})
	if !ok {
		t.Fatalf("%d streams done of 40 (%d opened): stream credit stalled", done, opened)
	}
}

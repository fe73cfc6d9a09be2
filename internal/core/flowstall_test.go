package core

import (
	"testing"
	"time"
)

// TestReadOneStreamAtATime reads three concurrent streams one after the
// other. The unread streams park data in the connection window; the stream
// being read must still get MAX_DATA, which DATA_BLOCKED now prompts, or the
// transfer stalls until the idle timeout.
func TestReadOneStreamAtATime(t *testing.T) {
	p := newTestPair(t, 5, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
	p.handshake()
	const size = 3 << 20
	var ids []int64
	for range 3 {
		id, err := p.client.OpenStream(true)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	payload := makePayload(size, 1)
	sent := make([]int, 3)
	got := make([]int, 3)
	current := 0
	buf := make([]byte, 64<<10)
	done := func() bool {
		for i, id := range ids {
			if sent[i] < size {
				n, err := p.client.StreamWrite(id, payload[sent[i]:], true)
				if err != nil {
					t.Fatalf("write: %v", err)
				}
				sent[i] += n
			}
		}
		for p.client.NextEventDiscard() {
		}
		if p.server != nil {
			for p.server.NextEventDiscard() {
			}
			for current < 3 {
				n, fin, err := p.server.StreamRead(ids[current], buf)
				if err != nil && err != ErrUnknownStream {
					t.Fatalf("read: %v", err)
				}
				got[current] += n
				if fin {
					current++
					continue
				}
				if n == 0 {
					break
				}
			}
		}
		return current == 3
	}
	if !p.run(5*time.Minute, done) {
		t.Fatalf("stalled at %v with %v bytes read (client err %v, server err %v)", p.now.Sub(testStart), got, p.client.Err(), p.serverErr())
	}
	for i, n := range got {
		if n != size {
			t.Errorf("stream %d: read %d bytes; want %d", i, n, size)
		}
	}
}

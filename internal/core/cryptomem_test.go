package core

import (
	"testing"
	"time"
)

// TestCryptoBuffersReleased checks that an idle connection keeps no CRYPTO
// buffer memory: the Initial and Handshake levels release theirs when their
// keys are discarded (RFC 9001, Section 4.9), and the 1-RTT level, which
// carries session tickets, keeps none once its data is acknowledged or read.
func TestCryptoBuffersReleased(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	p.handshake()
	// Let the last ACKs, of the session ticket included, go through.
	p.run(time.Second, func() bool { return false })
	for _, side := range []struct {
		name string
		c    *Conn
	}{{"client", p.client}, {"server", p.server}} {
		for i := range side.c.spaces {
			s := &side.c.spaces[i]
			if n := s.cryptoSend.Footprint() + s.cryptoRecv.Footprint(); n != 0 {
				t.Errorf("%s, %v space: CRYPTO buffers hold %d bytes, want 0", side.name, s.id, n)
			}
		}
	}
}

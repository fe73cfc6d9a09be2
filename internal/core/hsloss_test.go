package core

import (
	"bytes"
	"testing"
	"time"
)

// TestRequestDuringLossyHandshake plays the interop runner's handshakeloss
// case, harder: 30% of datagrams are lost each way for the whole exchange,
// and the client sends its request as soon as its handshake completes,
// before it is confirmed. The response must arrive for every seed. (Before
// the second PTO probe carried data too, seed 60 stalled into the idle
// timeout.)
func TestRequestDuringLossyHandshake(t *testing.T) {
	request := []byte("GET /file\r\n")
	response := makePayload(1024, 9)
	for seed := uint64(1); seed <= 300; seed++ {
		p := newTestPair(t, seed, linkConfig{delay: 5 * time.Millisecond, loss: 0.3}, nil, nil)
		var (
			id     int64 = -1
			got    bytes.Buffer
			fin    bool
			buf    = make([]byte, 4096)
			served = map[int64]bool{}
		)
		done := func() bool {
			c, s := p.client, p.server
			if id < 0 && c.HandshakeComplete() {
				var err error
				if id, err = c.OpenStream(true); err != nil {
					t.Fatalf("seed %d: OpenStream: %v", seed, err)
				}
				c.StreamWrite(id, request, true)
			}
			if s != nil {
				for {
					sid, ok := s.AcceptStream(true)
					if !ok {
						break
					}
					served[sid] = false
				}
				for sid, sent := range served {
					if sent {
						continue
					}
					n, f, _ := s.StreamRead(sid, buf)
					_ = n
					if f {
						s.StreamWrite(sid, response, true)
						served[sid] = true
					}
				}
				for s.NextEventDiscard() {
				}
			}
			for c.NextEventDiscard() {
			}
			if id >= 0 && !fin {
				for {
					n, f, err := c.StreamRead(id, buf)
					got.Write(buf[:n])
					if f {
						fin = true
					}
					if err != nil || n == 0 || f {
						break
					}
				}
			}
			return fin
		}
		if !p.run(60*time.Second, done) {
			t.Errorf("seed %d: no response after %v (client confirmed %v, server confirmed %v; errors %v / %v)",
				seed, p.now.Sub(testStart), p.client.HandshakeConfirmed(), p.server != nil && p.server.HandshakeConfirmed(), p.client.Err(), p.serverErr())
			continue
		}
		if !bytes.Equal(got.Bytes(), response) {
			t.Errorf("seed %d: response of %d bytes differs", seed, got.Len())
		}
	}
}

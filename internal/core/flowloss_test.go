package core

import (
	"testing"
	"time"
)

// TestFlowControlWithLoss moves data through small fixed receive windows
// over a lossy link. The sender keeps reaching the connection's and the
// stream's limits, and a lost packet below the limit leaves a hole that
// the receiver cannot read past, so it cannot give more credit: the lost
// data must go again even though flow control holds back new data (it was
// allowed already). Before, a stream parked at the connection limit was
// not sent from again until MAX_DATA, which could not come: both sides
// fell silent until the idle timeout (seen as a rare stall of a 3 MiB
// loopback transfer under load).
func TestFlowControlWithLoss(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"connection_window", Config{InitialMaxData: 64 << 10, MaxData: 64 << 10}},
		{"stream_window", Config{InitialMaxStreamData: 32 << 10, MaxStreamData: 32 << 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 10; seed++ {
				cfg := tc.cfg
				p := newTestPair(t, seed, linkConfig{delay: 5 * time.Millisecond, loss: 0.02}, nil, &cfg)
				p.handshake()
				// Bursts of loss, as when a receiver's queue overflows:
				// several packets of the flight at once.
				n := 0
				p.onDatagram = func(toServer bool, d []byte) bool {
					if !toServer {
						return true
					}
					n++
					return n%64 >= 8
				}
				tr := newTransfer(p, []int{1 << 20, 256 << 10}, seed)
				if !p.run(2*time.Minute, tr.done) {
					t.Fatalf("seed %d: transfer did not finish: %v %v", seed, p.client.Err(), p.serverErr())
				}
				tr.check(t)
				checkOpen(t, p)
			}
		})
	}
}

// TestLostDataWhileConnectionBlocked sets up the stall directly: a stream
// parked at the connection's flow-control limit has several packets' worth
// of data declared lost. All of it must go again at once.
func TestLostDataWhileConnectionBlocked(t *testing.T) {
	p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
	p.handshake()
	c := p.client
	id, err := c.OpenStream(true)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 10
	c.StreamWrite(id, make([]byte, size), false)
	s := c.streams.streams[id]
	// All of it was sent, and the connection's window ends there.
	s.send.MarkSent(0, size, false)
	s.highestSent = size
	c.streams.sentNew = c.streams.sendWin.Limit()
	s.send.Write(make([]byte, 1000)) // new data, held back
	c.streams.queue(s)
	c.appendStreamFrames(&frameWriter{b: make([]byte, 0, 1500), limit: 1400, rec: &sentPacket{}})
	if !s.connBlocked || s.inSendQueue {
		t.Fatalf("stream not parked at the connection limit (parked %v, queued %v)", s.connBlocked, s.inSendQueue)
	}
	// Ten packets' worth is declared lost.
	for off := 0; off < 10*1200; off += 1200 {
		c.streams.onFrameLost(&sentFrame{kind: sentStream, id: id, offset: uint64(off), n: 1200})
	}
	for range 20 {
		c.appendStreamFrames(&frameWriter{b: make([]byte, 0, 1500), limit: 1400, rec: &sentPacket{}})
	}
	if s.send.HasResend() {
		t.Errorf("lost data still waits after 20 packets; want it all sent again")
	}
}

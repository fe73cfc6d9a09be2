package core

import (
	"testing"
	"time"
)

// bulkPump moves one stream's data from the client to the server with no
// loss and no copies beyond what the Conns do, advancing the fake clock by a
// fixed step per datagram. It is the steady-state datapath: write, pack,
// seal, open, parse, reassemble, read, acknowledge.
type bulkPump struct {
	p        *testPair
	id       int64
	chunk    []byte
	readBuf  []byte
	sendBuf  []byte
	received int
}

func newBulkPump(tb testing.TB) *bulkPump {
	p := newTestPair(tb, 1, linkConfig{delay: time.Millisecond}, nil, nil)
	p.handshake()
	id, err := p.client.OpenStream(true)
	if err != nil {
		tb.Fatal(err)
	}
	// Accept the stream on the server once it exists.
	return &bulkPump{p: p, id: id, chunk: make([]byte, 16<<10), readBuf: make([]byte, 64<<10), sendBuf: make([]byte, 2048)}
}

// moveBytes transfers at least n more bytes to the server's reader.
func (bp *bulkPump) moveBytes(tb testing.TB, n int) {
	c, s, p := bp.p.client, bp.p.server, bp.p
	goal := bp.received + n
	for steps := 0; bp.received < goal; steps++ {
		if steps > 1_000_000 {
			tb.Fatalf("bulk transfer stalled at %d of %d bytes", bp.received, goal)
		}
		for c.StreamWritable(bp.id) >= len(bp.chunk) {
			if _, err := c.StreamWrite(bp.id, bp.chunk, false); err != nil {
				tb.Fatal(err)
			}
		}
		progressed := false
		if m, _ := c.Send(bp.sendBuf, p.now); m > 0 {
			s.Receive(bp.sendBuf[:m], clientAddr, p.now)
			progressed = true
		}
		for {
			m, _, err := s.StreamRead(bp.id, bp.readBuf)
			if err != nil || m == 0 {
				break
			}
			bp.received += m
		}
		for {
			m, _ := s.Send(bp.sendBuf, p.now)
			if m == 0 {
				break
			}
			c.Receive(bp.sendBuf[:m], serverAddr, p.now)
			progressed = true
		}
		for c.NextEventDiscard() {
		}
		for s.NextEventDiscard() {
		}
		if !progressed {
			// Nothing to send now: move the clock to the next deadline.
			next := p.now.Add(time.Millisecond)
			for _, conn := range []*Conn{c, s} {
				if t, ok := conn.Timeout(); ok && t.Before(next) {
					next = t
				}
			}
			if next.After(p.now) {
				p.now = next
			}
			for _, conn := range []*Conn{c, s} {
				if t, ok := conn.Timeout(); ok && !t.After(p.now) {
					conn.OnTimeout(p.now)
				}
			}
		} else {
			p.now = p.now.Add(10 * time.Microsecond)
		}
	}
}

func BenchmarkBulkTransfer(b *testing.B) {
	bp := newBulkPump(b)
	bp.moveBytes(b, 4<<20) // warm up: windows grow, pools fill
	const perOp = 1 << 20
	b.SetBytes(perOp)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bp.moveBytes(b, perOp)
	}
	st := bp.p.client.Stats()
	b.ReportMetric(float64(st.PacketsSent)/float64(bp.received)*perOp, "pkts/MB")
}

// TestSteadyStateAllocations asserts that once warmed up, moving data
// allocates nothing per packet on either side.
func TestSteadyStateAllocations(t *testing.T) {
	if raceEnabled {
		// .ci/run runs this test again without -race.
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	stopGC(t)
	bp := newBulkPump(t)
	bp.moveBytes(t, 8<<20)
	allocs := testing.AllocsPerRun(20, func() {
		bp.moveBytes(t, 64<<10) // about 55 packets each way
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per 64 KiB moved in the steady state; want 0", allocs)
	}
}

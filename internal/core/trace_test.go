package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// countTracer counts events and records the connection states.
type countTracer struct {
	sent, received, dropped, lost, metrics, params int
	keys                                           []TraceKey
	states                                         []string
	frameBytes                                     int
}

func (t *countTracer) PacketSent(_ time.Time, p *TracePacket) {
	t.sent++
	t.frameBytes += len(p.Frames)
}
func (t *countTracer) PacketReceived(time.Time, *TracePacket)            { t.received++ }
func (t *countTracer) PacketDropped(time.Time, *TracePacket, DropReason) { t.dropped++ }
func (t *countTracer) PacketLost(time.Time, *TracePacket, LossReason)    { t.lost++ }
func (t *countTracer) MetricsUpdated(time.Time, *TraceMetrics)           { t.metrics++ }
func (t *countTracer) KeyUpdated(_ time.Time, k TraceKey)                { t.keys = append(t.keys, k) }
func (t *countTracer) ConnectionStateUpdated(_ time.Time, _, s TraceState, _ *ConnError) {
	t.states = append(t.states, s.String())
}
func (t *countTracer) ParametersSet(time.Time, bool, *wire.TransportParameters) { t.params++ }

// TestTracerEvents checks what a client's Tracer sees through a lossy
// transfer with key updates and a close.
func TestTracerEvents(t *testing.T) {
	ct := &countTracer{}
	p := newTestPair(t, 3, linkConfig{delay: 10 * time.Millisecond, loss: 0.05}, &Config{Tracer: ct, KeyUpdateInterval: 40}, nil)
	runTransfer(t, p, []int{200 << 10}, time.Minute)
	p.client.Close(0, "bye", p.now)
	p.run(time.Minute, func() bool { return p.client.IsClosed() })

	st := p.client.Stats()
	if ct.sent != int(st.PacketsSent) || ct.received != int(st.PacketsReceived) || ct.dropped != int(st.PacketsDropped) || ct.lost != int(st.PacketsLost) {
		t.Errorf("traced sent/received/dropped/lost %d/%d/%d/%d, stats %d/%d/%d/%d",
			ct.sent, ct.received, ct.dropped, ct.lost, st.PacketsSent, st.PacketsReceived, st.PacketsDropped, st.PacketsLost)
	}
	if ct.lost == 0 || ct.metrics == 0 || ct.frameBytes == 0 {
		t.Errorf("lost %d, metrics %d, frame bytes %d; want all > 0", ct.lost, ct.metrics, ct.frameBytes)
	}
	if ct.params != 2 {
		t.Errorf("%d parameters_set; want 2", ct.params)
	}
	want := []string{"attempted", "handshake_started", "handshake_complete", "handshake_confirmed", "closing", "closed"}
	if diff := cmp.Diff(want, ct.states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	updates := 0
	for _, k := range ct.keys {
		if k.Type == wire.Packet1RTT && k.Generation > 0 {
			updates++
			if k.Trigger == KeyTriggerTLS {
				t.Errorf("key update %+v has trigger tls", k)
			}
		}
	}
	if updates == 0 || st.KeyUpdates == 0 {
		t.Errorf("%d 1-RTT key updates traced, %d counted; want some", updates, st.KeyUpdates)
	}
}

// BenchmarkBulkTransferTraced is BenchmarkBulkTransfer with a Tracer that
// only counts, for the cost of the hooks themselves.
func BenchmarkBulkTransferTraced(b *testing.B) {
	p := newTestPair(b, 1, linkConfig{delay: time.Millisecond}, &Config{Tracer: &countTracer{}}, &Config{Tracer: &countTracer{}})
	p.handshake()
	id, err := p.client.OpenStream(true)
	if err != nil {
		b.Fatal(err)
	}
	bp := &bulkPump{p: p, id: id, chunk: make([]byte, 16<<10), readBuf: make([]byte, 64<<10), sendBuf: make([]byte, 2048)}
	bp.moveBytes(b, 4<<20)
	const perOp = 1 << 20
	b.SetBytes(perOp)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bp.moveBytes(b, perOp)
	}
}

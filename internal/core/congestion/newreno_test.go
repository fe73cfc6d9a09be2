package congestion

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quince-go/quic/internal/core/recovery"
)

var base = time.Unix(1_000_000, 0)

// at returns base plus ms milliseconds.
func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

const inf = math.MaxInt

func TestInitialAndMinimumWindow(t *testing.T) {
	// RFC 9002, Section 7.2: min(10*mds, max(14720, 2*mds)), and 2*mds.
	tests := []struct {
		mds, initial, minimum int
	}{
		{1200, 12000, 2400},
		{1472, 14720, 2944},
		{1500, 14720, 3000},
		{9000, 18000, 18000},
		{100, 12000, 2400},        // raised to 1200
		{-5, 12000, 2400},         // raised to 1200
		{1 << 40, 131054, 131054}, // limited to 65527
	}
	for _, tt := range tests {
		if got := InitialWindow(tt.mds); got != tt.initial {
			t.Errorf("InitialWindow(%d) = %d; want %d", tt.mds, got, tt.initial)
		}
		if got := MinimumWindow(tt.mds); got != tt.minimum {
			t.Errorf("MinimumWindow(%d) = %d; want %d", tt.mds, got, tt.minimum)
		}
		c := NewNewReno(tt.mds)
		if got := c.Window(); got != tt.initial {
			t.Errorf("NewNewReno(%d).Window() = %d; want %d", tt.mds, got, tt.initial)
		}
		if !c.InSlowStart() || c.InRecovery() || c.SlowStartThreshold() != inf {
			t.Errorf("NewNewReno(%d): slow start %v, recovery %v, ssthresh %d; want true, false, infinite",
				tt.mds, c.InSlowStart(), c.InRecovery(), c.SlowStartThreshold())
		}
	}
}

type renoState struct {
	Window, SSThresh    int
	SlowStart, Recovery bool
}

func stateOf(c *NewReno) renoState {
	return renoState{c.Window(), c.SlowStartThreshold(), c.InSlowStart(), c.InRecovery()}
}

type renoOp int

const (
	ack        renoOp = iota // OnPacketAcked(at(now), at(sent), bytes, false)
	ackLimited               // OnPacketAcked(at(now), at(sent), bytes, true)
	loss                     // OnCongestionEvent(at(now), at(sent))
	persistent               // OnPersistentCongestion(at(now))
	setMDS                   // SetMaxDatagramSize(bytes)
)

type renoStep struct {
	op        renoOp
	sent, now int // milliseconds after base
	bytes     int
	want      renoState
}

func TestNewReno(t *testing.T) {
	tests := []struct {
		name  string
		steps []renoStep
	}{{
		name: "slow start adds bytes acked",
		steps: []renoStep{
			{ack, 0, 100, 1200, renoState{13200, inf, true, false}},
			{ack, 1, 101, 1200, renoState{14400, inf, true, false}},
			{ack, 2, 102, 12000, renoState{26400, inf, true, false}},
		},
	}, {
		name: "recovery, then congestion avoidance",
		steps: []renoStep{
			{ack, 0, 100, 12000, renoState{24000, inf, true, false}},
			// Loss: ssthresh = cwnd/2 and the window drops to it.
			{loss, 5, 200, 0, renoState{12000, 12000, false, true}},
			// A packet sent before recovery began neither grows the
			// window nor ends recovery.
			{ack, 50, 210, 1200, renoState{12000, 12000, false, true}},
			// No second reduction for packets sent before or exactly
			// when recovery began.
			{loss, 150, 220, 0, renoState{12000, 12000, false, true}},
			{loss, 200, 230, 0, renoState{12000, 12000, false, true}},
			// A packet sent after recovery began ends it; its bytes
			// count toward congestion avoidance (1200 of 12000).
			{ack, 250, 300, 1200, renoState{12000, 12000, false, false}},
			{ack, 251, 301, 9600, renoState{12000, 12000, false, false}},
			// One full window acknowledged: one mds more.
			{ack, 252, 302, 1200, renoState{13200, 12000, false, false}},
			{ack, 253, 303, 13199, renoState{13200, 12000, false, false}},
			{ack, 254, 304, 1, renoState{14400, 12000, false, false}},
			// A loss of a packet sent after recovery began starts a new
			// recovery period.
			{loss, 260, 400, 0, renoState{7200, 7200, false, true}},
		},
	}, {
		name: "minimum window floor",
		steps: []renoStep{
			{loss, 0, 10, 0, renoState{6000, 6000, false, true}},
			{persistent, 0, 20, 0, renoState{2400, 6000, true, false}},
			// Persistent congestion cleared the recovery start time, so
			// even an old packet's loss reduces the window again.
			{loss, 5, 30, 0, renoState{2400, 1200, false, true}},
			{loss, 40, 50, 0, renoState{2400, 1200, false, true}},
		},
	}, {
		name: "persistent congestion returns to slow start",
		steps: []renoStep{
			{ack, 0, 50, 12000, renoState{24000, inf, true, false}},
			{loss, 5, 100, 0, renoState{12000, 12000, false, true}},
			{persistent, 0, 100, 0, renoState{2400, 12000, true, false}},
			{ack, 110, 120, 1200, renoState{3600, 12000, true, false}},
		},
	}, {
		name: "no growth when application limited",
		steps: []renoStep{
			{ackLimited, 0, 5, 1200, renoState{12000, inf, true, false}},
			{loss, 0, 10, 0, renoState{6000, 6000, false, true}},
			// Still ends recovery, but does not grow.
			{ackLimited, 20, 30, 1200, renoState{6000, 6000, false, false}},
			{ackLimited, 21, 31, 6000, renoState{6000, 6000, false, false}},
			// The limited bytes did not count toward avoidance.
			{ack, 22, 32, 5999, renoState{6000, 6000, false, false}},
			{ack, 23, 33, 1, renoState{7200, 6000, false, false}},
		},
	}, {
		name: "ignores non-positive sizes",
		steps: []renoStep{
			{ack, 0, 5, 0, renoState{12000, inf, true, false}},
			{ack, 0, 5, -1200, renoState{12000, inf, true, false}},
		},
	}, {
		name: "max datagram size changes",
		steps: []renoStep{
			// Untouched initial window follows the new size.
			{setMDS, 0, 0, 1500, renoState{14720, inf, true, false}},
			{setMDS, 0, 0, 1200, renoState{12000, inf, true, false}},
			{ack, 0, 10, 1200, renoState{13200, inf, true, false}},
			// A larger size keeps a window that has moved.
			{setMDS, 0, 0, 1500, renoState{13200, inf, true, false}},
			// A smaller size before any loss limits the window to the
			// new initial window.
			{setMDS, 0, 0, 1200, renoState{12000, inf, true, false}},
			{loss, 10, 20, 0, renoState{6000, 6000, false, true}},
			{persistent, 0, 30, 0, renoState{2400, 6000, true, false}},
			// The minimum window follows the size.
			{setMDS, 0, 0, 1500, renoState{3000, 6000, true, false}},
			{setMDS, 0, 0, 1300, renoState{3000, 6000, true, false}},
			{loss, 40, 50, 0, renoState{2600, 1500, false, true}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewNewReno(1200)
			rtt := recovery.NewRTT(recovery.InitialRTT)
			for i, s := range tt.steps {
				switch s.op {
				case ack:
					c.OnPacketAcked(at(s.now), at(s.sent), s.bytes, &rtt, false)
				case ackLimited:
					c.OnPacketAcked(at(s.now), at(s.sent), s.bytes, &rtt, true)
				case loss:
					c.OnCongestionEvent(at(s.now), at(s.sent))
				case persistent:
					c.OnPersistentCongestion(at(s.now))
				case setMDS:
					c.SetMaxDatagramSize(s.bytes)
				}
				if diff := cmp.Diff(s.want, stateOf(c)); diff != "" {
					t.Fatalf("after step %d %+v: mismatch (-want +got):\n%s", i, s, diff)
				}
			}
		})
	}
}

// TestNewRenoAvoidanceRate checks that congestion avoidance grows the window
// by about one datagram per window acknowledged (RFC 9002, Section 7.3.3),
// whatever the packet size.
func TestNewRenoAvoidanceRate(t *testing.T) {
	for _, size := range []int{1200, 500, 7} {
		c := NewNewReno(1200)
		c.OnPacketAcked(at(1), at(0), 12000, nil, false) // 24000
		c.OnCongestionEvent(at(2), at(1))                // 12000, recovery
		start := c.Window()
		rounds := 0
		sent := 3
		for rounds < 5 {
			w := c.Window()
			for acked := 0; acked < w; acked += size {
				c.OnPacketAcked(at(sent+1), at(sent), size, nil, false)
				sent++
			}
			rounds++
		}
		// Each round acknowledges at least one window, so the window
		// grows by one datagram per round, give or take the rounding of
		// the last packet of a round.
		if got, want := c.Window(), start+5*1200; got != want {
			t.Errorf("packet size %d: window after 5 rounds = %d; want %d", size, got, want)
		}
	}
}

func TestNewRenoAllocs(t *testing.T) {
	var c Controller = NewNewReno(1200)
	rtt := recovery.NewRTT(recovery.InitialRTT)
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		n++
		c.OnPacketSent(at(n), 1200)
		c.OnPacketAcked(at(n+1), at(n), 1200, &rtt, false)
		c.OnCongestionEvent(at(n+1), at(n))
		c.OnPersistentCongestion(at(n + 1))
		c.SetMaxDatagramSize(1200 + n%2)
		_ = c.Window()
		_ = c.InSlowStart()
		_ = c.InRecovery()
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v; want 0", allocs)
	}
}

// FuzzNewReno drives the controller with arbitrary events and checks that
// the window never drops below the minimum window.
func FuzzNewReno(f *testing.F) {
	f.Add([]byte{0, 10, 1, 20, 2, 30, 3, 40, 4, 50, 0, 60})
	f.Add([]byte{2, 0, 2, 0, 3, 0, 0, 255, 4, 1})
	f.Fuzz(func(t *testing.T, script []byte) {
		c := NewNewReno(1200)
		mds := 1200
		now := 0
		for i := 0; i+1 < len(script); i += 2 {
			op, arg := script[i]%5, int(script[i+1])
			now += arg % 7
			sent := now - arg%50
			switch op {
			case 0:
				c.OnPacketAcked(at(now), at(sent), arg*50, nil, false)
			case 1:
				c.OnPacketAcked(at(now), at(sent), arg*50, nil, true)
			case 2:
				c.OnCongestionEvent(at(now), at(sent))
			case 3:
				c.OnPersistentCongestion(at(now))
			case 4:
				mds = 1200 + arg*40
				c.SetMaxDatagramSize(mds)
			}
			if w := c.Window(); w < MinimumWindow(mds) {
				t.Fatalf("step %d: window %d below minimum %d", i/2, w, MinimumWindow(mds))
			}
			if c.InSlowStart() && c.InRecovery() {
				t.Fatalf("step %d: in slow start and recovery at once", i/2)
			}
		}
	})
}

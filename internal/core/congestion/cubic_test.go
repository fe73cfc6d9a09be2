package congestion

import (
	"math"
	"testing"
	"time"

	"github.com/quince-go/quic/internal/core/recovery"
)

// ackRound acknowledges one window's worth of packets sent at sent, the ACKs
// arriving spread over rtt from now, and returns the time after the round.
func ackRound(c Controller, now, sent time.Time, rtt *recovery.RTT, mds int) time.Time {
	n := c.Window() / mds
	for i := 0; i < n; i++ {
		c.OnPacketAcked(now.Add(rtt.Smoothed*time.Duration(i)/time.Duration(n)), sent, mds, rtt, false)
	}
	return now.Add(rtt.Smoothed)
}

func TestCubicReductionAndRecovery(t *testing.T) {
	const mds = 1200
	c := NewCubic(mds)
	if c.Window() != InitialWindow(mds) || !c.InSlowStart() {
		t.Fatalf("initial window %d, slow start %v", c.Window(), c.InSlowStart())
	}
	rtt := recovery.NewRTT(0)
	rtt.Update(100*time.Millisecond, 0, 0, true)
	now := time.Unix(1000, 0)
	// Slow start to 100 segments.
	for c.Window() < 100*mds {
		now = ackRound(c, now, now, &rtt, mds)
	}
	w := c.Window()
	c.OnCongestionEvent(now, now.Add(-time.Millisecond))
	if got, want := c.Window(), int(float64(w)*cubicBeta); got != want {
		t.Fatalf("after loss window %d; want %d (beta 0.7 of %d)", got, want, w)
	}
	if !c.InRecovery() {
		t.Errorf("not in recovery after a loss")
	}
	// A second loss of a packet sent before recovery began changes nothing.
	c.OnCongestionEvent(now.Add(time.Millisecond), now.Add(-2*time.Millisecond))
	if got := c.Window(); got != int(float64(w)*cubicBeta) {
		t.Errorf("second loss in the same recovery reduced the window to %d", got)
	}
	// After K seconds the window is back near the window before the loss.
	k := math.Cbrt(float64(w) / mds * (1 - cubicBeta) / cubicC)
	start := now.Add(time.Millisecond)
	for now.Sub(start).Seconds() < k {
		now = ackRound(c, now, now, &rtt, mds)
	}
	if got := float64(c.Window()); got < 0.9*float64(w) || got > 1.15*float64(w) {
		t.Errorf("window %d after K=%.2fs; want about %d", c.Window(), k, w)
	}
	if c.InRecovery() {
		t.Errorf("still in recovery after packets sent later were acknowledged")
	}
	// Then it probes beyond, convexly.
	before := c.Window()
	for range 20 {
		now = ackRound(c, now, now, &rtt, mds)
	}
	if c.Window() <= before {
		t.Errorf("window did not grow past W_max: %d -> %d", before, c.Window())
	}
}

func TestCubicAppLimitedAndPersistentCongestion(t *testing.T) {
	const mds = 1200
	c := NewCubic(mds)
	rtt := recovery.NewRTT(0)
	rtt.Update(50*time.Millisecond, 0, 0, true)
	now := time.Unix(1000, 0)
	w := c.Window()
	c.OnPacketAcked(now, now, mds, &rtt, true)
	if c.Window() != w {
		t.Errorf("app-limited ACK grew the window %d -> %d", w, c.Window())
	}
	c.OnCongestionEvent(now, now)
	c.OnPersistentCongestion(now)
	if c.Window() != MinimumWindow(mds) {
		t.Errorf("window %d after persistent congestion; want %d", c.Window(), MinimumWindow(mds))
	}
}

func TestCubicAllocs(t *testing.T) {
	c := NewCubic(1200)
	rtt := recovery.NewRTT(0)
	now := time.Unix(1000, 0)
	var ctl Controller = c
	allocs := testing.AllocsPerRun(100, func() {
		ctl.OnPacketSent(now, 1200)
		ctl.OnPacketAcked(now, now, 1200, &rtt, false)
		ctl.OnCongestionEvent(now, now)
		now = now.Add(time.Millisecond)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet; want 0", allocs)
	}
}

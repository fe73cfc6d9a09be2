package congestion

import (
	"math"
	"time"

	"github.com/quince-go/quic/internal/core/recovery"
)

// Cubic is the CUBIC congestion controller of RFC 9438, for QUIC as RFC 9002,
// Section 7 frames it: slow start and recovery as in NewReno, then a window
// that follows a cubic function of the time since the last congestion event,
// never below what Reno would reach (the Reno-friendly region, RFC 9438,
// Section 4.3). Windows are in bytes; the cubic function works in segments of
// the maximum datagram size.
type Cubic struct {
	window

	// Congestion avoidance state (RFC 9438, Section 4).
	epochStart time.Time // start of the current avoidance epoch; zero: none yet
	wMax       float64   // window before the last reduction, in segments
	k          float64   // seconds for the cubic to reach wMax again
	wEst       float64   // Reno-friendly estimate, in segments
	cwndFrac   float64   // growth below one byte, carried between ACKs
}

var _ Controller = (*Cubic)(nil)

// RFC 9438, Section 4.
const (
	cubicC    = 0.4
	cubicBeta = 0.7
	// cubicAlpha makes the Reno-friendly estimate grow like Reno with
	// CUBIC's beta: 3(1-beta)/(1+beta) (Section 4.3).
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// NewCubic returns a CUBIC controller with the initial window of RFC 9002,
// Section 7.2.
func NewCubic(maxDatagramSize int) *Cubic {
	return &Cubic{window: newWindow(maxDatagramSize)}
}

// OnPacketAcked grows the window: by the bytes acknowledged in slow start,
// and toward the cubic (or Reno-friendly) target in congestion avoidance.
func (c *Cubic) OnPacketAcked(now, sentTime time.Time, bytes int, rtt *recovery.RTT, appLimited bool) {
	if bytes <= 0 || !c.onAckedOutsideRecovery(sentTime) {
		return
	}
	if appLimited {
		// RFC 9438, Section 5.8 and RFC 9002, Section 7.8: no growth
		// while the window is not used.
		return
	}
	c.pristine = false
	if c.cwnd < c.ssthresh {
		c.cwnd += bytes
		return
	}
	mds := float64(c.mds)
	cwndSeg := float64(c.cwnd) / mds
	if c.epochStart.IsZero() {
		// A new epoch (RFC 9438, Section 4.2): after a reduction wMax is
		// known; after slow start or idleness it is the current window.
		c.epochStart = now
		if c.wMax < cwndSeg {
			c.wMax = cwndSeg
			c.k = 0
		} else {
			c.k = math.Cbrt(c.wMax * (1 - cubicBeta) / cubicC)
		}
		c.wEst = cwndSeg
	}
	// W_cubic(t + RTT) (Section 4.2, Figure 1).
	t := now.Sub(c.epochStart).Seconds() + rtt.Smoothed.Seconds()
	d := t - c.k
	target := cubicC*d*d*d + c.wMax
	target = min(max(target, cwndSeg), 1.5*cwndSeg)

	// Reno-friendly estimate (Section 4.3).
	c.wEst += cubicAlpha * float64(bytes) / float64(c.cwnd)
	if c.wEst > target {
		target = c.wEst
	}
	grow := (target - cwndSeg) * mds * float64(bytes) / float64(c.cwnd)
	grow += c.cwndFrac
	whole := math.Floor(grow)
	c.cwndFrac = grow - whole
	c.cwnd += int(whole)
}

// OnCongestionEvent reduces the window by beta and starts a new epoch
// (RFC 9438, Section 4.6), with fast convergence (Section 4.7).
func (c *Cubic) OnCongestionEvent(now, sentTime time.Time) {
	if c.inRecoveryFor(sentTime) {
		return
	}
	cwndSeg := float64(c.cwnd) / float64(c.mds)
	if cwndSeg < c.wMax {
		c.wMax = cwndSeg * (1 + cubicBeta) / 2
	} else {
		c.wMax = cwndSeg
	}
	c.enterRecovery(now, max(int(float64(c.cwnd)*cubicBeta), c.minWindow))
	c.epochStart = time.Time{}
	c.cwndFrac = 0
}

// OnPersistentCongestion collapses the window to the minimum
// (RFC 9002, Section 7.6.2) and forgets the cubic's history.
func (c *Cubic) OnPersistentCongestion(now time.Time) {
	c.collapse()
	c.epochStart = time.Time{}
	c.wMax = 0
	c.cwndFrac = 0
}

// SetMaxDatagramSize follows a change of the datagram size (see
// window.resize), rescaling the cubic's segment counts.
func (c *Cubic) SetMaxDatagramSize(n int) {
	old := c.resize(n)
	if c.mds != old {
		c.wMax = c.wMax * float64(old) / float64(c.mds)
		c.wEst = c.wEst * float64(old) / float64(c.mds)
	}
}

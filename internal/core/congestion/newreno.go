package congestion

import (
	"time"

	"github.com/quince-go/quic/internal/core/recovery"
)

// NewReno is the congestion controller of RFC 9002, Section 7.3 and
// Appendix B: slow start, a recovery period that halves the window once per
// round trip, and congestion avoidance that adds one maximum datagram size
// per window acknowledged.
//
// The zero value is not ready for use; create one with NewNewReno.
type NewReno struct {
	window

	// avoidanceBytes counts bytes acknowledged in congestion avoidance
	// since the window last grew (appropriate byte counting, RFC 3465,
	// Section 2.1, as RFC 9002, Appendix B.5 suggests).
	avoidanceBytes int
}

var _ Controller = (*NewReno)(nil)

// kLossReductionFactor is 1/2 (RFC 9002, Section 7.3.2): the window is
// divided by lossReductionDivisor.
const lossReductionDivisor = 2

// NewNewReno returns a NewReno controller in slow start with the initial
// window for maxDatagramSize (RFC 9002, Section 7.2). Sizes below
// MinMaxDatagramSize are raised to it.
func NewNewReno(maxDatagramSize int) *NewReno {
	return &NewReno{window: newWindow(maxDatagramSize)}
}

// OnPacketAcked grows the window for an acknowledged in-flight packet
// (RFC 9002, Section 7.3 and Appendix B.5).
func (c *NewReno) OnPacketAcked(now, sentTime time.Time, bytes int, rtt *recovery.RTT, appLimited bool) {
	if bytes <= 0 {
		return
	}
	// RFC 9002, Section 7.3.2: the window does not grow in recovery, which
	// ends when a packet sent during it is acknowledged.
	if !c.onAckedOutsideRecovery(sentTime) {
		return
	}
	if appLimited {
		// RFC 9002, Section 7.8: an underutilized window does not grow.
		return
	}
	c.pristine = false
	if c.cwnd < c.ssthresh {
		// RFC 9002, Section 7.3.1: slow start adds the bytes acknowledged.
		c.cwnd += bytes
		return
	}
	// RFC 9002, Section 7.3.3: at most one max_datagram_size per window
	// acknowledged.
	c.avoidanceBytes += bytes
	if c.avoidanceBytes >= c.cwnd {
		c.avoidanceBytes -= c.cwnd
		c.cwnd += c.mds
	}
}

// OnCongestionEvent enters a recovery period unless one already covers a
// packet sent at sentTime: the slow start threshold becomes half the window
// and the window drops to it, but not below the minimum window
// (RFC 9002, Section 7.3.2 and Appendix B.6).
//
// The connection may send one packet beyond the reduced window to speed up
// loss recovery.
func (c *NewReno) OnCongestionEvent(now, sentTime time.Time) {
	if c.inRecoveryFor(sentTime) {
		return
	}
	c.enterRecovery(now, c.cwnd/lossReductionDivisor)
	c.avoidanceBytes = 0
}

// OnPersistentCongestion collapses the window to the minimum window and
// ends any recovery period; as the slow start threshold is kept, the
// controller is normally back in slow start (RFC 9002, Sections 7.3.1 and
// 7.6.2, Appendix B.8).
func (c *NewReno) OnPersistentCongestion(now time.Time) {
	c.collapse()
	c.avoidanceBytes = 0
}

// SetMaxDatagramSize changes the maximum datagram size (see window.resize).
func (c *NewReno) SetMaxDatagramSize(n int) { c.resize(n) }

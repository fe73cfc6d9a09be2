package congestion

import (
	"math"
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
	mds       int // max_datagram_size
	minWindow int // kMinimumWindow
	cwnd      int // congestion_window
	ssthresh  int // math.MaxInt stands for infinity

	// recoveryStart is congestion_recovery_start_time: packets sent at or
	// before it cannot start another recovery period or grow the window.
	// The zero time means none.
	recoveryStart time.Time
	// inRecovery is set on entering recovery and cleared when a packet
	// sent after recoveryStart is acknowledged (RFC 9002, Section 7.3.2).
	inRecovery bool

	// avoidanceBytes counts bytes acknowledged in congestion avoidance
	// since the window last grew (appropriate byte counting, RFC 3465,
	// Section 2.1, as RFC 9002, Appendix B.5 suggests).
	avoidanceBytes int

	// pristine is true while the window is still the initial window:
	// nothing has been acknowledged or lost.
	pristine bool
}

var _ Controller = (*NewReno)(nil)

// kLossReductionFactor is 1/2 (RFC 9002, Section 7.3.2): the window is
// divided by lossReductionDivisor.
const lossReductionDivisor = 2

// NewNewReno returns a NewReno controller in slow start with the initial
// window for maxDatagramSize (RFC 9002, Section 7.2). Sizes below
// MinMaxDatagramSize are raised to it.
func NewNewReno(maxDatagramSize int) *NewReno {
	mds := clampDatagramSize(maxDatagramSize)
	return &NewReno{
		mds:       mds,
		minWindow: MinimumWindow(mds),
		cwnd:      InitialWindow(mds),
		ssthresh:  math.MaxInt,
		pristine:  true,
	}
}

// Window returns the congestion window in bytes.
func (c *NewReno) Window() int { return c.cwnd }

// SlowStartThreshold returns the slow start threshold in bytes, or
// math.MaxInt before the first congestion event.
func (c *NewReno) SlowStartThreshold() int { return c.ssthresh }

// InSlowStart reports whether the window is below the slow start threshold
// (RFC 9002, Section 7.3.1).
func (c *NewReno) InSlowStart() bool { return c.cwnd < c.ssthresh }

// InRecovery reports whether a recovery period has begun and no packet sent
// after its start has been acknowledged yet (RFC 9002, Section 7.3.2).
func (c *NewReno) InRecovery() bool { return c.inRecovery }

// OnPacketSent does nothing: NewReno reacts only to acknowledgments and
// losses.
func (c *NewReno) OnPacketSent(now time.Time, bytes int) {}

// inRecoveryFor reports whether a packet sent at sentTime belongs to the
// current or a past recovery period (InCongestionRecovery, RFC 9002,
// Appendix B.5).
func (c *NewReno) inRecoveryFor(sentTime time.Time) bool {
	return !c.recoveryStart.IsZero() && !sentTime.After(c.recoveryStart)
}

// OnPacketAcked grows the window for an acknowledged in-flight packet
// (RFC 9002, Section 7.3 and Appendix B.5).
func (c *NewReno) OnPacketAcked(now, sentTime time.Time, bytes int, rtt *recovery.RTT, appLimited bool) {
	if bytes <= 0 {
		return
	}
	if c.inRecoveryFor(sentTime) {
		// RFC 9002, Section 7.3.2: the window does not grow in recovery.
		return
	}
	// RFC 9002, Section 7.3.2: a recovery period ends when a packet sent
	// during it is acknowledged.
	c.inRecovery = false
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
	c.recoveryStart = now
	c.inRecovery = true
	c.pristine = false
	c.ssthresh = c.cwnd / lossReductionDivisor
	c.cwnd = max(c.ssthresh, c.minWindow)
	c.avoidanceBytes = 0
}

// OnPersistentCongestion collapses the window to the minimum window and
// ends any recovery period; as the slow start threshold is kept, the
// controller is normally back in slow start (RFC 9002, Sections 7.3.1 and
// 7.6.2, Appendix B.8).
func (c *NewReno) OnPersistentCongestion(now time.Time) {
	c.cwnd = c.minWindow
	c.recoveryStart = time.Time{}
	c.inRecovery = false
	c.pristine = false
	c.avoidanceBytes = 0
}

// SetMaxDatagramSize changes the maximum datagram size, n bytes, raised to
// MinMaxDatagramSize if smaller (RFC 9002, Section 7.2):
//
//   - the minimum window becomes 2*n and the window is kept at or above it;
//   - while the window is still the untouched initial window, it becomes
//     the initial window for n;
//   - if n shrinks before any congestion event (typically to complete the
//     handshake), the window is limited to the initial window for n.
func (c *NewReno) SetMaxDatagramSize(n int) {
	n = clampDatagramSize(n)
	old := c.mds
	if n == old {
		return
	}
	c.mds = n
	c.minWindow = MinimumWindow(n)
	switch {
	case c.pristine:
		c.cwnd = InitialWindow(n)
	case n < old && c.ssthresh == math.MaxInt:
		c.cwnd = min(c.cwnd, InitialWindow(n))
	}
	c.cwnd = max(c.cwnd, c.minWindow)
}

package congestion

import (
	"math"
	"time"
)

// window is the state NewReno and CUBIC share: the congestion window, the
// slow start threshold and the recovery period of RFC 9002, Section 7.
type window struct {
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

	// pristine is true while the window is still the initial window:
	// nothing has been acknowledged or lost.
	pristine bool
}

// newWindow returns a window in slow start with the initial window for
// maxDatagramSize (RFC 9002, Section 7.2). Sizes below MinMaxDatagramSize
// are raised to it.
func newWindow(maxDatagramSize int) window {
	mds := clampDatagramSize(maxDatagramSize)
	return window{
		mds:       mds,
		minWindow: MinimumWindow(mds),
		cwnd:      InitialWindow(mds),
		ssthresh:  math.MaxInt,
		pristine:  true,
	}
}

// Window returns the congestion window in bytes.
func (w *window) Window() int { return w.cwnd }

// SlowStartThreshold returns ssthresh in bytes; math.MaxInt means none yet.
func (w *window) SlowStartThreshold() int { return w.ssthresh }

// InSlowStart reports whether the window is below the slow start threshold.
func (w *window) InSlowStart() bool { return w.cwnd < w.ssthresh }

// InRecovery reports whether a recovery period is in progress.
func (w *window) InRecovery() bool { return w.inRecovery }

// OnPacketSent does nothing yet; CUBIC's idle handling may use it.
func (w *window) OnPacketSent(now time.Time, bytes int) {}

// inRecoveryFor reports whether a packet sent at sentTime belongs to the
// current recovery period (RFC 9002, Appendix B.4).
func (w *window) inRecoveryFor(sentTime time.Time) bool {
	return !w.recoveryStart.IsZero() && !sentTime.After(w.recoveryStart)
}

// onAckedOutsideRecovery is the common start of handling an acknowledged
// packet: it reports false for a packet of the current recovery period,
// which must not grow the window, and otherwise ends the recovery period.
func (w *window) onAckedOutsideRecovery(sentTime time.Time) bool {
	if w.inRecoveryFor(sentTime) {
		return false
	}
	w.inRecovery = false
	return true
}

// enterRecovery starts a recovery period at now with the window reduced to
// ssthresh, no smaller than the minimum window (RFC 9002, Section 7.3.2).
func (w *window) enterRecovery(now time.Time, ssthresh int) {
	w.recoveryStart = now
	w.inRecovery = true
	w.pristine = false
	w.ssthresh = ssthresh
	w.cwnd = max(ssthresh, w.minWindow)
}

// collapse is persistent congestion: the minimum window, and no recovery
// period (RFC 9002, Section 7.6.2).
func (w *window) collapse() {
	w.cwnd = w.minWindow
	w.recoveryStart = time.Time{}
	w.inRecovery = false
	w.pristine = false
}

// resize follows a change of the maximum datagram size to n bytes, raised
// to MinMaxDatagramSize if smaller (RFC 9002, Section 7.2):
//
//   - the minimum window becomes 2*n and the window is kept at or above it;
//   - while the window is still the untouched initial window, it becomes
//     the initial window for n;
//   - if n shrinks before any congestion event (typically to complete the
//     handshake), the window is limited to the initial window for n.
//
// It returns the previous size.
func (w *window) resize(n int) (old int) {
	n = clampDatagramSize(n)
	old = w.mds
	if n == old {
		return old
	}
	w.mds = n
	w.minWindow = MinimumWindow(n)
	switch {
	case w.pristine:
		w.cwnd = InitialWindow(n)
	case n < old && w.ssthresh == math.MaxInt:
		w.cwnd = min(w.cwnd, InitialWindow(n))
	}
	w.cwnd = max(w.cwnd, w.minWindow)
	return old
}

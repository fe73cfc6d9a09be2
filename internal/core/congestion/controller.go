package congestion

import (
	"time"

	"github.com/quince-go/quic/internal/core/recovery"
)

// Controller decides how many bytes may be in flight on a path.
//
// The connection counts bytes in flight itself, and must not send a packet
// that would take them above Window, except a PTO probe or the one packet
// allowed on entering recovery (RFC 9002, Section 7). Only in-flight packets
// (ack-eliciting or padded; RFC 9002, Appendix A.1.1) are reported.
// Times must not be the zero time.Time.
type Controller interface {
	// Window returns the congestion window in bytes.
	Window() int

	// OnPacketSent is called for each in-flight packet sent.
	OnPacketSent(now time.Time, bytes int)

	// OnPacketAcked is called for each newly acknowledged in-flight
	// packet, sent at sentTime. appLimited reports that the sender did
	// not fill the window because it was application- or
	// flow-control-limited, in which case the window does not grow
	// (RFC 9002, Section 7.8).
	OnPacketAcked(now, sentTime time.Time, bytes int, rtt *recovery.RTT, appLimited bool)

	// OnCongestionEvent is called once per ACK frame that declares
	// in-flight packets lost or reports an increased ECN-CE count, with
	// the send time of the newest such packet. It enters recovery unless
	// a recovery period already covers that packet (RFC 9002, Section 7.3.2).
	OnCongestionEvent(now, sentTime time.Time)

	// OnPersistentCongestion collapses the window to the minimum window
	// (RFC 9002, Section 7.6.2). Call it after OnCongestionEvent for the
	// same losses.
	OnPersistentCongestion(now time.Time)

	// SetMaxDatagramSize sets the maximum datagram size when the path MTU
	// changes, and recomputes the window bounds that depend on it
	// (RFC 9002, Section 7.2).
	SetMaxDatagramSize(n int)

	// InSlowStart reports whether the controller is in slow start.
	InSlowStart() bool

	// InRecovery reports whether the controller is in a recovery period.
	InRecovery() bool
}

// MinMaxDatagramSize is the smallest maximum datagram size, in bytes, that
// a QUIC path supports (RFC 9000, Section 14; RFC 9002, Appendix B.2).
// Smaller values given to this package are raised to it.
const MinMaxDatagramSize = 1200

// InitialWindow returns kInitialWindow for maxDatagramSize:
// min(10*mds, max(14720, 2*mds)) (RFC 9002, Section 7.2).
func InitialWindow(maxDatagramSize int) int {
	mds := clampDatagramSize(maxDatagramSize)
	return min(10*mds, max(14720, 2*mds))
}

// MinimumWindow returns kMinimumWindow for maxDatagramSize: 2*mds
// (RFC 9002, Section 7.2).
func MinimumWindow(maxDatagramSize int) int {
	return 2 * clampDatagramSize(maxDatagramSize)
}

// maxDatagramSizeLimit keeps window arithmetic far from overflow. No UDP
// datagram is larger.
const maxDatagramSizeLimit = 65527

func clampDatagramSize(n int) int {
	return min(max(n, MinMaxDatagramSize), maxDatagramSizeLimit)
}

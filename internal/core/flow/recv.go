// Package flow implements QUIC's credit-based flow control (RFC 9000,
// Section 4) for one stream or for a whole connection: RecvWindow is the
// limit we advertise to the peer and enforce, SendWindow the limit the peer
// advertises to us.
//
// The package has no clock: the caller passes the current time and its
// smoothed RTT where they matter.
package flow

import (
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// A RecvWindow is the receive side of flow control: it checks that the
// peer stays under the limit we advertised and decides when and how far to
// raise it (RFC 9000, Sections 4.1 and 4.2).
//
// The window is the credit granted beyond what the application has
// consumed. A new limit is due once the application has consumed half the
// window since the last advertisement. The window auto-tunes: if updates
// come due less than two round trips apart, the window, not the
// application, is what limits the peer, so it doubles, up to its maximum.
//
// For a stream, the offsets are stream offsets; for a connection, they are
// the sums over all streams (RFC 9000, Section 4.1).
type RecvWindow struct {
	limit     uint64 // the limit advertised (or about to be)
	window    uint64 // credit to grant beyond consumed
	maxWindow uint64
	received  uint64 // highest offset received
	consumed  uint64 // bytes the application has consumed

	// epoch is when the current auto-tuning period began: the last update,
	// or the first consumption if there has been no update yet.
	epoch time.Time
}

// NewRecvWindow returns a RecvWindow advertising initial, the value sent in
// the transport parameters, whose window may grow up to maxWindow (taken as
// initial if smaller).
func NewRecvWindow(initial, maxWindow uint64) RecvWindow {
	initial = min(initial, wire.MaxVarint)
	return RecvWindow{limit: initial, window: initial, maxWindow: min(wire.MaxVarint, max(initial, maxWindow))}
}

// Limit returns the current limit: the largest offset (one past the last
// byte) the peer may send.
func (w *RecvWindow) Limit() uint64 { return w.limit }

// Window returns the current window size.
func (w *RecvWindow) Window() uint64 { return w.window }

// Received returns the highest offset recorded by OnReceived.
func (w *RecvWindow) Received() uint64 { return w.received }

// Consumed returns the total recorded by OnConsumed.
func (w *RecvWindow) Consumed() uint64 { return w.consumed }

// OnReceived records that the peer has sent data up to highest (one past
// its largest byte; for a connection, the sum over streams). It returns a
// FLOW_CONTROL_ERROR (FrameType 0, for the caller to fill in) if highest is
// beyond the advertised limit (RFC 9000, Section 4.1). A highest below the
// one already recorded is not an error and changes nothing.
func (w *RecvWindow) OnReceived(highest uint64) error {
	if highest > w.limit {
		return wire.Errorf(wire.FlowControlError, 0, "received data up to %d, beyond the limit %d", highest, w.limit)
	}
	w.received = max(w.received, highest)
	return nil
}

// OnConsumed records that n more bytes are consumed: read by the
// application, or, for a connection, accounted for by a stream that was
// reset or discarded (RFC 9000, Section 4.5). now starts the auto-tuning
// clock if no update has been sent yet; rtt is unused and present so that
// callers pass the same arguments to all of RecvWindow's timing methods.
func (w *RecvWindow) OnConsumed(n uint64, now time.Time, rtt time.Duration) {
	w.consumed += n
	if w.epoch.IsZero() && n > 0 {
		w.epoch = now
	}
}

// ShouldUpdate reports whether a MAX_DATA or MAX_STREAM_DATA frame is due:
// the peer's remaining credit has dropped to half the window or less.
func (w *RecvWindow) ShouldUpdate() bool {
	return w.limit-min(w.consumed, w.limit) <= w.window/2 && w.next() > w.limit
}

// Update raises the limit to consumed + window and returns it, the value to
// send in MAX_DATA or MAX_STREAM_DATA. It auto-tunes first: if the last
// update (or the first consumption) was less than 2*rtt before now, the
// window doubles, capped at its maximum. The limit never decreases
// (RFC 9000, Section 4.1). The caller sends the new limit, and sends it
// again if the frame carrying it is lost.
func (w *RecvWindow) Update(now time.Time, rtt time.Duration) (newLimit uint64) {
	if !w.epoch.IsZero() && rtt > 0 && now.Sub(w.epoch) < 2*rtt {
		w.window = min(2*w.window, w.maxWindow)
	}
	w.epoch = now
	w.limit = max(w.limit, w.next())
	return w.limit
}

// EnsureWindow raises the window to at least size, capped at the maximum.
// A connection uses it to keep its window larger than any stream's.
func (w *RecvWindow) EnsureWindow(size uint64) {
	w.window = max(w.window, min(size, w.maxWindow))
}

// next returns the limit an update would advertise now.
func (w *RecvWindow) next() uint64 {
	return min(w.consumed+w.window, wire.MaxVarint)
}

// Package recovery implements QUIC loss detection and round-trip time
// estimation (RFC 9002, Sections 5 and 6).
//
// Nothing here reads a clock: every time is passed in by the caller.
package recovery

import "time"

// Constants from RFC 9002, Appendix A.2 and Section 7.6.1.
const (
	// Granularity is the local timer granularity, kGranularity
	// (RFC 9002, Section 6.1.2).
	Granularity = time.Millisecond

	// InitialRTT is kInitialRtt, the RTT assumed before any sample
	// is taken (RFC 9002, Section 6.2.2).
	InitialRTT = 333 * time.Millisecond

	// PersistentCongestionThreshold is kPersistentCongestionThreshold,
	// a multiple of the PTO period (RFC 9002, Section 7.6.1).
	PersistentCongestionThreshold = 3
)

// RTT estimates the round-trip time of one network path (RFC 9002, Section 5).
//
// The zero value is not ready for use; create one with NewRTT.
type RTT struct {
	// Latest is the most recent sample, latest_rtt (Section 5.1).
	Latest time.Duration
	// Min is min_rtt, the smallest sample seen, without any
	// acknowledgment delay adjustment (Section 5.2). It is zero until the
	// first sample.
	Min time.Duration
	// Smoothed is smoothed_rtt, the exponentially weighted moving average
	// of the samples adjusted for acknowledgment delay (Section 5.3).
	Smoothed time.Duration
	// Var is rttvar, the mean deviation of the adjusted samples
	// (Section 5.3).
	Var time.Duration

	hasSample bool
}

// NewRTT returns an estimator in the initial state of RFC 9002, Sections 5.3
// and 6.2.2: Smoothed is initial and Var is initial/2. Pass InitialRTT, or
// the smoothed RTT remembered from an earlier connection over the same
// network. An initial value that is not positive selects InitialRTT.
func NewRTT(initial time.Duration) RTT {
	if initial <= 0 {
		initial = InitialRTT
	}
	return RTT{Smoothed: initial, Var: initial / 2}
}

// HasSample reports whether Update has been called since NewRTT.
func (r *RTT) HasSample() bool { return r.hasSample }

// Update takes an RTT sample (RFC 9002, Sections 5.1 to 5.3).
//
// latest is the ack time minus the send time of the largest newly
// acknowledged packet; the caller decides whether the ACK frame yields a
// sample at all (Section 5.1). ackDelay is the peer-reported ACK Delay,
// already scaled by the ack_delay_exponent; pass zero for the Initial space
// (Section 5.3 allows ignoring it there). maxAckDelay is the peer's
// max_ack_delay transport parameter; it caps ackDelay only once
// handshakeConfirmed is true.
//
// The acknowledgment delay never lowers Min, and it is not subtracted when
// that would take the sample below Min.
func (r *RTT) Update(latest, ackDelay, maxAckDelay time.Duration, handshakeConfirmed bool) {
	if latest < 0 {
		latest = 0
	}
	if ackDelay < 0 {
		// An absurd peer-reported delay that overflowed while scaling.
		ackDelay = 0
	}
	r.Latest = latest

	// RFC 9002, Section 5.3: the first sample resets the estimator and
	// the acknowledgment delay is not used.
	if !r.hasSample {
		r.hasSample = true
		r.Min = latest
		r.Smoothed = latest
		r.Var = latest / 2
		return
	}

	// RFC 9002, Section 5.2: min_rtt ignores acknowledgment delay.
	r.Min = min(r.Min, latest)

	// RFC 9002, Section 5.3: max_ack_delay is ignored until the handshake
	// is confirmed, because delays during the handshake may exceed it.
	if handshakeConfirmed && maxAckDelay >= 0 {
		ackDelay = min(ackDelay, maxAckDelay)
	}
	// Subtract the delay only if the result stays at or above min_rtt.
	// Written as latest-Min >= ackDelay (latest >= Min holds here) so a
	// huge ackDelay cannot overflow.
	adjusted := latest
	if latest-r.Min >= ackDelay {
		adjusted = latest - ackDelay
	}

	// rttvar is updated with the previous smoothed_rtt, as in RFC 9002,
	// Appendix A.7 and RFC 6298, Section 2.3.
	r.Var = (3*r.Var + absDuration(r.Smoothed-adjusted)) / 4
	r.Smoothed = (7*r.Smoothed + adjusted) / 8
}

// ResetMin sets Min to Latest. RFC 9002, Section 5.2 recommends this once
// persistent congestion is established, so that a path whose RTT has grown
// does not declare persistent congestion again and again.
func (r *RTT) ResetMin() {
	if r.hasSample {
		r.Min = r.Latest
	}
}

// PTO returns the probe timeout period before backoff,
// Smoothed + max(4*Var, Granularity) + maxAckDelay (RFC 9002, Section 6.2.1).
// Pass a maxAckDelay of zero for the Initial and Handshake packet number
// spaces. The result is at least Granularity.
func (r *RTT) PTO(maxAckDelay time.Duration) time.Duration {
	return r.Smoothed + max(4*r.Var, Granularity) + max(maxAckDelay, 0)
}

// PersistentCongestionDuration returns the time over which all lost packets
// establish persistent congestion: PersistentCongestionThreshold times the
// PTO including maxAckDelay, whatever the packet number space
// (RFC 9002, Section 7.6.1).
func (r *RTT) PersistentCongestionDuration(maxAckDelay time.Duration) time.Duration {
	return PersistentCongestionThreshold * r.PTO(maxAckDelay)
}

// LossDelay returns the time threshold for declaring a packet lost once a
// later packet has been acknowledged:
// max(9/8 * max(Smoothed, Latest), Granularity) (RFC 9002, Section 6.1.2).
func (r *RTT) LossDelay() time.Duration {
	d := max(r.Smoothed, r.Latest)
	// kTimeThreshold is 9/8.
	d += d / 8
	return max(d, Granularity)
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

package congestion

import (
	"math/bits"
	"time"
)

// PacerBurstPackets is the number of maximum-size datagrams a Pacer lets go
// back to back. It matches the initial window's ten datagrams, the burst
// limit RFC 9002, Section 7.7 recommends.
const PacerBurstPackets = 10

// Limits that keep the pacer's arithmetic in range; real values are far
// smaller.
const (
	maxPacedWindow = 1 << 48
	maxPacedRTT    = 1 << 48 // about three days
)

// Pacer spreads in-flight packets over the round trip (RFC 9002, Section 7.7).
//
// It is a token bucket holding up to PacerBurstPackets datagrams' worth of
// bytes, refilled at N * cwnd / smoothed_rtt with N = 1.25, so that
// variations in RTT do not leave the window underused. A long idle period
// refills the bucket but never beyond its capacity.
//
// Packets that carry only ACK frames should not be paced (RFC 9002,
// Section 7.7) and are not reported. The window and RTT are passed to each
// call so the rate follows the controller. A smoothed RTT that is not
// positive disables pacing.
//
// The zero value is not ready for use; create one with NewPacer.
type Pacer struct {
	capacity int       // bucket size in bytes
	tokens   int       // bytes that may be sent at last
	last     time.Time // when tokens was computed; zero before any send
}

// NewPacer returns a pacer with a full bucket for datagrams of up to
// maxDatagramSize bytes, raised to MinMaxDatagramSize if smaller.
func NewPacer(maxDatagramSize int) Pacer {
	c := PacerBurstPackets * clampDatagramSize(maxDatagramSize)
	return Pacer{capacity: c, tokens: c}
}

// SetMaxDatagramSize resizes the bucket for a new maximum datagram size,
// keeping no more credit than the new capacity.
func (p *Pacer) SetMaxDatagramSize(n int) {
	p.capacity = PacerBurstPackets * clampDatagramSize(n)
	p.tokens = min(p.tokens, p.capacity)
}

// NextSendTime returns when a packet of the given size may be sent: now if
// the bucket holds enough credit, otherwise the later time at which it
// will. A packet larger than the bucket needs a full bucket.
func (p *Pacer) NextSendTime(now time.Time, bytes int, cwnd int, smoothedRTT time.Duration) time.Time {
	if smoothedRTT <= 0 {
		return now
	}
	need := min(bytes, p.burst(cwnd, smoothedRTT))
	if p.available(now, cwnd, smoothedRTT) >= need {
		return now
	}
	// Here the bucket is not full, so p.last is set and p.tokens < need.
	// Counting from p.last, as available does, makes the answer the same
	// whenever it is asked. The time to earn the missing bytes at
	// 1.25*cwnd/srtt, rounded up, is deficit * 4 * srtt / (5 * cwnd).
	num1, num2, den := uint64(need-p.tokens), 4*uint64(min(smoothedRTT, maxPacedRTT)), 5*uint64(pacedWindow(cwnd))
	hi, lo := bits.Mul64(num1, num2)
	if hi >= den {
		return now.Add(smoothedRTT) // unreachable with clamped inputs
	}
	q, r := bits.Div64(hi, lo, den)
	if r != 0 {
		q++
	}
	return later(now, p.last.Add(time.Duration(q)))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// OnPacketSent takes a sent packet's size from the bucket, after crediting
// the time since the last send. A packet sent without waiting for
// NextSendTime (a probe, say) leaves the bucket empty, not in debt.
func (p *Pacer) OnPacketSent(now time.Time, bytes int, cwnd int, smoothedRTT time.Duration) {
	p.tokens = p.available(now, cwnd, smoothedRTT)
	if p.last.IsZero() || now.After(p.last) {
		p.last = now
	}
	p.tokens = max(p.tokens-max(bytes, 0), 0)
}

// available returns the credit at now: the stored tokens plus
// elapsed * 1.25 * cwnd / srtt, capped at the capacity.
func (p *Pacer) available(now time.Time, cwnd int, smoothedRTT time.Duration) int {
	capacity := p.burst(cwnd, smoothedRTT)
	if p.tokens >= capacity || smoothedRTT <= 0 || p.last.IsZero() {
		return capacity
	}
	elapsed := now.Sub(p.last)
	if elapsed <= 0 {
		return p.tokens
	}
	// elapsed * 5 * cwnd / (4 * srtt), in 128 bits.
	hi, lo := bits.Mul64(uint64(elapsed), 5*uint64(pacedWindow(cwnd)))
	den := 4 * uint64(min(smoothedRTT, maxPacedRTT))
	if hi >= den {
		return capacity
	}
	q, _ := bits.Div64(hi, lo, den)
	if q >= uint64(capacity-p.tokens) {
		return capacity
	}
	return p.tokens + int(q)
}

// pacerBurstInterval is how much sending time at the paced rate the bucket
// may hold when that is more than PacerBurstPackets datagrams.
const pacerBurstInterval = 2 * time.Millisecond

// burst returns the bucket's capacity at the current rate: PacerBurstPackets
// datagrams, or what the rate earns in pacerBurstInterval if that is more,
// so that a fast path sends in batches big enough for segmentation offload
// and few system calls, yet never more than the window.
func (p *Pacer) burst(cwnd int, smoothedRTT time.Duration) int {
	if smoothedRTT <= 0 {
		return p.capacity
	}
	b := float64(pacedWindow(cwnd)) * 1.25 * float64(pacerBurstInterval) / float64(min(smoothedRTT, maxPacedRTT))
	if b <= float64(p.capacity) {
		return p.capacity
	}
	return min(int(min(b, float64(maxPacedWindow))), max(cwnd, p.capacity))
}

// pacedWindow clamps the window used for the rate: no smaller than one
// minimum-size datagram, so the rate never drops to zero.
func pacedWindow(cwnd int) int {
	return min(max(cwnd, MinMaxDatagramSize), maxPacedWindow)
}

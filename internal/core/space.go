package core

import (
	"crypto/tls"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/ranges"
	"github.com/quince-go/quic/internal/core/streambuf"
	"github.com/quince-go/quic/internal/core/wire"
)

// spaceID names a packet number space (RFC 9000, Section 12.3).
type spaceID uint8

const (
	spaceInitial spaceID = iota
	spaceHandshake
	spaceApp
	numSpaces
)

func (s spaceID) String() string {
	return [...]string{"Initial", "Handshake", "Application"}[s]
}

func (s spaceID) tlsLevel() tls.QUICEncryptionLevel {
	return [...]tls.QUICEncryptionLevel{tls.QUICEncryptionLevelInitial,
		tls.QUICEncryptionLevelHandshake, tls.QUICEncryptionLevelApplication}[s]
}

// maxAckRanges bounds the ranges of received packet numbers kept for ACK
// frames; older ranges are forgotten (RFC 9000, Section 13.2.3).
const maxAckRanges = 64

// space is the state of one packet number space: keys, packet numbers sent and
// received, ACKs owed, CRYPTO streams, and the packets in flight.
type space struct {
	id spaceID

	// Keys for the Initial and Handshake levels; the Application level's
	// live in Conn.keys1RTT because of key updates.
	readKeys, writeKeys *protect.Keys
	discarded           bool

	// Sending.
	nextPN               int64
	largestAcked         int64 // -1 until an ACK arrives
	sent                 sentList
	lossTime             time.Time // RFC 9002, Appendix A.3 loss_time
	lastAckElicitingSent time.Time
	inFlightAckEliciting int

	// Receiving and acknowledging (RFC 9000, Section 13.2).
	received       ranges.Set // packet numbers received
	forgotten      uint64     // packet numbers below it are no longer tracked
	largestRecv    int64      // -1 until a packet arrives
	largestRecvAt  time.Time  // when largestRecv arrived, for the ACK delay
	ackOwed        bool       // an ACK frame should be sent
	ackElicited    int        // ack-eliciting packets received since the last ACK sent
	ackDeadline    time.Time  // send an ACK by then; zero if none owed
	ackSentLargest int64      // largest acked in the newest ACK frame sent

	// CRYPTO data (RFC 9000, Section 19.6).
	cryptoSend streambuf.SendBuffer
	cryptoRecv streambuf.RecvBuffer

	// pingOwed asks the packer to send an ack-eliciting packet (a PTO probe).
	pingOwed bool
}

func (s *space) init(id spaceID) {
	s.id = id
	s.largestAcked = -1
	s.largestRecv = -1
	s.ackSentLargest = -1
}

// onPacketReceived records packet pn for acknowledgement.
func (s *space) onPacketReceived(pn int64, ackEliciting bool, now time.Time, maxAckDelay time.Duration) {
	if pn > s.largestRecv {
		s.largestRecv = pn
		s.largestRecvAt = now
	}
	s.received.Add(uint64(pn), uint64(pn)+1)
	if s.received.Len() > maxAckRanges {
		s.forget(s.received.At(1).Start)
	}
	if !ackEliciting {
		return
	}
	s.ackOwed = true
	s.ackElicited++
	// RFC 9000, Section 13.2.1: Initial and Handshake packets are
	// acknowledged at once; 1-RTT packets at least every second
	// ack-eliciting packet, or after max_ack_delay. A packet that arrives
	// out of order is acknowledged at once (Section 13.2.2).
	switch {
	case s.id != spaceApp, s.ackElicited >= 2, pn != s.largestRecv, s.received.Len() > 1 && pn == int64(s.received.At(s.received.Len()-1).Start):
		s.ackDeadline = now
	case s.ackDeadline.IsZero():
		s.ackDeadline = now.Add(maxAckDelay)
	}
}

// isDuplicate reports whether pn was already received.
func (s *space) isDuplicate(pn int64) bool {
	if uint64(pn) < s.forgotten {
		// Older than everything remembered: treat as a duplicate rather
		// than process a packet that may have been seen before.
		return true
	}
	return s.received.Contains(uint64(pn))
}

// appendAckRanges appends the received ranges in the descending order of an
// ACK frame.
func (s *space) appendAckRanges(dst []wire.AckRange) []wire.AckRange {
	for i := s.received.Len() - 1; i >= 0; i-- {
		r := s.received.At(i)
		dst = append(dst, wire.AckRange{Smallest: r.Start, Largest: r.End - 1})
	}
	return dst
}

// onAckSent notes that an ACK frame covering everything received was sent.
func (s *space) onAckSent() {
	s.ackOwed = false
	s.ackElicited = 0
	s.ackDeadline = time.Time{}
	s.ackSentLargest = s.largestRecv
}

// onAckOfAckReceived forgets received ranges below the largest packet number
// acknowledged in an ACK frame that the peer has now acknowledged
// (RFC 9000, Section 13.2.4).
func (s *space) onAckOfAckReceived(largest int64) {
	if largest > 0 && s.received.Len() > 1 {
		s.forget(uint64(largest))
	}
}

// forget stops tracking the packet numbers below pn.
func (s *space) forget(pn uint64) {
	s.received.RemoveBelow(pn)
	s.forgotten = max(s.forgotten, pn)
}

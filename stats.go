package quic

import (
	"time"

	"github.com/quince-go/quic/internal/core"
)

// Stats are a session's counters and its current recovery state
// (RFC 9002).
type Stats struct {
	// RTT estimates (RFC 9002, Section 5).
	MinRTT, SmoothedRTT, LatestRTT, RTTVariance time.Duration

	// CongestionWindow and BytesInFlight are in bytes (RFC 9002,
	// Section 7).
	CongestionWindow, BytesInFlight int
	// PathMTU is the largest UDP payload the session sends now, as path
	// MTU discovery has confirmed it (RFC 9000, Section 14).
	PathMTU int

	// QUIC packets and the bytes of the UDP datagrams that carried them.
	PacketsSent, PacketsReceived uint64
	BytesSent, BytesReceived     uint64
	// PacketsLost counts packets declared lost (RFC 9002, Section 6.1).
	PacketsLost uint64
	// PacketsDropped counts packets received and not processed:
	// undecryptable, duplicate or malformed.
	PacketsDropped uint64

	// KeyUpdates counts the 1-RTT key updates so far (RFC 9001, Section 6).
	KeyUpdates uint64

	// StreamsOpen counts the streams this session's application holds
	// (opened or accepted) whose reading or writing has not yet ended.
	StreamsOpen int
}

// Stats returns the session's statistics; once it has ended, those it had
// at the end.
func (s *Session) Stats() Stats {
	var st Stats
	if s.do(nil, func(*core.Conn) { st = s.collectStats() }) == nil {
		return st
	}
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.stats
}

// collectStats reads the session's Stats. Loop goroutine.
func (s *Session) collectStats() Stats {
	c := s.conn.Stats()
	return Stats{
		MinRTT:           c.MinRTT,
		SmoothedRTT:      c.SmoothedRTT,
		LatestRTT:        c.LatestRTT,
		RTTVariance:      c.RTTVar,
		CongestionWindow: c.CongestionWindow,
		BytesInFlight:    c.BytesInFlight,
		PathMTU:          c.MaxDatagramSize,
		PacketsSent:      c.PacketsSent,
		PacketsReceived:  c.PacketsReceived,
		BytesSent:        c.BytesSent,
		BytesReceived:    c.BytesReceived,
		PacketsLost:      c.PacketsLost,
		PacketsDropped:   c.PacketsDropped,
		KeyUpdates:       c.KeyUpdates,
		StreamsOpen:      len(s.streams),
	}
}

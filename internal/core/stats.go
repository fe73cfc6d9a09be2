package core

import "time"

// Stats are a connection's counters and its current recovery state.
type Stats struct {
	DatagramsSent, DatagramsReceived uint64
	BytesSent, BytesReceived         uint64
	PacketsSent, PacketsReceived     uint64
	PacketsLost                      uint64
	PacketsDropped                   uint64 // received and not processed: undecryptable, duplicate, malformed
	PTOCount                         uint64
	KeyUpdates                       uint64
	LocalErrors                      uint64
	// DatagramsSentFrames counts DATAGRAM frames sent; DatagramsDropped
	// counts datagrams dropped from a full queue or too large for the
	// path (RFC 9221).
	DatagramsSentFrames, DatagramsDropped uint64

	// RTT estimates (RFC 9002, Section 5).
	LatestRTT, MinRTT, SmoothedRTT, RTTVar time.Duration
	// CongestionWindow and BytesInFlight are in bytes (RFC 9002, Section 7).
	CongestionWindow, BytesInFlight int
	// MaxDatagramSize is the largest datagram the connection sends now.
	MaxDatagramSize int
}

// Stats returns the connection's counters and current recovery state.
func (c *Conn) Stats() Stats {
	s := c.stats
	s.LatestRTT, s.MinRTT, s.SmoothedRTT, s.RTTVar = c.rtt.Latest, c.rtt.Min, c.rtt.Smoothed, c.rtt.Var
	s.CongestionWindow = c.cc.Window()
	s.BytesInFlight = c.bytesInFlight
	s.MaxDatagramSize = c.maxDatagram
	return s
}

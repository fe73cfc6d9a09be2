package core

// Stats are a connection's counters.
type Stats struct {
	DatagramsSent, DatagramsReceived uint64
	BytesSent, BytesReceived         uint64
	PacketsSent, PacketsReceived     uint64
	PacketsLost                      uint64
	PacketsDropped                   uint64 // received and not processed: undecryptable, duplicate, malformed
	PTOCount                         uint64
	KeyUpdates                       uint64
	LocalErrors                      uint64
}

// Stats returns the connection's counters and current congestion state.
func (c *Conn) Stats() (Stats, int, int) {
	return c.stats, c.cc.Window(), c.bytesInFlight
}

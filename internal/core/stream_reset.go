package core

// StreamResetByPeer reports whether the peer reset stream id with
// RESET_STREAM, and its application error code. It does not consume the
// reset: StreamRead still reports it.
func (c *Conn) StreamResetByPeer(id int64) (code uint64, ok bool) {
	s := c.streams.streams[id]
	if s == nil || !s.resetReceived {
		return 0, false
	}
	return s.resetRecvCode, true
}

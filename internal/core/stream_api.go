package core

import "errors"

// ErrStreamClosed is returned by StreamWrite after the send part was closed
// with a FIN, and by StreamRead after StreamStopSending.
var ErrStreamClosed = errors.New("quic: stream closed")

// ErrNotWritable and ErrNotReadable are returned for the missing direction
// of a unidirectional stream.
var (
	ErrNotWritable = errors.New("quic: stream is receive-only")
	ErrNotReadable = errors.New("quic: stream is send-only")
)

func (c *Conn) stream(id int64) (*stream, error) {
	if c.closing.state != stateOpen {
		return nil, c.closeErr()
	}
	s := c.streams.streams[id]
	if s == nil {
		return nil, ErrUnknownStream
	}
	return s, nil
}

// StreamWrite queues p on stream id and, with fin, closes the send part after
// it. It takes as much of p as the stream's write buffer has room for
// (Config.MaxStreamWriteBuffer) and returns how much; fin takes effect only
// if all of p was taken. An EventStreamWritable follows when room frees up.
func (c *Conn) StreamWrite(id int64, p []byte, fin bool) (int, error) {
	s, err := c.stream(id)
	if err != nil {
		return 0, err
	}
	switch {
	case !s.hasSend:
		return 0, ErrNotWritable
	case s.stopReceived:
		return 0, &StreamError{StreamID: id, Code: s.stopCode, Remote: true}
	case s.resetSent || s.resetOwed:
		return 0, &StreamError{StreamID: id, Code: s.resetCode}
	case s.finQueued:
		return 0, ErrStreamClosed
	}
	n := min(len(p), c.cfg.MaxStreamWriteBuffer-s.send.Buffered())
	if n < 0 {
		n = 0
	}
	if n > 0 {
		s.send.Write(p[:n])
	}
	if fin && n == len(p) {
		s.finQueued = true
		s.send.SetFin()
	}
	if n > 0 || s.finQueued {
		c.streams.queue(s)
	}
	return n, nil
}

// StreamWritable returns how many bytes StreamWrite would take now.
func (c *Conn) StreamWritable(id int64) int {
	s := c.streams.streams[id]
	if s == nil || !s.hasSend || s.finQueued || s.resetOwed || s.resetSent || s.stopReceived {
		return 0
	}
	return max(0, c.cfg.MaxStreamWriteBuffer-s.send.Buffered())
}

// StreamRead reads received data of stream id in order. fin is true once
// everything up to the peer's FIN has been read. A reset by the peer
// returns a *StreamError. An EventStreamReadable follows when more arrives.
func (c *Conn) StreamRead(id int64, p []byte) (n int, fin bool, err error) {
	s, err := c.stream(id)
	if err != nil {
		return 0, false, err
	}
	switch {
	case !s.hasRecv:
		return 0, false, ErrNotReadable
	case s.resetReceived:
		s.resetDelivered = true
		c.streams.maybeRelease(s)
		return 0, false, &StreamError{StreamID: id, Code: s.resetRecvCode, Remote: true}
	case s.readClosed:
		return 0, false, ErrStreamClosed
	}
	n, fin = s.recv.Read(p)
	if n > 0 {
		ss := &c.streams
		s.recvWin.OnConsumed(uint64(n), c.clock, c.rtt.Smoothed)
		if s.recvWin.ShouldUpdate() && !fin {
			s.maxDataOwed = true
			ss.queue(s)
		}
		ss.recvWin.OnConsumed(uint64(n), c.clock, c.rtt.Smoothed)
		if ss.recvWin.ShouldUpdate() {
			ss.maxDataOwed = true
		}
	}
	if fin {
		s.finRead = true
		s.maxDataOwed = false
		c.streams.maybeRelease(s)
	}
	return n, fin, nil
}

// StreamReadable returns how many bytes StreamRead would return now.
func (c *Conn) StreamReadable(id int64) int {
	s := c.streams.streams[id]
	if s == nil || !s.hasRecv {
		return 0
	}
	return s.recv.Readable()
}

// StreamReset abandons the send part of stream id with an application error
// code: RESET_STREAM (RFC 9000, Section 19.4). Data not yet acknowledged is
// no longer sent.
func (c *Conn) StreamReset(id int64, code uint64) error {
	s, err := c.stream(id)
	if err != nil {
		return err
	}
	if !s.hasSend {
		return ErrNotWritable
	}
	if s.resetOwed || s.resetSent || s.send.AllAcked() {
		return nil
	}
	s.resetCode = code
	s.resetOwed = true
	c.streams.queue(s)
	return nil
}

// StreamStopSending abandons the receive part of stream id and asks the peer
// to stop sending: STOP_SENDING (RFC 9000, Section 19.5). Data that arrives
// afterwards is discarded.
func (c *Conn) StreamStopSending(id int64, code uint64) error {
	s, err := c.stream(id)
	if err != nil {
		return err
	}
	if !s.hasRecv {
		return ErrNotReadable
	}
	if s.readClosed {
		return nil
	}
	s.readClosed = true
	s.maxDataOwed = false
	if !s.resetReceived && !s.recvFinKnownAndAllIn() {
		s.stopSendCode = code
		s.stopOwed = true
		c.streams.queue(s)
	}
	// Unread data will never be read: return it to the connection window.
	c.streams.creditConsumed(s, s.recvHighest)
	c.streams.maybeRelease(s)
	return nil
}

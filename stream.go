package quic

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/timer"
)

// Stream is a QUIC stream (RFC 9000, Section 2) presented as a net.Conn.
// Read and Write may be called from different goroutines at once; each of
// them is serialized with itself.
type Stream struct {
	s  *Session
	id int64

	// Wake-ups from the session's loop: data, FIN or reset to read; room to
	// write or STOP_SENDING; or a local cancel.
	readable, writable chan struct{}

	readMu, writeMu sync.Mutex
	rdl, wdl        *timer.Deadline

	// The ops of Read and Write, made once and reused under readMu and
	// writeMu, with their arguments and results, so that a Read or Write
	// call allocates nothing: rop runs read(rbuf) into rn, rerr; wop runs
	// write(wbuf) into wn, werr.
	rop, wop   op
	rbuf, wbuf []byte
	rn, wn     int
	rerr, werr error
	wfin       bool // wop closes the stream for writing after wbuf

	// Owned by the session's loop goroutine: the sticky end of each
	// direction (io.EOF, net.ErrClosed, a *StreamError, ...).
	rErr, wErr error

	// ctx ends when the peer resets or stops the stream, when both
	// directions are over, or when the session ends.
	ctx    context.Context
	cancel context.CancelCauseFunc
}

var _ net.Conn = (*Stream)(nil)

// newStream makes the handle of stream id and routes its events to it. It
// runs on the loop goroutine.
func (s *Session) newStream(id int64) *Stream {
	st := &Stream{
		s:        s,
		id:       id,
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		rdl:      timer.NewDeadline(),
		wdl:      timer.NewDeadline(),
	}
	st.ctx, st.cancel = context.WithCancelCause(s.ctx)
	st.rop = op{fn: st.readOp, done: make(chan struct{}, 1)}
	st.wop = op{fn: st.writeOp, done: make(chan struct{}, 1)}
	// RFC 9000, Section 2.1: bit 0x2 marks a unidirectional stream, bit 0x1
	// one that the server opened.
	if id&0x2 != 0 {
		local := (id&0x1 == 0) == s.conn.IsClient()
		if local {
			st.rErr = core.ErrNotReadable
		} else {
			st.wErr = core.ErrNotWritable
		}
	}
	s.streams[id] = st
	// A peer's stream may have met STOP_SENDING before it was accepted.
	st.probeWrite(s.conn)
	return st
}

// forgetIfDone drops the stream from the session's table once both
// directions have ended; its later events are of no use. Loop goroutine.
func (st *Stream) forgetIfDone() {
	if st.rErr != nil && st.wErr != nil {
		delete(st.s.streams, st.id)
		st.cancel(net.ErrClosed)
	}
}

// Context returns a context that ends when the peer resets the stream
// (RESET_STREAM) or asks this side to stop sending (STOP_SENDING), with a
// remote *StreamError as its cause (context.Cause); when both directions of
// the stream are over (cause net.ErrClosed); or when the session ends. A
// server uses it to stop work for a request the client gave up, even while
// it is neither reading nor writing.
func (st *Stream) Context() context.Context { return st.ctx }

// peerCancelled ends the stream's context because the peer reset or stopped
// it. Loop goroutine.
func (st *Stream) peerCancelled(code uint64) {
	st.cancel(&StreamError{StreamID: st.id, ErrorCode: code, Remote: true})
}

// coreError converts err from a core stream call. Loop goroutine.
func (st *Stream) coreError(err error) error {
	return streamError(err, st.s.err)
}

// StreamID returns the stream's ID (RFC 9000, Section 2.1).
func (st *Stream) StreamID() int64 { return st.id }

// Read reads data the peer sent. It returns io.EOF after the peer's FIN, a
// *StreamError after the peer's RESET_STREAM or this side's CancelRead,
// the session's error once it ended, and os.ErrDeadlineExceeded past the
// read deadline.
func (st *Stream) Read(p []byte) (int, error) {
	st.readMu.Lock()
	defer st.readMu.Unlock()
	for {
		if st.rdl.Expired() {
			return 0, os.ErrDeadlineExceeded
		}
		st.rbuf = p
		e := st.s.submit(nil, &st.rop)
		st.rbuf = nil
		if e != nil {
			return 0, e
		}
		n, err := st.rn, st.rerr
		if n > 0 || err != nil || len(p) == 0 {
			return n, err
		}
		select {
		case <-st.readable:
		case <-st.rdl.Done():
		case <-st.s.closed:
			return 0, st.s.err
		}
	}
}

// readOp is rop's function.
func (st *Stream) readOp(c *core.Conn) { st.rn, st.rerr = st.read(c, st.rbuf) }

// read runs on the loop goroutine.
func (st *Stream) read(c *core.Conn, p []byte) (int, error) {
	if st.rErr != nil {
		return 0, st.rErr
	}
	n, fin, err := c.StreamRead(st.id, p)
	switch {
	case err != nil:
		st.rErr = st.coreError(err)
		st.forgetIfDone()
		return 0, st.rErr
	case fin:
		st.rErr = io.EOF
		st.forgetIfDone()
		if n == 0 {
			return 0, io.EOF
		}
	}
	return n, nil
}

// Write writes p to the stream. It blocks until the stream has taken all
// of p (into its send buffer, bounded by Config.MaxStreamWriteBuffer), the
// write deadline passes (os.ErrDeadlineExceeded), the peer sends
// STOP_SENDING or this side cancels (*StreamError), the stream is closed
// for writing (net.ErrClosed), or the session ends (its error).
func (st *Stream) Write(p []byte) (int, error) { return st.writeFin(p, false) }

// WriteClose writes p and closes the stream for writing, as Write and then
// CloseWrite, but in one step with the session: the last of p and the FIN
// leave together, in one packet when they fit, rather than the FIN in a
// packet of its own. It returns as Write, and CloseWrite's error if p was
// written and the close failed.
func (st *Stream) WriteClose(p []byte) (int, error) { return st.writeFin(p, true) }

// writeFin is Write, followed by CloseWrite in the same op as the last of
// p if fin is set.
func (st *Stream) writeFin(p []byte, fin bool) (int, error) {
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	total := 0
	for {
		if st.wdl.Expired() {
			return total, os.ErrDeadlineExceeded
		}
		st.wbuf = p[total:]
		st.wfin = fin
		e := st.s.submit(nil, &st.wop)
		st.wbuf = nil
		if e != nil {
			return total, e
		}
		n, err := st.wn, st.werr
		total += n
		if err != nil || total == len(p) {
			return total, err
		}
		select {
		case <-st.writable:
		case <-st.wdl.Done():
		case <-st.s.closed:
			return total, st.s.err
		}
	}
}

// writeOp is wop's function: it writes wbuf and, once all of it is
// taken, closes the stream for writing if wfin is set.
func (st *Stream) writeOp(c *core.Conn) {
	st.wn, st.werr = st.write(c, st.wbuf)
	if st.wfin && st.werr == nil && st.wn == len(st.wbuf) {
		st.werr = st.closeWrite(c)
	}
}

// write runs on the loop goroutine.
func (st *Stream) write(c *core.Conn, p []byte) (int, error) {
	if st.wErr != nil {
		return 0, st.wErr
	}
	n, err := c.StreamWrite(st.id, p, false)
	if err != nil {
		st.wErr = st.coreError(err)
		st.forgetIfDone()
		return n, st.wErr
	}
	return n, nil
}

// probeWrite records a STOP_SENDING that has just arrived. The core
// answers it with RESET_STREAM on its next Send and may then forget the
// stream, and with it the peer's code, so the loop takes the code first.
// Loop goroutine.
func (st *Stream) probeWrite(c *core.Conn) {
	if st.wErr != nil {
		return
	}
	if _, err := c.StreamWrite(st.id, nil, false); err != nil {
		st.wErr = st.coreError(err)
		st.forgetIfDone()
	}
}

// CloseWrite closes the stream for writing: the peer reads a FIN after the
// data written so far. Later Writes return net.ErrClosed.
func (st *Stream) CloseWrite() error {
	var err error
	if e := st.s.do(nil, func(c *core.Conn) { err = st.closeWrite(c) }); e != nil {
		return e
	}
	return err
}

// closeWrite runs on the loop goroutine.
func (st *Stream) closeWrite(c *core.Conn) error {
	if st.wErr != nil {
		return nil
	}
	if _, err := c.StreamWrite(st.id, nil, true); err != nil {
		st.wErr = st.coreError(err)
		st.forgetIfDone()
		return st.wErr
	}
	st.wErr = net.ErrClosed
	signal(st.writable) // a blocked Write ends
	st.forgetIfDone()
	return nil
}

// Close closes the stream: it sends a FIN after the data written so far,
// as CloseWrite, and stops reading: if the peer has not finished sending,
// it is asked to stop with STOP_SENDING and code 0. Later Reads and Writes
// return net.ErrClosed.
func (st *Stream) Close() error {
	var err error
	if e := st.s.do(nil, func(c *core.Conn) {
		err = st.closeWrite(c)
		st.cancelRead(c, 0, net.ErrClosed)
	}); e != nil {
		return e
	}
	return err
}

// CancelRead abandons the receive direction: STOP_SENDING with code
// (RFC 9000, Section 19.5). Data still arriving is discarded, and Reads
// return a local *StreamError.
func (st *Stream) CancelRead(code uint64) {
	st.s.do(nil, func(c *core.Conn) {
		st.cancelRead(c, code, &StreamError{StreamID: st.id, ErrorCode: code})
	})
}

// cancelRead runs on the loop goroutine.
func (st *Stream) cancelRead(c *core.Conn, code uint64, end error) {
	if st.rErr != nil {
		return
	}
	c.StreamStopSending(st.id, code)
	st.rErr = end
	signal(st.readable)
	st.forgetIfDone()
}

// CancelWrite abandons the send direction: RESET_STREAM with code
// (RFC 9000, Section 19.4). Data not yet acknowledged is not sent, and
// Writes return a local *StreamError.
func (st *Stream) CancelWrite(code uint64) {
	st.s.do(nil, func(c *core.Conn) {
		if _, ok := st.wErr.(*StreamError); ok {
			return
		}
		if st.wErr == nil || st.wErr == net.ErrClosed {
			// After a FIN, a reset still stops retransmissions of data
			// not yet acknowledged (RFC 9000, Section 3.1).
			c.StreamReset(st.id, code)
		}
		st.wErr = &StreamError{StreamID: st.id, ErrorCode: code}
		signal(st.writable)
		st.forgetIfDone()
	})
}

// SetDeadline sets the read and write deadlines.
func (st *Stream) SetDeadline(t time.Time) error {
	st.rdl.Set(t)
	st.wdl.Set(t)
	return nil
}

// SetReadDeadline sets the time after which Read fails with
// os.ErrDeadlineExceeded; zero means none.
func (st *Stream) SetReadDeadline(t time.Time) error {
	st.rdl.Set(t)
	return nil
}

// SetWriteDeadline sets the time after which Write fails with
// os.ErrDeadlineExceeded; zero means none. Data already taken is still sent.
func (st *Stream) SetWriteDeadline(t time.Time) error {
	st.wdl.Set(t)
	return nil
}

// LocalAddr returns the session's local address.
func (st *Stream) LocalAddr() net.Addr { return st.s.LocalAddr() }

// RemoteAddr returns the session's remote address.
func (st *Stream) RemoteAddr() net.Addr { return st.s.RemoteAddr() }

// stopped records the peer's STOP_SENDING with code (EventStreamStopped):
// Writes now fail with a remote *StreamError. Loop goroutine.
func (st *Stream) stopped(code uint64) {
	if st.wErr != nil {
		return
	}
	st.wErr = &StreamError{StreamID: st.id, ErrorCode: code, Remote: true}
	st.peerCancelled(code)
	signal(st.writable)
	st.forgetIfDone()
}

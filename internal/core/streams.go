package core

import (
	"errors"
	"fmt"
	"time"

	"github.com/quince-go/quic/internal/core/flow"
	"github.com/quince-go/quic/internal/core/wire"
)

// maxStreamsLimit is the largest stream count MAX_STREAMS can carry
// (RFC 9000, Section 19.11).
const maxStreamsLimit = 1 << 60

// streamSet holds a connection's streams, its stream limits and its
// connection-level flow control (RFC 9000, Sections 2-4).
type streamSet struct {
	c       *Conn
	streams map[int64]*stream

	// Streams this endpoint opens: how many of each kind it has opened, and
	// the peer's limit (MAX_STREAMS).
	openedBidi, openedUni   int64
	peerMaxBidi, peerMaxUni int64
	blockedBidiOwed         bool // STREAMS_BLOCKED to send
	blockedUniOwed          bool
	// blockedBidiFor and blockedUniFor are 1 + the peer limit that
	// STREAMS_BLOCKED was last queued for (0: never), so that it is sent
	// once per limit, not every time OpenStream fails: an application
	// retrying OpenStream would otherwise keep both ends busy forever.
	blockedBidiFor, blockedUniFor int64

	// Streams the peer opens: how many it has opened, the limit it may
	// open up to, the limit last sent in MAX_STREAMS (or the transport
	// parameter), and how many have ended (each end allows one more).
	remoteBidi, remoteUni         int64
	maxRemoteBidi, maxRemoteUni   int64
	sentMaxBidi, sentMaxUni       int64
	doneRemoteBidi, doneRemoteUni int64
	maxStreamsBidiOwed            bool
	maxStreamsUniOwed             bool
	acceptBidi, acceptUni         []int64

	// Connection flow control.
	recvWin     flow.RecvWindow
	recvHighest uint64 // sum of the highest offsets received on all streams
	maxDataOwed bool
	sendWin     flow.SendWindow
	sentNew     uint64 // sum of new stream data sent
	blockedOwed bool   // DATA_BLOCKED to send

	// connBlocked holds the streams that left the send queue because the
	// connection window was exhausted; MAX_DATA queues them again.
	connBlocked []*stream

	// sendQueue holds the streams with frames to send, served round-robin.
	sendQueue streamQueue
}

func (ss *streamSet) init(c *Conn) {
	ss.c = c
	ss.streams = make(map[int64]*stream)
	ss.maxRemoteBidi = max(c.cfg.MaxBidiStreams, 0)
	ss.maxRemoteUni = max(c.cfg.MaxUniStreams, 0)
	ss.sentMaxBidi, ss.sentMaxUni = ss.maxRemoteBidi, ss.maxRemoteUni
	ss.recvWin = flow.NewRecvWindow(c.cfg.InitialMaxData, c.cfg.MaxData)
}

// onPeerParams applies the peer's initial limits (RFC 9000, Section 18.2).
func (ss *streamSet) onPeerParams(p *wire.TransportParameters) {
	ss.peerMaxBidi = int64(p.InitialMaxStreamsBidi)
	ss.peerMaxUni = int64(p.InitialMaxStreamsUni)
	ss.sendWin.SetLimit(p.InitialMaxData)
}

// ErrStreamLimit is returned by OpenStream when the peer's stream limit is
// reached; an EventStreamsAvailable follows when it rises.
var ErrStreamLimit = errors.New("quic: peer's stream limit reached")

// ErrUnknownStream is returned for a stream ID that is not open.
var ErrUnknownStream = errors.New("quic: no such stream")

// StreamError says that a stream was reset by the peer (RESET_STREAM) or
// that the peer asked this endpoint to stop sending (STOP_SENDING).
type StreamError struct {
	StreamID int64
	Code     uint64
	// Remote is true when the peer ended the stream, false when this
	// endpoint did.
	Remote bool
}

func (e *StreamError) Error() string {
	who := "locally"
	if e.Remote {
		who = "by peer"
	}
	return fmt.Sprintf("quic: stream %d reset %s with code %d", e.StreamID, who, e.Code)
}

func (ss *streamSet) localBit() int64 {
	if ss.c.isClient {
		return 0
	}
	return streamServerBit
}

func (ss *streamSet) isLocal(id int64) bool { return id&streamServerBit == ss.localBit() }

// OpenStream opens a new stream of this endpoint. It returns ErrStreamLimit
// while the peer's MAX_STREAMS forbids it (RFC 9000, Section 4.6), and sends
// STREAMS_BLOCKED to tell the peer.
func (c *Conn) OpenStream(bidi bool) (int64, error) {
	ss := &c.streams
	if c.closing.state != stateOpen {
		return 0, c.closeErr()
	}
	if !c.handshakeComplete && c.sendParams() == nil {
		return 0, ErrStreamLimit
	}
	var id int64
	if bidi {
		if ss.openedBidi >= ss.peerMaxBidi {
			// RFC 9000, Section 19.14: one STREAMS_BLOCKED per limit;
			// a lost one is sent again (onFrameLost).
			if ss.blockedBidiFor != ss.peerMaxBidi+1 {
				ss.blockedBidiFor = ss.peerMaxBidi + 1
				ss.blockedBidiOwed = true
			}
			return 0, ErrStreamLimit
		}
		id = ss.openedBidi<<2 | ss.localBit()
		ss.openedBidi++
	} else {
		if ss.openedUni >= ss.peerMaxUni {
			if ss.blockedUniFor != ss.peerMaxUni+1 {
				ss.blockedUniFor = ss.peerMaxUni + 1
				ss.blockedUniOwed = true
			}
			return 0, ErrStreamLimit
		}
		id = ss.openedUni<<2 | streamUniBit | ss.localBit()
		ss.openedUni++
	}
	ss.newStream(id)
	return id, nil
}

// AcceptStream returns the next stream the peer opened, if any.
func (c *Conn) AcceptStream(bidi bool) (int64, bool) {
	q := &c.streams.acceptUni
	if bidi {
		q = &c.streams.acceptBidi
	}
	if len(*q) == 0 {
		return 0, false
	}
	id := (*q)[0]
	*q = (*q)[1:]
	return id, true
}

// newStream creates the state of stream id with both windows from the
// transport parameters (RFC 9000, Section 18.2).
func (ss *streamSet) newStream(id int64) *stream {
	c := ss.c
	s := &stream{id: id}
	local := ss.isLocal(id)
	s.hasSend = !isUni(id) || local
	s.hasRecv = !isUni(id) || !local
	if p := c.sendParams(); s.hasSend && p != nil {
		s.sendWin.SetLimit(c.initialStreamSendLimit(id, p))
	}
	if s.hasRecv {
		s.recvWin = flow.NewRecvWindow(c.cfg.InitialMaxStreamData, c.cfg.MaxStreamData)
	}
	ss.streams[id] = s
	return s
}

// streamForFrame finds or opens the stream a received frame names,
// checking the direction and the stream limit (RFC 9000, Sections 2.1, 3
// and 4.6). It returns nil, nil for a stream that is already closed.
func (ss *streamSet) streamForFrame(id int64, frameType uint64, wantRecv bool) (*stream, error) {
	if s := ss.streams[id]; s != nil {
		if wantRecv && !s.hasRecv || !wantRecv && !s.hasSend {
			return nil, wire.Errorf(wire.StreamStateError, frameType, "stream %d has no such direction", id)
		}
		return s, nil
	}
	local := ss.isLocal(id)
	if local {
		// RFC 9000, Section 19.8 and others: a frame for a local stream
		// not yet opened is STREAM_STATE_ERROR.
		opened := ss.openedBidi
		if isUni(id) {
			opened = ss.openedUni
		}
		if id>>2 >= opened {
			return nil, wire.Errorf(wire.StreamStateError, frameType, "stream %d not opened", id)
		}
		if isUni(id) && wantRecv {
			return nil, wire.Errorf(wire.StreamStateError, frameType, "stream %d is send-only", id)
		}
		return nil, nil // closed and forgotten
	}
	if isUni(id) && !wantRecv {
		return nil, wire.Errorf(wire.StreamStateError, frameType, "stream %d is receive-only", id)
	}
	n := id>>2 + 1 // streams the peer has opened up to and including id
	opened, limit := &ss.remoteBidi, ss.maxRemoteBidi
	if isUni(id) {
		opened, limit = &ss.remoteUni, ss.maxRemoteUni
	}
	if n <= *opened {
		return nil, nil // closed and forgotten
	}
	if n > limit {
		return nil, wire.Errorf(wire.StreamLimitError, frameType, "stream %d exceeds the limit of %d", id, limit)
	}
	// Opening stream id opens every lower-numbered stream of its kind
	// (RFC 9000, Section 3.2).
	for i := *opened; i < n; i++ {
		sid := i<<2 | id&3
		ss.newStream(sid)
		if isUni(id) {
			ss.acceptUni = append(ss.acceptUni, sid)
		} else {
			ss.acceptBidi = append(ss.acceptBidi, sid)
		}
	}
	*opened = n
	ss.c.events.push(Event{Kind: EventStreamAcceptable, StreamID: id})
	return ss.streams[id], nil
}

func (ss *streamSet) onStreamFrame(f *wire.StreamFrame, now time.Time) error {
	id := int64(f.StreamID)
	s, err := ss.streamForFrame(id, wire.FrameStream, true)
	if s == nil || err != nil {
		return err
	}
	end := f.Offset + uint64(len(f.Data))
	if s.resetReceived {
		return nil
	}
	// Flow control (RFC 9000, Section 4.1): the stream and the connection.
	if end > s.recvHighest {
		if err := s.recvWin.OnReceived(end); err != nil {
			return wire.Errorf(wire.FlowControlError, wire.FrameStream, "stream %d: %v", id, err)
		}
		if err := ss.recvWin.OnReceived(ss.recvHighest + end - s.recvHighest); err != nil {
			return wire.Errorf(wire.FlowControlError, wire.FrameStream, "connection: %v", err)
		}
	}
	if s.readClosed {
		// Data for a stream the application stopped reading is counted
		// and dropped (RFC 9000, Section 3.5).
		if err := s.recv.Observe(f.Offset, len(f.Data), f.Fin); err != nil {
			return withFrameType(err, f.Type())
		}
	} else if err := s.recv.Insert(f.Offset, f.Data, f.Fin); err != nil {
		return withFrameType(err, f.Type())
	}
	if end > s.recvHighest {
		ss.recvHighest += end - s.recvHighest
		s.recvHighest = end
	}
	if s.readClosed {
		ss.creditConsumed(s, end)
		ss.maybeRelease(s)
		return nil
	}
	if s.recv.Readable() > 0 || s.finKnownAllRead() {
		ss.c.events.push(Event{Kind: EventStreamReadable, StreamID: id})
	}
	return nil
}

func (s *stream) finKnownAllRead() bool {
	size, ok := s.recv.FinalSize()
	return ok && s.recv.ReadOffset() == size
}

// creditConsumed returns to the connection window the bytes of a stream that
// will never be read.
func (ss *streamSet) creditConsumed(s *stream, upTo uint64) {
	if upTo > s.recv.ReadOffset() {
		n := upTo - s.recv.ReadOffset()
		s.recv.DiscardTo(upTo)
		ss.recvWin.OnConsumed(n, ss.c.clock, ss.c.rtt.Smoothed)
		if ss.recvWin.ShouldUpdate() {
			ss.maxDataOwed = true
		}
	}
}

func (ss *streamSet) onResetStream(f *wire.ResetStreamFrame) error {
	id := int64(f.StreamID)
	s, err := ss.streamForFrame(id, wire.FrameResetStream, true)
	if s == nil || err != nil {
		return err
	}
	// RFC 9000, Section 4.5: the final size must agree with what was seen.
	if err := s.recv.SetFinalSize(f.FinalSize); err != nil {
		return withFrameType(err, wire.FrameResetStream)
	}
	if f.FinalSize > s.recvHighest {
		if err := s.recvWin.OnReceived(f.FinalSize); err != nil {
			return wire.Errorf(wire.FlowControlError, wire.FrameResetStream, "stream %d: %v", id, err)
		}
		if err := ss.recvWin.OnReceived(ss.recvHighest + f.FinalSize - s.recvHighest); err != nil {
			return wire.Errorf(wire.FlowControlError, wire.FrameResetStream, "connection: %v", err)
		}
		ss.recvHighest += f.FinalSize - s.recvHighest
		s.recvHighest = f.FinalSize
	}
	if s.resetReceived || s.finRead {
		return nil
	}
	s.resetReceived = true
	s.resetRecvCode = f.Code
	s.maxDataOwed = false
	// The unread bytes will never be read: return them to the connection.
	ss.creditConsumed(s, f.FinalSize)
	ss.c.events.push(Event{Kind: EventStreamReadable, StreamID: id})
	ss.maybeRelease(s)
	return nil
}

func (ss *streamSet) onStopSending(f *wire.StopSendingFrame) error {
	id := int64(f.StreamID)
	s, err := ss.streamForFrame(id, wire.FrameStopSending, false)
	if s == nil || err != nil {
		return err
	}
	if s.stopReceived {
		return nil
	}
	s.stopReceived = true
	s.stopCode = f.Code
	// RFC 9000, Section 3.5: answer with RESET_STREAM.
	if !s.resetSent && !s.send.AllAcked() {
		s.resetCode = f.Code
		s.resetOwed = true
		ss.queue(s)
	}
	ss.c.events.push(Event{Kind: EventStreamStopped, StreamID: id, Code: f.Code})
	ss.c.events.push(Event{Kind: EventStreamWritable, StreamID: id})
	return nil
}

func (ss *streamSet) onMaxData(v uint64) {
	if v > ss.sendWin.Limit() {
		ss.sendWin.SetLimit(v)
		ss.blockedOwed = false
		// Streams that waited on the connection window may send now, in
		// the order they stopped.
		for i, s := range ss.connBlocked {
			s.connBlocked = false
			if s.hasSend && s.send.HasPending() {
				ss.queue(s)
			}
			ss.connBlocked[i] = nil
		}
		ss.connBlocked = ss.connBlocked[:0]
	}
}

func (ss *streamSet) onMaxStreamData(f *wire.MaxStreamDataFrame) error {
	s, err := ss.streamForFrame(int64(f.StreamID), wire.FrameMaxStreamData, false)
	if s == nil || err != nil {
		return err
	}
	if f.Max > s.sendWin.Limit() {
		s.sendWin.SetLimit(f.Max)
		s.blockedOwed = false
		if s.send.HasPending() {
			ss.queue(s)
		}
		ss.c.events.push(Event{Kind: EventStreamWritable, StreamID: s.id})
	}
	return nil
}

func (ss *streamSet) onMaxStreams(f *wire.MaxStreamsFrame) error {
	v := int64(f.Max)
	if f.Bidi && v > ss.peerMaxBidi {
		ss.peerMaxBidi = v
		ss.c.events.push(Event{Kind: EventStreamsAvailable})
	} else if !f.Bidi && v > ss.peerMaxUni {
		ss.peerMaxUni = v
		ss.c.events.push(Event{Kind: EventStreamsAvailable})
	}
	return nil
}

func (ss *streamSet) onBlockedFrame(f wire.Frame) error {
	switch f := f.(type) {
	case *wire.DataBlockedFrame:
		// The peer is stuck on the connection window. If the application
		// has read anything since the last MAX_DATA, release it now rather
		// than at the half-window mark: unread data parked on other
		// streams can keep consumption below that mark forever
		// (RFC 9000, Section 4.1).
		if ss.recvWin.Consumed()+ss.recvWin.Window() > ss.recvWin.Limit() {
			ss.maxDataOwed = true
		}
	case *wire.StreamDataBlockedFrame:
		// Check the direction (RFC 9000, Section 19.13).
		s, err := ss.streamForFrame(int64(f.StreamID), wire.FrameStreamDataBlocked, true)
		if s != nil && !s.readClosed && !s.resetReceived && s.recvWin.Consumed()+s.recvWin.Window() > s.recvWin.Limit() {
			s.maxDataOwed = true
			ss.queue(s)
		}
		return err
	case *wire.StreamsBlockedFrame:
		if f.Limit > maxStreamsLimit {
			return wire.Errorf(wire.FrameEncodingError, f.Type(), "stream limit %d too large", f.Limit)
		}
		// The peer is blocked: credit held back for a batch goes now
		// (RFC 9000, Section 4.6).
		if f.Bidi && ss.maxRemoteBidi > ss.sentMaxBidi {
			ss.maxStreamsBidiOwed = true
		}
		if !f.Bidi && ss.maxRemoteUni > ss.sentMaxUni {
			ss.maxStreamsUniOwed = true
		}
	}
	return nil
}

// queue puts a stream in the send queue.
func (ss *streamSet) queue(s *stream) {
	if !s.inSendQueue && !s.released {
		s.inSendQueue = true
		ss.sendQueue.push(s)
	}
}

// maybeRelease forgets a stream whose both parts are done, and lets the
// peer open another in its place (RFC 9000, Section 4.6).
func (ss *streamSet) maybeRelease(s *stream) {
	if s.released || !s.sendDone() || !s.recvDone() {
		return
	}
	s.released = true
	delete(ss.streams, s.id)
	// The buffers' spare chunks go back to the pool for the next stream,
	// rather than to the garbage collector with this one: a stream that
	// carries a small request and response otherwise costs two fresh
	// 16 KiB chunks on each side.
	s.send.Shrink()
	s.recv.Shrink()
	if ss.isLocal(s.id) {
		return
	}
	if isUni(s.id) {
		ss.doneRemoteUni++
		limit := max(ss.c.cfg.MaxUniStreams, 0)
		ss.maxRemoteUni = ss.doneRemoteUni + limit
		if streamCreditLow(ss.sentMaxUni, ss.remoteUni, limit) {
			ss.maxStreamsUniOwed = true
		}
	} else {
		ss.doneRemoteBidi++
		limit := max(ss.c.cfg.MaxBidiStreams, 0)
		ss.maxRemoteBidi = ss.doneRemoteBidi + limit
		if streamCreditLow(ss.sentMaxBidi, ss.remoteBidi, limit) {
			ss.maxStreamsBidiOwed = true
		}
	}
}

// streamCreditLow reports whether the peer, which may open streams up to
// sent and has opened opened, has less than half of limit left to open:
// then the streams that ended are worth a MAX_STREAMS. Stream credit goes
// back in batches, as flow control credit does, rather than one frame, and
// often one packet, for every stream that ends (RFC 9000, Section 4.6,
// leaves the timing to the implementation); a peer that keeps many streams
// open gets an update for each one that ends, as its credit stays low.
func streamCreditLow(sent, opened, limit int64) bool {
	return sent-opened < (limit+1)/2
}

// onFrameAcked releases what an acknowledged stream-related frame carried.
func (ss *streamSet) onFrameAcked(f *sentFrame) {
	s := ss.streams[f.id]
	switch f.kind {
	case sentStream:
		if s != nil {
			s.send.OnAcked(f.offset, int(f.n), f.fin)
			if s.send.Buffered() < ss.c.cfg.MaxStreamWriteBuffer {
				ss.c.events.push(Event{Kind: EventStreamWritable, StreamID: s.id})
			}
			ss.maybeRelease(s)
		}
	case sentResetStream:
		if s != nil {
			s.resetAcked = true
			ss.maybeRelease(s)
		}
	}
}

// onFrameLost queues again the stream-related content of a lost frame.
func (ss *streamSet) onFrameLost(f *sentFrame) {
	s := ss.streams[f.id]
	switch f.kind {
	case sentStream:
		if s != nil && !s.resetSent {
			s.send.OnLost(f.offset, int(f.n), f.fin)
			ss.queue(s)
		}
	case sentResetStream:
		if s != nil && !s.resetAcked {
			s.resetOwed = true
			ss.queue(s)
		}
	case sentStopSending:
		if s != nil && s.hasRecv && !s.resetReceived && !s.recvFinKnownAndAllIn() {
			s.stopOwed = true
			ss.queue(s)
		}
	case sentMaxStreamData:
		if s != nil && s.hasRecv && !s.resetReceived && !s.readClosed {
			s.maxDataOwed = true
			ss.queue(s)
		}
	case sentStreamDataBlocked:
		if s != nil && s.hasSend {
			s.sendWin.OnBlockedLost(uint64(f.n))
			if _, ok := s.sendWin.ShouldSendBlocked(s.highestSent); ok && s.send.HasPending() {
				s.blockedOwed = true
				ss.queue(s)
			}
		}
	case sentMaxData:
		ss.maxDataOwed = true
	case sentMaxStreamsBidi:
		ss.maxStreamsBidiOwed = true
	case sentMaxStreamsUni:
		ss.maxStreamsUniOwed = true
	case sentDataBlocked:
		ss.sendWin.OnBlockedLost(uint64(f.n))
		if _, ok := ss.sendWin.ShouldSendBlocked(ss.sentNew); ok {
			ss.blockedOwed = true
		}
	case sentStreamsBlockedBidi:
		if ss.openedBidi >= ss.peerMaxBidi {
			ss.blockedBidiOwed = true
		}
	case sentStreamsBlockedUni:
		if ss.openedUni >= ss.peerMaxUni {
			ss.blockedUniOwed = true
		}
	}
}

// streamQueue is a FIFO of streams that reuses its storage.
type streamQueue struct {
	items []*stream
	head  int
}

func (q *streamQueue) len() int { return len(q.items) - q.head }

func (q *streamQueue) push(s *stream) {
	if q.head > 0 && q.head >= len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	q.items = append(q.items, s)
}

func (q *streamQueue) pop() *stream {
	s := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items = q.items[:0]
		q.head = 0
	}
	return s
}

// withFrameType names the frame that caused a transport error reported by a
// lower layer without one (RFC 9000, Section 19.19).
func withFrameType(err error, frameType uint64) error {
	if te, ok := err.(*wire.TransportError); ok && te.FrameType == 0 {
		te.FrameType = frameType
	}
	return err
}

package core

import "net/netip"

// EventKind names something the application may want to act on.
type EventKind uint8

const (
	// EventHandshakeComplete: the TLS handshake completed.
	EventHandshakeComplete EventKind = iota + 1
	// EventStreamAcceptable: the peer opened streams; AcceptStream has them.
	EventStreamAcceptable
	// EventStreamReadable: StreamRead on StreamID has data, a FIN or a
	// reset to report.
	EventStreamReadable
	// EventStreamWritable: StreamWrite on StreamID may take more, or will
	// now report an error (the peer sent STOP_SENDING).
	EventStreamWritable
	// EventStreamStopped: the peer sent STOP_SENDING on StreamID with
	// Code; the core answers with RESET_STREAM and may forget the stream's
	// send part soon after, so this event is the lasting record of the code.
	EventStreamStopped
	// EventStreamsAvailable: the peer raised its stream limit; OpenStream
	// may succeed now.
	EventStreamsAvailable
	// EventConnIDIssued and EventConnIDRetired: a connection ID this
	// endpoint issued starts or stops routing to the connection.
	EventConnIDIssued
	EventConnIDRetired
	// EventClosed: the connection is closing; Err says why.
	EventClosed
	// EventNewToken: the server sent Token in a NEW_TOKEN frame (RFC 9000,
	// Section 8.1.3). A client may keep it for its next connection to
	// this server in this QUIC version (ClientOptions.Token).
	EventNewToken
	// EventDatagram: datagrams arrived; ReceiveDatagram has them.
	EventDatagram
	// EventPathChanged: datagrams now go to Addr, the peer's new address
	// (RFC 9000, Section 9.3), or back to the last validated one. The
	// session layer updates its remote address.
	EventPathChanged
	// EventPathValidated: the path to Addr is validated (RFC 9000,
	// Section 8.2.3).
	EventPathValidated
	// EventPathFailed: validation of the path to Addr was abandoned
	// (RFC 9000, Section 8.2.4). A server has gone back to its last
	// validated address (EventPathChanged); a client's new local path does
	// not work, and the session layer may move back or close.
	EventPathFailed
	// EventEarlyDataAccepted and EventEarlyDataRejected: a client learns
	// whether the server accepted its 0-RTT (RFC 9001, Section 4.6.2).
	// After a rejection, the stream data sent in 0-RTT goes again in
	// 1-RTT packets by itself; the application protocol may differ (ALPN).
	EventEarlyDataAccepted
	EventEarlyDataRejected
)

// Event is one notification from the connection.
type Event struct {
	Kind     EventKind
	StreamID int64
	Code     uint64 // EventStreamStopped: the peer's application error code
	ConnID   []byte
	Token    []byte         // EventNewToken; the caller may keep it
	Addr     netip.AddrPort // EventPathChanged, EventPathValidated, EventPathFailed
}

// eventQueue holds events until the application takes them. Consecutive
// duplicates are dropped, so a burst of packets on one stream makes one event.
type eventQueue struct {
	q    []Event
	head int
}

func (q *eventQueue) push(e Event) {
	if n := len(q.q); n > q.head {
		last := q.q[n-1]
		if last.Kind == e.Kind && last.StreamID == e.StreamID && last.Code == e.Code && last.Addr == e.Addr && e.ConnID == nil && e.Token == nil {
			return
		}
	}
	q.q = append(q.q, e)
}

// NextEvent returns the next event, or false if there is none. The caller
// should drain events after every Receive, OnTimeout and Send.
func (c *Conn) NextEvent() (Event, bool) {
	q := &c.events
	if q.head == len(q.q) {
		q.q = q.q[:0]
		q.head = 0
		return Event{}, false
	}
	e := q.q[q.head]
	q.q[q.head] = Event{}
	q.head++
	return e, true
}

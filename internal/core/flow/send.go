package flow

// A SendWindow is the send side of flow control: the limit the peer has
// advertised for one stream or for the connection (RFC 9000, Section 4.1),
// and whether we have told the peer we are blocked by it.
//
// The zero SendWindow has a limit of 0.
type SendWindow struct {
	limit uint64
	// blockedSent is set when a DATA_BLOCKED or STREAM_DATA_BLOCKED frame
	// for the current limit has been sent (or queued).
	blockedSent bool
}

// NewSendWindow returns a SendWindow with the peer's initial limit, from its
// transport parameters.
func NewSendWindow(initial uint64) SendWindow {
	return SendWindow{limit: initial}
}

// Limit returns the peer's current limit.
func (w *SendWindow) Limit() uint64 { return w.limit }

// SetLimit applies a limit from a MAX_DATA or MAX_STREAM_DATA frame. A
// limit that does not increase the current one is ignored (RFC 9000,
// Section 4.1).
func (w *SendWindow) SetLimit(max uint64) {
	if max > w.limit {
		w.limit = max
		w.blockedSent = false
	}
}

// Available returns how many more bytes may be sent when sent bytes
// already have been.
func (w *SendWindow) Available(sent uint64) uint64 {
	if sent >= w.limit {
		return 0
	}
	return w.limit - sent
}

// ShouldSendBlocked reports whether to send a DATA_BLOCKED or
// STREAM_DATA_BLOCKED frame: sent has reached the limit and no such frame
// has been sent for this limit yet (RFC 9000, Section 4.1). The caller asks
// only when it has data waiting, and then sends the frame with limit and
// calls OnBlockedSent.
func (w *SendWindow) ShouldSendBlocked(sent uint64) (limit uint64, ok bool) {
	return w.limit, sent >= w.limit && !w.blockedSent
}

// OnBlockedSent records that a blocked frame carrying limit was sent.
func (w *SendWindow) OnBlockedSent(limit uint64) {
	if limit == w.limit {
		w.blockedSent = true
	}
}

// OnBlockedLost records that the blocked frame carrying limit was lost. If
// we are still blocked on that limit, ShouldSendBlocked will ask for it
// again; otherwise the frame is obsolete and is not resent (RFC 9000,
// Section 13.3).
func (w *SendWindow) OnBlockedLost(limit uint64) {
	if limit == w.limit {
		w.blockedSent = false
	}
}

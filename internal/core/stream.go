package core

import (
	"github.com/quince-go/quic/internal/core/flow"
	"github.com/quince-go/quic/internal/core/streambuf"
)

// Stream IDs (RFC 9000, Section 2.1): the low bit says who opened the
// stream, the next bit whether it is unidirectional.
const (
	streamServerBit = 0x1
	streamUniBit    = 0x2
)

func isUni(id int64) bool { return id&streamUniBit != 0 }

// stream is one stream's state: a send part and a receive part, either of
// which a unidirectional stream lacks (RFC 9000, Section 3).
type stream struct {
	id int64

	// Send part (RFC 9000, Section 3.1).
	hasSend      bool
	send         streambuf.SendBuffer
	sendWin      flow.SendWindow
	highestSent  uint64 // the end of the new data sent so far, for connection flow control
	finQueued    bool   // the application closed the send part
	resetCode    uint64
	resetOwed    bool // RESET_STREAM to send
	resetSent    bool // RESET_STREAM sent: the send part is terminal
	resetAcked   bool
	stopReceived bool   // the peer sent STOP_SENDING
	stopCode     uint64 // its code
	blockedOwed  bool   // STREAM_DATA_BLOCKED to send at sendWin's limit

	// Receive part (RFC 9000, Section 3.2).
	hasRecv        bool
	recv           streambuf.RecvBuffer
	recvWin        flow.RecvWindow
	recvHighest    uint64 // the highest offset received, for connection flow control
	maxDataOwed    bool   // MAX_STREAM_DATA to send
	resetReceived  bool   // the peer reset the stream
	resetRecvCode  uint64
	stopOwed       bool // STOP_SENDING to send
	stopSent       bool
	stopSendCode   uint64
	readClosed     bool // the application stopped reading
	finRead        bool // the application read everything up to the FIN
	resetDelivered bool // the application has seen the reset

	inSendQueue bool
	connBlocked bool // in streamSet.connBlocked
	released    bool // forgotten by the streamSet
}

// hasFramesToSend reports whether the stream has anything for the packer.
func (s *stream) hasFramesToSend() bool {
	if s.hasSend && (s.resetOwed || (!s.resetSent && (s.send.HasPending() || s.blockedOwed))) {
		return true
	}
	return s.hasRecv && (s.stopOwed || s.maxDataOwed)
}

// sendDone reports whether the send part is in a terminal state.
func (s *stream) sendDone() bool {
	if !s.hasSend {
		return true
	}
	return s.resetAcked || (s.resetSent && s.stopReceived) || s.send.AllAcked()
}

// recvDone reports whether the receive part is in a terminal state and the
// application has seen the outcome.
func (s *stream) recvDone() bool {
	if !s.hasRecv {
		return true
	}
	return s.finRead || s.resetDelivered || (s.readClosed && (s.resetReceived || s.recvFinKnownAndAllIn()))
}

func (s *stream) recvFinKnownAndAllIn() bool {
	size, ok := s.recv.FinalSize()
	return ok && s.recvHighest == size
}

package core

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"hash"
	"time"

	"github.com/quince-go/quic/internal/core/wire"
)

// Connection IDs (RFC 9000, Section 5.1): the ones this endpoint issues, to
// which the peer sends, and the ones the peer issued, to which this endpoint
// sends.

type localConnID struct {
	seq        uint64
	id         []byte
	resetToken [16]byte
	owed       bool // NEW_CONNECTION_ID to send
	retired    bool
}

type peerConnID struct {
	seq        uint64
	id         []byte
	resetToken [16]byte
	hasToken   bool
}

type connIDState struct {
	c        *Conn
	localLen int // every ID this endpoint issues has this length
	local    []localConnID
	nextSeq  uint64
	resetKey [32]byte
	// resetMAC is HMAC-SHA256 keyed with resetKey, made on first use and
	// reused for every connection ID; resetSum holds its output.
	resetMAC hash.Hash
	resetSum [sha256.Size]byte

	peer          []peerConnID // ordered by seq; peer[0] is in use
	peerInitial   []byte       // the source connection ID of the peer's first packet
	peerChosen    bool         // peerInitial is known
	retirePriorTo uint64       // the largest Retire Prior To received
	retireOwed    []uint64     // RETIRE_CONNECTION_ID to send
	retiring      int          // RETIRE_CONNECTION_ID frames sent and not yet acknowledged
}

// maxRetiring bounds the retirements in flight a peer can make this endpoint
// owe (RFC 9000, Section 5.1.2).
const maxRetiring = 4 * activeConnIDLimit

func (s *connIDState) init(c *Conn, local, peer []byte) {
	s.c = c
	s.localLen = len(local)
	if c.cfg.StatelessResetKey != nil {
		s.resetKey = *c.cfg.StatelessResetKey
	} else {
		rand.Read(s.resetKey[:])
	}
	s.local = append(s.local, localConnID{seq: 0, id: local, resetToken: s.tokenFor(local)})
	s.nextSeq = 1
	if peer != nil {
		s.peer = []peerConnID{{seq: 0, id: peer}}
	}
}

// tokenFor derives the stateless reset token of a connection ID
// (RFC 9000, Section 10.3.2).
func (s *connIDState) tokenFor(id []byte) [16]byte {
	if s.resetMAC == nil {
		s.resetMAC = hmac.New(sha256.New, s.resetKey[:])
	}
	m := s.resetMAC
	m.Reset()
	m.Write(id)
	var t [16]byte
	copy(t[:], m.Sum(s.resetSum[:0]))
	return t
}

func (s *connIDState) havePeer() bool { return len(s.peer) > 0 }

// setPeerInitial records the peer's first source connection ID.
func (s *connIDState) setPeerInitial(id []byte) {
	s.peer = []peerConnID{{seq: 0, id: clone(id)}}
	s.peerInitial = s.peer[0].id
	s.peerChosen = true
}

// setPeerProvisional makes id the peer's connection ID until the peer's
// first Initial names another: a client does this with a Retry's source
// connection ID (RFC 9000, Section 7.2).
func (s *connIDState) setPeerProvisional(id []byte) {
	s.peer = []peerConnID{{seq: 0, id: id}}
}

// setPeerResetToken records the server's token for its first connection ID
// (RFC 9000, Section 18.2, stateless_reset_token).
func (s *connIDState) setPeerResetToken(t [16]byte) {
	for i := range s.peer {
		if s.peer[i].seq == 0 {
			s.peer[i].resetToken, s.peer[i].hasToken = t, true
		}
	}
}

// peerID is the connection ID packets are sent to.
func (s *connIDState) peerID() []byte {
	if len(s.peer) == 0 {
		return nil
	}
	return s.peer[0].id
}

func (s *connIDState) isLocal(id []byte) bool {
	for i := range s.local {
		if !s.local[i].retired && bytes.Equal(s.local[i].id, id) {
			return true
		}
	}
	return false
}

func (s *connIDState) isPeerResetToken(t []byte) bool {
	for i := range s.peer {
		if s.peer[i].hasToken && subtle.ConstantTimeCompare(s.peer[i].resetToken[:], t) == 1 {
			return true
		}
	}
	return false
}

// issueMore issues new connection IDs up to the peer's
// active_connection_id_limit (RFC 9000, Section 5.1.1).
func (s *connIDState) issueMore() {
	if s.localLen == 0 || s.c.peerParams == nil {
		return
	}
	limit := min(int(s.c.peerParams.ActiveConnectionIDLimit), activeConnIDLimit)
	active := 0
	for i := range s.local {
		if !s.local[i].retired {
			active++
		}
	}
	for ; active < limit; active++ {
		id := make([]byte, s.localLen)
		rand.Read(id)
		s.local = append(s.local, localConnID{seq: s.nextSeq, id: id, resetToken: s.tokenFor(id), owed: true})
		s.nextSeq++
		s.c.events.push(Event{Kind: EventConnIDIssued, ConnID: id})
	}
}

func (s *connIDState) onNewConnectionID(f *wire.NewConnectionIDFrame) error {
	if len(s.peerID()) == 0 {
		// RFC 9000, Section 19.15.
		return wire.Errorf(wire.ProtocolViolation, wire.FrameNewConnectionID, "NEW_CONNECTION_ID sent to a zero-length connection ID")
	}
	for i := range s.peer {
		if s.peer[i].seq == f.Seq {
			if !bytes.Equal(s.peer[i].id, f.ConnID) || s.peer[i].resetToken != f.ResetToken {
				return wire.Errorf(wire.ProtocolViolation, wire.FrameNewConnectionID, "sequence number %d reused for another connection ID", f.Seq)
			}
			return nil
		}
	}
	if f.Seq < s.retirePriorTo {
		// Already retired by an earlier Retire Prior To (Section 19.15).
		return s.owRetire(f.Seq)
	}
	if f.RetirePriorTo > s.retirePriorTo {
		s.retirePriorTo = f.RetirePriorTo
		kept := s.peer[:0]
		for _, p := range s.peer {
			if p.seq < s.retirePriorTo {
				if err := s.owRetire(p.seq); err != nil {
					return err
				}
				continue
			}
			kept = append(kept, p)
		}
		s.peer = kept
	}
	if f.Seq >= s.retirePriorTo {
		p := peerConnID{seq: f.Seq, id: clone(f.ConnID), resetToken: f.ResetToken, hasToken: true}
		i := len(s.peer)
		for i > 0 && s.peer[i-1].seq > f.Seq {
			i--
		}
		s.peer = append(s.peer, peerConnID{})
		copy(s.peer[i+1:], s.peer[i:])
		s.peer[i] = p
	} else if err := s.owRetire(f.Seq); err != nil {
		return err
	}
	if len(s.peer) > activeConnIDLimit {
		return wire.Errorf(wire.ConnectionIDLimitError, wire.FrameNewConnectionID, "peer issued %d connection IDs; limit %d", len(s.peer), activeConnIDLimit)
	}
	return nil
}

func (s *connIDState) owRetire(seq uint64) error {
	if len(s.retireOwed)+s.retiring >= maxRetiring {
		return wire.Errorf(wire.ConnectionIDLimitError, wire.FrameNewConnectionID, "too many connection IDs retired at once")
	}
	s.retireOwed = append(s.retireOwed, seq)
	return nil
}

func (s *connIDState) onRetireConnectionID(f *wire.RetireConnectionIDFrame, now time.Time) error {
	if f.Seq >= s.nextSeq {
		// RFC 9000, Section 19.16.
		return wire.Errorf(wire.ProtocolViolation, wire.FrameRetireConnectionID, "retires connection ID %d, never issued", f.Seq)
	}
	for i := range s.local {
		l := &s.local[i]
		if l.seq == f.Seq && !l.retired {
			l.retired = true
			l.owed = false
			s.c.events.push(Event{Kind: EventConnIDRetired, ConnID: l.id})
			s.issueMore()
		}
	}
	// Forget retired IDs whose slots are no longer needed.
	kept := s.local[:0]
	for _, l := range s.local {
		if !l.retired {
			kept = append(kept, l)
		}
	}
	s.local = kept
	return nil
}

func (s *connIDState) onFrameAcked(f *sentFrame) {
	if f.kind == sentRetireConnectionID {
		s.retiring--
	}
}

func (s *connIDState) onFrameLost(f *sentFrame) {
	switch f.kind {
	case sentNewConnectionID:
		for i := range s.local {
			if s.local[i].seq == f.offset && !s.local[i].retired {
				s.local[i].owed = true
			}
		}
	case sentRetireConnectionID:
		s.retiring--
		s.retireOwed = append(s.retireOwed, f.offset)
	}
}

// rotatePeer moves to the peer's next unused connection ID and retires the
// one in use, for a new path (RFC 9000, Sections 5.1.2 and 9.5). It reports
// false, changing nothing, if the peer has issued no spare one.
func (s *connIDState) rotatePeer() bool {
	if len(s.peer) < 2 || len(s.retireOwed)+s.retiring >= maxRetiring {
		return false
	}
	s.retireOwed = append(s.retireOwed, s.peer[0].seq)
	s.peer = append(s.peer[:0], s.peer[1:]...)
	return true
}

// usePeer makes the peer's connection ID with sequence number seq the one in
// use, retiring the current one. It reports false if there is no such ID.
func (s *connIDState) usePeer(seq uint64) bool {
	for i := range s.peer {
		if s.peer[i].seq != seq {
			continue
		}
		if i == 0 {
			return true
		}
		if len(s.retireOwed)+s.retiring >= maxRetiring {
			return false
		}
		s.retireOwed = append(s.retireOwed, s.peer[0].seq)
		s.peer[0] = s.peer[i]
		s.peer = append(s.peer[:i], s.peer[i+1:]...)
		return true
	}
	return false
}

// peerIDBySeq returns the peer's connection ID with sequence number seq, or
// nil.
func (s *connIDState) peerIDBySeq(seq uint64) []byte {
	for i := range s.peer {
		if s.peer[i].seq == seq {
			return s.peer[i].id
		}
	}
	return nil
}

// issuePreferred issues the connection ID of the server's preferred address,
// sequence number 1 (RFC 9000, Section 5.1.1), once; it is carried in the
// transport parameter, not in a NEW_CONNECTION_ID frame.
func (s *connIDState) issuePreferred() localConnID {
	for _, l := range s.local {
		if l.seq == 1 {
			return l
		}
	}
	id := make([]byte, s.localLen)
	rand.Read(id)
	l := localConnID{seq: 1, id: id, resetToken: s.tokenFor(id)}
	s.local = append(s.local, l)
	s.nextSeq = max(s.nextSeq, 2)
	s.c.events.push(Event{Kind: EventConnIDIssued, ConnID: id})
	return l
}

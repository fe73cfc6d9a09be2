package core

import "time"

// sentFrameKind names the information a sent frame carried, so that it can be
// sent again if the packet is lost (RFC 9000, Section 13.3), or released when
// it is acknowledged.
type sentFrameKind uint8

const (
	sentAck         sentFrameKind = iota + 1 // n: largest acknowledged
	sentCrypto                               // offset, n
	sentStream                               // id, offset, n, fin
	sentResetStream                          // id
	sentStopSending                          // id
	sentMaxData
	sentMaxStreamData // id
	sentMaxStreamsBidi
	sentMaxStreamsUni
	sentDataBlocked
	sentStreamDataBlocked // id
	sentStreamsBlockedBidi
	sentStreamsBlockedUni
	sentNewConnectionID    // offset: sequence number
	sentRetireConnectionID // offset: sequence number
	sentHandshakeDone
	sentNewToken
)

// sentFrame is what the loss detector remembers of one frame.
type sentFrame struct {
	kind   sentFrameKind
	fin    bool
	id     int64
	offset uint64
	n      int64
}

// sentPacket is a packet in flight or awaiting acknowledgement
// (RFC 9002, Appendix A.1.1).
type sentPacket struct {
	pn           int64
	sentAt       time.Time
	size         int
	ackEliciting bool
	inFlight     bool
	pmtuProbe    bool // a path MTU probe (pmtud.go)
	// reprobed says a PTO probe already carried this packet's frames
	// again (loss.go, queueProbe), so the next probe takes the next one.
	reprobed bool
	frames   []sentFrame
}

// sentList holds one space's sent packets in packet number order. Records
// are recycled through a free list so that sending does not allocate.
type sentList struct {
	packets []*sentPacket // ascending pn; acked or lost packets removed
	free    []*sentPacket
}

func (l *sentList) newPacket() *sentPacket {
	if n := len(l.free); n > 0 {
		p := l.free[n-1]
		l.free = l.free[:n-1]
		return p
	}
	return &sentPacket{}
}

func (l *sentList) push(p *sentPacket) { l.packets = append(l.packets, p) }

// release returns a record to the free list.
func (l *sentList) release(p *sentPacket) {
	frames := p.frames[:0]
	*p = sentPacket{frames: frames}
	l.free = append(l.free, p)
}

// compact drops the nil entries that acknowledgement and loss left behind.
func (l *sentList) compact() {
	j := 0
	for _, p := range l.packets {
		if p != nil {
			l.packets[j] = p
			j++
		}
	}
	clear(l.packets[j:])
	l.packets = l.packets[:j]
}

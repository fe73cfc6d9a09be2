package core

import (
	"errors"
	"time"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

// appKeys are the 1-RTT keys and their key phases (RFC 9001, Section 6).
// The header protection key never changes; packet keys move on a generation
// at each key update.
type appKeys struct {
	read, write *protect.Keys
	nextRead    *protect.Keys // the generation after read, tried when the phase bit flips
	prevRead    *protect.Keys // the generation before read, kept for reordered packets
	prevUntil   time.Time     // when prevRead is dropped

	readPhase, writePhase bool

	firstSentInPhase int64  // first packet number sealed with write
	firstRecvInPhase int64  // first packet number opened with read
	sealed           uint64 // packets sealed with write (RFC 9001, Section 6.6)
	failedOpens      uint64 // packets that failed authentication
	updates          int    // key updates so far, either side
}

func (k *appKeys) setRead(keys *protect.Keys) {
	k.read = keys
	k.nextRead = keys.Next()
}

func (k *appKeys) setWrite(keys *protect.Keys) { k.write = keys }

var errKeyPhase = errors.New("packet does not open with any key phase")

// open decrypts a 1-RTT packet whose header protection is removed, choosing
// the keys by its key phase bit and packet number (RFC 9001, Section 6.3).
func (c *Conn) open1RTT(pkt []byte, hdrLen int, pn int64, phase bool, now time.Time) ([]byte, error) {
	k := &c.keys1RTT
	if phase == k.readPhase {
		return k.read.Packet.Open(pkt, hdrLen, uint64(pn))
	}
	if k.prevRead != nil && pn < k.firstRecvInPhase {
		return k.prevRead.Packet.Open(pkt, hdrLen, uint64(pn))
	}
	if !c.handshakeConfirmed && c.isClient {
		// RFC 9001, Section 6: no key update before confirmation; such a
		// packet can't be genuine.
		return nil, errKeyPhase
	}
	payload, err := k.nextRead.Packet.Open(pkt, hdrLen, uint64(pn))
	if err != nil {
		return nil, err
	}
	// The peer moved to the next phase, either by itself or in answer to
	// an update this endpoint started.
	if k.writePhase == k.readPhase {
		// The peer started it: follow (RFC 9001, Section 6.2).
		if !c.handshakeConfirmed {
			return nil, wire.Errorf(wire.KeyUpdateError, 0, "key update before handshake confirmation")
		}
		k.write = k.write.Next()
		k.writePhase = !k.writePhase
		k.firstSentInPhase = c.spaces[spaceApp].nextPN
		k.sealed = 0
		// Counted here when the peer started the update; InitiateKeyUpdate
		// counts the ones this endpoint starts, so each is counted once.
		c.stats.KeyUpdates++
	}
	k.prevRead = k.read
	k.prevUntil = now.Add(3 * c.rtt.PTO(c.peerMaxAckDelay()))
	k.read = k.nextRead
	k.nextRead = k.read.Next()
	k.readPhase = phase
	k.firstRecvInPhase = pn
	k.updates++
	return payload, nil
}

// InitiateKeyUpdate starts a key update (RFC 9001, Section 6.1). It fails if
// the handshake is not confirmed or the previous update is not yet complete.
func (c *Conn) InitiateKeyUpdate() error {
	k := &c.keys1RTT
	switch {
	case !c.handshakeConfirmed:
		return errors.New("quic: key update before the handshake is confirmed")
	case k.writePhase != k.readPhase:
		return errors.New("quic: previous key update not yet answered by the peer")
	case c.spaces[spaceApp].largestAcked < k.firstSentInPhase:
		return errors.New("quic: no packet of the current key phase acknowledged yet")
	}
	k.write = k.write.Next()
	k.writePhase = !k.writePhase
	k.firstSentInPhase = c.spaces[spaceApp].nextPN
	k.sealed = 0
	c.stats.KeyUpdates++
	return nil
}

// maybeUpdateKeys starts a key update before the confidentiality limit is
// reached (RFC 9001, Section 6.6), or at the configured interval.
func (c *Conn) maybeUpdateKeys() {
	k := &c.keys1RTT
	if k.write == nil {
		return
	}
	limit := protect.ConfidentialityLimit(k.write.Suite)
	limit -= limit / 8 // leave room for the update to complete
	if c.cfg.KeyUpdateInterval > 0 && c.cfg.KeyUpdateInterval < limit {
		limit = c.cfg.KeyUpdateInterval
	}
	if k.sealed >= limit {
		c.InitiateKeyUpdate() // may fail until the peer catches up; retried on the next packet
	}
}

// dropOldKeys forgets the previous read keys after their grace period.
func (k *appKeys) dropOldKeys(now time.Time) {
	if k.prevRead != nil && !now.Before(k.prevUntil) {
		k.prevRead = nil
	}
}

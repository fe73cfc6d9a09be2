package protect

import (
	"crypto/cipher"
	"encoding/binary"
	"slices"
)

// PacketKey is the AEAD key and IV that protect packet payloads in one
// direction at one encryption level and key phase (RFC 9001, Section 5.3).
// It counts nothing itself: enforcing ConfidentialityLimit and
// IntegrityLimit is the caller's job.
//
// A PacketKey keeps a nonce buffer so that Seal and Open do not allocate;
// it must not be used by more than one goroutine at a time.
type PacketKey struct {
	aead  cipher.AEAD
	iv    [ivLen]byte
	nonce [ivLen]byte
}

func newPacketKey(s *suite, key, iv []byte) (*PacketKey, error) {
	aead, err := s.newAEAD(key)
	if err != nil {
		return nil, err
	}
	p := &PacketKey{aead: aead}
	copy(p.iv[:], iv)
	return p, nil
}

// nonceFor returns the AEAD nonce for packet number pn: the IV XORed with
// the packet number left-padded with zeros to the IV length (RFC 9001,
// Section 5.3). The result aliases p's nonce buffer.
func (p *PacketKey) nonceFor(pn uint64) []byte {
	p.nonce = p.iv
	const off = ivLen - 8
	binary.BigEndian.PutUint64(p.nonce[off:], binary.BigEndian.Uint64(p.iv[off:])^pn)
	return p.nonce[:]
}

// Seal encrypts pkt[hdrLen:] in place for packet number pn, authenticating
// the unprotected header pkt[:hdrLen], and appends the TagLen-byte tag. It
// returns the extended packet, which shares pkt's storage if cap(pkt) leaves
// room for the tag and is a new, grown copy otherwise. Only then does Seal
// allocate.
//
// hdrLen must be within pkt; Seal panics otherwise.
func (p *PacketKey) Seal(pkt []byte, hdrLen int, pn uint64) []byte {
	pkt = slices.Grow(pkt, TagLen)
	p.aead.Seal(pkt[hdrLen:hdrLen], p.nonceFor(pn), pkt[hdrLen:], pkt[:hdrLen])
	return pkt[:len(pkt)+TagLen]
}

// Open authenticates and decrypts pkt[hdrLen:] in place for the full
// (decoded) packet number pn, with pkt[:hdrLen] as associated data, and
// returns the plaintext, which aliases pkt. The header must already have
// its protection removed (RemoveHeaderProtection).
//
// Open returns ErrShortPacket if pkt[hdrLen:] cannot hold a tag and ErrAuth
// if authentication fails. After a failure the bytes pkt[hdrLen:] are
// unspecified (the AEAD may have overwritten them), so a caller that wants
// to try another key must keep its own copy of the ciphertext.
func (p *PacketKey) Open(pkt []byte, hdrLen int, pn uint64) ([]byte, error) {
	if hdrLen < 0 || hdrLen > len(pkt) || len(pkt)-hdrLen < TagLen {
		return nil, ErrShortPacket
	}
	payload, err := p.aead.Open(pkt[hdrLen:hdrLen], p.nonceFor(pn), pkt[hdrLen:], pkt[:hdrLen])
	if err != nil {
		return nil, ErrAuth
	}
	return payload, nil
}

package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20"
)

// HeaderKey removes and applies header protection in one direction at one
// encryption level (RFC 9001, Section 5.4). It does not change when packet
// keys are updated (RFC 9001, Section 6), so all key phases of a direction
// share one HeaderKey.
//
// A HeaderKey keeps a mask buffer so that its methods do not allocate; it
// must not be used by more than one goroutine at a time.
type HeaderKey struct {
	block  cipher.Block // AES-ECB for the AES suites (RFC 9001, Section 5.4.3)
	chacha [chacha20.KeySize]byte
	mask   [aes.BlockSize]byte
}

func newHeaderKey(s *suite, hp []byte) (*HeaderKey, error) {
	h := new(HeaderKey)
	if s.chacha {
		copy(h.chacha[:], hp)
		return h, nil
	}
	block, err := aes.NewCipher(hp)
	if err != nil {
		return nil, err
	}
	h.block = block
	return h, nil
}

// computeMask sets h.mask[:maskLen] to the header protection mask for the
// SampleLen-byte sample.
func (h *HeaderKey) computeMask(sample []byte) {
	if h.block != nil {
		// mask = AES-ECB(hp_key, sample), RFC 9001, Section 5.4.3.
		h.block.Encrypt(h.mask[:], sample)
		return
	}
	// RFC 9001, Section 5.4.4: the first 4 sample bytes are the
	// little-endian block counter, the other 12 the nonce, and the mask is
	// ChaCha20 applied to five zero bytes. A counter of 2^32-1 needs only
	// one block, which chacha20 permits.
	c, err := chacha20.NewUnauthenticatedCipher(h.chacha[:], sample[4:SampleLen])
	if err != nil {
		panic("protect: " + err.Error()) // key and nonce lengths are fixed
	}
	c.SetCounter(binary.LittleEndian.Uint32(sample[:4]))
	clear(h.mask[:maskLen])
	c.XORKeyStream(h.mask[:maskLen], h.mask[:maskLen])
}

// firstByteMask returns the bits of the first byte that header protection
// covers: the low 4 bits of a long header and the low 5 of a short header
// (RFC 9001, Section 5.4.1).
func firstByteMask(first byte) byte {
	if first&0x80 != 0 {
		return 0x0f
	}
	return 0x1f
}

// ApplyHeaderProtection masks the protected bits of pkt[0] and the pnLen
// packet number bytes at pkt[pnOffset:], using the ciphertext sample that
// starts 4 bytes after pnOffset (RFC 9001, Sections 5.4.1 and 5.4.2). The
// payload must already be sealed.
//
// pnLen must be 1 to 4 and pkt must hold the whole sample; the packet is
// built locally, so ApplyHeaderProtection panics otherwise.
func (h *HeaderKey) ApplyHeaderProtection(pkt []byte, pnOffset, pnLen int) {
	if pnLen < 1 || pnLen > 4 || pnOffset < 1 || pnOffset > len(pkt)-4-SampleLen {
		panic("protect: packet too short for a header protection sample")
	}
	h.computeMask(pkt[pnOffset+4 : pnOffset+4+SampleLen])
	pkt[0] ^= h.mask[0] & firstByteMask(pkt[0])
	for i := range pnLen {
		pkt[pnOffset+i] ^= h.mask[1+i]
	}
}

// RemoveHeaderProtection unmasks pkt[0] and the packet number that starts
// at pkt[pnOffset] in place and returns the packet number length, read from
// the unmasked first byte (RFC 9001, Section 5.4.1). The header then ends at
// pnOffset+pnLen.
//
// It returns ErrShortPacket, leaving pkt unchanged, if pkt does not extend
// to the end of the sample, pnOffset+4+SampleLen; such packets must be
// discarded (RFC 9001, Section 5.4.2).
func (h *HeaderKey) RemoveHeaderProtection(pkt []byte, pnOffset int) (pnLen int, err error) {
	if pnOffset < 1 || pnOffset > len(pkt)-4-SampleLen {
		return 0, ErrShortPacket
	}
	h.computeMask(pkt[pnOffset+4 : pnOffset+4+SampleLen])
	pkt[0] ^= h.mask[0] & firstByteMask(pkt[0])
	pnLen = int(pkt[0]&0x03) + 1
	for i := range pnLen {
		pkt[pnOffset+i] ^= h.mask[1+i]
	}
	return pnLen, nil
}

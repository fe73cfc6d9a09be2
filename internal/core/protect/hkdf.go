package protect

import "hash"

const (
	// maxHashSize is the output size of the largest hash a suite uses,
	// SHA-384.
	maxHashSize = 48
	// maxBlockSize is the block size of the hash with the largest blocks,
	// SHA-384.
	maxBlockSize = 128
)

// expander computes HMAC (RFC 2104) keyed with one secret, and from it
// HKDF-Expand-Label (RFC 8446, Section 7.1) with an empty Context, as every
// use in QUIC has (RFC 9001, Section 5.1):
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
//
// It keeps one hash state and the padded keys, and reuses them for every
// label: a packet protection key, IV and header protection key then cost
// two allocations, where crypto/hkdf.Expand, keying a new crypto/hmac HMAC
// per label, made dozens. Handshakes derive eight sets of keys per side.
//
// Labels must fit the info buffer (every one in this package does).
type expander struct {
	h          hash.Hash
	block      int // h's block size
	ipad, opad [maxBlockSize]byte
	info       [64]byte // HkdfLabel
	ctr        [1]byte
	sum        [maxHashSize]byte
}

// newExpander returns an expander keyed with secret, for the hash newHash
// returns.
func newExpander(newHash func() hash.Hash, secret []byte) *expander {
	e := &expander{h: newHash()}
	e.block = e.h.BlockSize()
	key := secret
	if len(key) > e.block {
		// RFC 2104, Section 2: a key longer than a block is hashed first.
		e.h.Write(key)
		key = e.h.Sum(e.sum[:0])
	}
	copy(e.ipad[:], key)
	copy(e.opad[:], key)
	for i := range e.block {
		e.ipad[i] ^= 0x36
		e.opad[i] ^= 0x5c
	}
	return e
}

// mac returns HMAC(secret, the concatenation of parts):
// H(K XOR opad, H(K XOR ipad, text)) (RFC 2104, Section 2). The result
// aliases e's buffer and is good until the next call; parts may alias it.
func (e *expander) mac(parts ...[]byte) []byte {
	e.h.Reset()
	e.h.Write(e.ipad[:e.block])
	for _, p := range parts {
		e.h.Write(p)
	}
	inner := e.h.Sum(e.sum[:0])
	e.h.Reset()
	e.h.Write(e.opad[:e.block])
	e.h.Write(inner)
	return e.h.Sum(e.sum[:0])
}

// appendLabel appends HKDF-Expand-Label(secret, label, "", length) to dst.
func (e *expander) appendLabel(dst []byte, label string, length int) []byte {
	const prefix = "tls13 "
	if len(prefix)+len(label)+4 > len(e.info) || length > 255*e.h.Size() {
		panic("protect: HKDF-Expand-Label with a long label or output")
	}
	info := append(e.info[:0], byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // empty Context
	// HKDF-Expand (RFC 5869, Section 2.3): T(0) is empty,
	// T(i) = HMAC-Hash(PRK, T(i-1) | info | i), and the output is the
	// first length bytes of T(1) | T(2) | ... QUIC's lengths take one.
	var t []byte
	for i := 1; length > 0; i++ {
		e.ctr[0] = byte(i)
		t = e.mac(t, info, e.ctr[:])
		n := min(length, len(t))
		dst = append(dst, t[:n]...)
		length -= n
	}
	return dst
}

// hkdfExpandLabel is HKDF-Expand-Label(secret, label, "", length); see
// expander.
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, length int) []byte {
	return newExpander(h, secret).appendLabel(make([]byte, 0, length), label, length)
}

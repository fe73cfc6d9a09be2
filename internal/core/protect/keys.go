package protect

import "fmt"

// Keys is what one direction of one encryption level needs to protect or
// unprotect packets: the packet protection key of the current key phase,
// the header protection key, and the traffic secret from which the next key
// phase is derived.
//
// A Keys value is not changed by its methods other than through the scratch
// buffers of Packet and Header; see the package documentation on
// concurrency.
type Keys struct {
	Packet *PacketKey
	Header *HeaderKey
	Suite  uint16 // TLS cipher suite, such as tls.TLS_AES_128_GCM_SHA256

	s       *suite
	version uint32
	secret  []byte // traffic secret of this key phase
}

// NewKeys derives the packet and header protection keys for a TLS traffic
// secret negotiated with cipher suite suite, using the labels of QUIC
// version version (RFC 9001, Section 5.1; RFC 9369, Section 3.3.2). It
// returns an error if the suite is not supported or the secret is not as
// long as the suite's hash output. NewKeys keeps its own copy of secret.
func NewKeys(suite uint16, version uint32, secret []byte) (*Keys, error) {
	s, err := suiteFor(suite)
	if err != nil {
		return nil, err
	}
	if n := s.hashLen; len(secret) != n {
		return nil, fmt.Errorf("protect: secret is %d bytes, cipher suite 0x%04x needs %d", len(secret), suite, n)
	}
	m := deriveMaterial(s, version, secret)
	k := &Keys{Suite: suite, s: s, version: version, secret: m.secret}
	if k.Packet, err = newPacketKey(s, m.key, m.iv); err != nil {
		return nil, err
	}
	if k.Header, err = newHeaderKey(s, m.hp); err != nil {
		return nil, err
	}
	return k, nil
}

// material is the keying material derived from one traffic secret.
type material struct {
	secret, key, iv, hp []byte
}

// deriveMaterial expands secret into the AEAD key, IV and header protection
// key (RFC 9001, Section 5.1). The returned secret is a copy of secret.
func deriveMaterial(s *suite, version uint32, secret []byte) material {
	l := labelsFor(version)
	e := newExpander(s.hash, secret)
	// One allocation holds all four.
	buf := make([]byte, 0, len(secret)+2*s.keyLen+ivLen)
	buf = append(buf, secret...)
	buf = e.appendLabel(buf, l.key, s.keyLen)
	buf = e.appendLabel(buf, l.iv, ivLen)
	buf = e.appendLabel(buf, l.hp, s.keyLen)
	n := len(secret)
	return material{
		secret: buf[:n:n],
		key:    buf[n : n+s.keyLen : n+s.keyLen],
		iv:     buf[n+s.keyLen : n+s.keyLen+ivLen : n+s.keyLen+ivLen],
		hp:     buf[n+s.keyLen+ivLen:],
	}
}

// nextSecret derives the traffic secret of the next key phase:
// HKDF-Expand-Label(secret, "quic ku", "", Hash.length) (RFC 9001, Section
// 6.1), with label "quicv2 ku" for QUIC version 2 (RFC 9369, Section 3.3.2).
func nextSecret(s *suite, version uint32, secret []byte) []byte {
	return hkdfExpandLabel(s.hash, secret, labelsFor(version).ku, len(secret))
}

// Next returns the keys of the next key phase (RFC 9001, Section 6): a new
// traffic secret, packet protection key and IV. The header protection key
// does not change with a key update, so the result shares k.Header. k is
// left unchanged and remains usable, for example for delayed packets of
// the old key phase.
func (k *Keys) Next() *Keys {
	secret := nextSecret(k.s, k.version, k.secret)
	l := labelsFor(k.version)
	e := newExpander(k.s.hash, secret)
	var buf [32 + ivLen]byte // the longest key, then the IV
	key := e.appendLabel(buf[:0], l.key, k.s.keyLen)
	p, err := newPacketKey(k.s, key, e.appendLabel(key[len(key):], l.iv, ivLen))
	if err != nil {
		// The key length is the suite's own, so the AEAD accepts it.
		panic("protect: " + err.Error())
	}
	return &Keys{Packet: p, Header: k.Header, Suite: k.Suite, s: k.s, version: k.version, secret: secret}
}

// Seal protects a packet in place. pkt holds the header, ending with the
// pnLen-byte packet number at pkt[pnOffset:pnOffset+pnLen], followed by the
// plaintext payload; pn is the full packet number. Seal appends the TagLen
// tag, encrypts the payload (RFC 9001, Section 5.3), then applies header
// protection (RFC 9001, Section 5.4) and returns the packet.
//
// Seal allocates only if cap(pkt) leaves no room for the tag. The payload
// must be long enough for the header protection sample, that is
// len(pkt)+TagLen >= pnOffset+4+SampleLen (RFC 9001, Section 5.4.2); the
// packet is built locally, so Seal panics otherwise.
func (k *Keys) Seal(pkt []byte, pnOffset, pnLen int, pn uint64) []byte {
	if pnLen < 1 || pnLen > 4 || pnOffset < 1 || len(pkt)+TagLen < pnOffset+4+SampleLen {
		panic("protect: Seal: packet too short for a header protection sample")
	}
	pkt = k.Packet.Seal(pkt, pnOffset+pnLen, pn)
	k.Header.ApplyHeaderProtection(pkt, pnOffset, pnLen)
	return pkt
}

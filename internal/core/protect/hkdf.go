package protect

import (
	"crypto/hkdf"
	"hash"
)

// hkdfExpandLabel is HKDF-Expand-Label from TLS 1.3 (RFC 8446, Section 7.1)
// with an empty Context, as every use in QUIC has (RFC 9001, Section 5.1):
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
//
// label is at most 249 bytes and length at most 255 times the hash size;
// both hold for every label and length in this package.
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, length int) []byte {
	const prefix = "tls13 "
	info := make([]byte, 0, 2+1+len(prefix)+len(label)+1)
	info = append(info, byte(length>>8), byte(length))
	info = append(info, byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // empty Context
	out, err := hkdf.Expand(h, secret, string(info), length)
	if err != nil {
		// Only an over-long output or a FIPS 140-only policy violation
		// fails, and neither is reachable with QUIC's lengths and hashes.
		panic("protect: HKDF-Expand-Label: " + err.Error())
	}
	return out
}

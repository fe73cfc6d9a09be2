package protect

import (
	"crypto/cipher"
	"crypto/subtle"
	"sync"

	"github.com/quince-go/quic/internal/core/wire"
)

// Retry integrity keys and nonces: RFC 9001, Section 5.8 for version 1 and
// RFC 9369, Section 3.3.3 for version 2. Each is HKDF-Expand-Label of a
// published secret with the version's "key" and "iv" labels.
var (
	retryKeyV1   = []byte{0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e}
	retryNonceV1 = []byte{0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb}
	retryKeyV2   = []byte{0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2, 0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92}
	retryNonceV2 = []byte{0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c, 0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a}
)

// retryAEADs holds the AEAD_AES_128_GCM instances for the Retry integrity
// keys of version 1 and version 2, created on first use.
var retryAEADs = sync.OnceValue(func() [2]cipher.AEAD {
	var a [2]cipher.AEAD
	for i, key := range [2][]byte{retryKeyV1, retryKeyV2} {
		var err error
		if a[i], err = newGCM(key); err != nil {
			panic("protect: " + err.Error())
		}
	}
	return a
})

// RetryIntegrityTag returns the Retry Integrity Tag of a Retry packet:
// AEAD_AES_128_GCM with the version's fixed key and nonce over an empty
// plaintext, with the Retry Pseudo-Packet as associated data (RFC 9001,
// Section 5.8; RFC 9369, Section 3.3.3). retryWithoutTag is the Retry packet
// up to, not including, the tag; origDstConnID is the Destination Connection
// ID of the client Initial the Retry answers. Versions other than QUIC
// version 2 use the version 1 key.
func RetryIntegrityTag(version uint32, origDstConnID, retryWithoutTag []byte) [TagLen]byte {
	aead, nonce := retryAEADs()[0], retryNonceV1
	if version == wire.Version2 {
		aead, nonce = retryAEADs()[1], retryNonceV2
	}
	// Retry Pseudo-Packet: ODCID Length (8), ODCID, then the Retry packet
	// without its tag (RFC 9001, Section 5.8, Figure 8).
	pseudo := make([]byte, 0, 1+len(origDstConnID)+len(retryWithoutTag))
	pseudo = append(pseudo, byte(len(origDstConnID)))
	pseudo = append(pseudo, origDstConnID...)
	pseudo = append(pseudo, retryWithoutTag...)
	var tag [TagLen]byte
	aead.Seal(tag[:0], nonce, nil, pseudo)
	return tag
}

// VerifyRetryIntegrity reports whether the last TagLen bytes of the Retry
// packet retry are its valid Retry Integrity Tag for origDstConnID. A client
// must discard a Retry packet that fails this check (RFC 9001, Section 5.8;
// RFC 9000, Section 17.2.5.2).
func VerifyRetryIntegrity(version uint32, origDstConnID, retry []byte) bool {
	if len(retry) < TagLen {
		return false
	}
	n := len(retry) - TagLen
	tag := RetryIntegrityTag(version, origDstConnID, retry[:n])
	return subtle.ConstantTimeCompare(tag[:], retry[n:]) == 1
}

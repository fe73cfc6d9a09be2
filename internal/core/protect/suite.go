package protect

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"fmt"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	// TagLen is the length of the AEAD authentication tag that every
	// packet protection suite appends to the payload (RFC 9001, Section 5.3).
	TagLen = 16
	// SampleLen is the length of the ciphertext sample used for header
	// protection (RFC 9001, Section 5.4.2).
	SampleLen = 16

	// ivLen is the AEAD nonce length of every supported suite; it is also
	// the "quic iv" length, max(8, nonce length) (RFC 9001, Section 5.1).
	ivLen = 12
	// maskLen is the number of header protection mask bytes used: one for
	// the first byte and up to four for the packet number (RFC 9001,
	// Section 5.4.1).
	maskLen = 5
)

// suite describes the primitives of one TLS 1.3 cipher suite as QUIC uses
// them.
type suite struct {
	id      uint16
	hash    func() hash.Hash
	hashLen int // the hash's output size, the length of its secrets
	keyLen  int // AEAD key length, also the header protection key length
	chacha  bool
	newAEAD func(key []byte) (cipher.AEAD, error)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// RFC 9001, Section 5.3: every TLS 1.3 suite except TLS_AES_128_CCM_8_SHA256
// may be used; this package implements the three that crypto/tls offers.
var suites = [...]suite{
	{tls.TLS_AES_128_GCM_SHA256, sha256.New, sha256.Size, 16, false, newGCM},
	{tls.TLS_AES_256_GCM_SHA384, sha512.New384, sha512.Size384, 32, false, newGCM},
	{tls.TLS_CHACHA20_POLY1305_SHA256, sha256.New, sha256.Size, chacha20poly1305.KeySize, true, chacha20poly1305.New},
}

// suiteFor returns the description of the cipher suite id.
func suiteFor(id uint16) (*suite, error) {
	for i := range suites {
		if suites[i].id == id {
			return &suites[i], nil
		}
	}
	return nil, fmt.Errorf("protect: unsupported cipher suite 0x%04x", id)
}

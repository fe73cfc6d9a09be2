package protect

import (
	"crypto/sha256"
	"crypto/tls"

	"github.com/quince-go/quic/internal/core/wire"
)

var (
	// RFC 9001, Section 5.2.
	initialSaltV1 = []byte{
		0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
		0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a,
	}
	// RFC 9369, Section 3.3.1.
	initialSaltV2 = []byte{
		0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
		0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9,
	}
)

// initialSecrets returns the client and server Initial secrets for the
// Destination Connection ID of the client's first Initial packet (RFC 9001,
// Section 5.2; RFC 9369, Section 3.3.1).
func initialSecrets(version uint32, dstConnID []byte) (client, server []byte) {
	salt := initialSaltV1
	if version == wire.Version2 {
		salt = initialSaltV2
	}
	// HKDF-Extract (RFC 5869, Section 2.2): PRK = HMAC-Hash(salt, IKM).
	// The expander keyed with the salt computes it.
	var prk [sha256.Size]byte
	copy(prk[:], newExpander(sha256.New, salt).mac(dstConnID))
	// The labels "client in" and "server in" are the same in version 2.
	e := newExpander(sha256.New, prk[:])
	both := make([]byte, 0, 2*sha256.Size)
	both = e.appendLabel(both, "client in", sha256.Size)
	both = e.appendLabel(both, "server in", sha256.Size)
	return both[:sha256.Size:sha256.Size], both[sha256.Size:]
}

// InitialKeys returns the keys that protect Initial packets sent by the
// client and by the server. dstConnID is the Destination Connection ID of
// the client's first Initial packet, or the one chosen by the server in a
// Retry (RFC 9001, Section 5.2). Initial packets always use
// TLS_AES_128_GCM_SHA256. Versions other than QUIC version 2 use the
// version 1 salt and labels.
func InitialKeys(version uint32, dstConnID []byte) (client, server *Keys) {
	c, s := initialSecrets(version, dstConnID)
	return mustKeys(version, c), mustKeys(version, s)
}

func mustKeys(version uint32, secret []byte) *Keys {
	k, err := NewKeys(tls.TLS_AES_128_GCM_SHA256, version, secret)
	if err != nil {
		panic(err) // the suite is supported and the secret has SHA-256's length
	}
	return k
}

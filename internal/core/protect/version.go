package protect

import "github.com/quince-go/quic/internal/core/wire"

// labelSet holds the HKDF-Expand-Label labels a QUIC version uses to derive
// packet protection material.
type labelSet struct {
	key, iv, hp, ku string
}

var (
	// RFC 9001, Sections 5.1 and 6.1.
	labelsV1 = labelSet{key: "quic key", iv: "quic iv", hp: "quic hp", ku: "quic ku"}
	// RFC 9369, Section 3.3.2.
	labelsV2 = labelSet{key: "quicv2 key", iv: "quicv2 iv", hp: "quicv2 hp", ku: "quicv2 ku"}
)

// labelsFor returns the labels for version. Versions other than QUIC
// version 2 use the version 1 labels.
func labelsFor(version uint32) *labelSet {
	if version == wire.Version2 {
		return &labelsV2
	}
	return &labelsV1
}

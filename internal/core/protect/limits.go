package protect

import "crypto/tls"

// ConfidentialityLimit returns the number of packets that may be sealed
// with one packet protection key of the given cipher suite before the
// endpoint must update keys (RFC 9001, Section 6.6). It returns 0 for
// suites this package does not support.
//
// For AEAD_CHACHA20_POLY1305 the limit exceeds the number of possible
// packets, so 2^62 (the packet number space, RFC 9000 Section 12.3) is
// returned and the limit can never be reached.
func ConfidentialityLimit(suite uint16) uint64 {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384:
		return 1 << 23
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return 1 << 62
	}
	return 0
}

// IntegrityLimit returns the number of received packets that may fail
// authentication, across all keys of a connection, before the endpoint
// must close the connection with AEAD_LIMIT_REACHED (RFC 9001, Section
// 6.6). It returns 0 for suites this package does not support.
func IntegrityLimit(suite uint16) uint64 {
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384:
		return 1 << 52
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		return 1 << 36
	}
	return 0
}

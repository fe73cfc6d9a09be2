package wire

// MaxVarint is the largest value a variable-length integer can hold,
// 2^62-1 (RFC 9000, Section 16).
const MaxVarint = 1<<62 - 1

// VarintLen returns the number of bytes AppendVarint uses to encode v:
// 1, 2, 4 or 8. It returns 0 if v is larger than MaxVarint.
func VarintLen(v uint64) int {
	switch {
	case v < 1<<6:
		return 1
	case v < 1<<14:
		return 2
	case v < 1<<30:
		return 4
	case v <= MaxVarint:
		return 8
	}
	return 0
}

// AppendVarint appends v in the shortest variable-length encoding
// (RFC 9000, Section 16). v must not exceed MaxVarint; callers check values
// that come from outside the stack before encoding them.
func AppendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 1<<6:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, 0x40|byte(v>>8), byte(v))
	case v < 1<<30:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// AppendVarintWithLen appends v encoded in exactly n bytes (1, 2, 4 or 8),
// which must be at least VarintLen(v). It is used where a length field is
// written before the length is known, such as the Length of a long header.
func AppendVarintWithLen(b []byte, v uint64, n int) []byte {
	switch n {
	case 1:
		return append(b, byte(v))
	case 2:
		return append(b, 0x40|byte(v>>8), byte(v))
	case 4:
		return append(b, 0x80|byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(b, 0xc0|byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// ConsumeVarint decodes a variable-length integer from the start of b. It
// returns the value and the number of bytes read, or n < 0 if b is too short.
func ConsumeVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, -1
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, -1
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// ConsumeVarintBytes decodes a variable-length length prefix followed by that
// many bytes. The returned slice aliases b. n < 0 means b is too short.
func ConsumeVarintBytes(b []byte) (v []byte, n int) {
	l, n := ConsumeVarint(b)
	if n < 0 || l > uint64(len(b)-n) {
		return nil, -1
	}
	return b[n : n+int(l)], n + int(l)
}

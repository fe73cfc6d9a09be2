package qpack

// maxInt is the largest integer decoded: QPACK decoders must handle 62-bit
// integers (RFC 9204, Section 4.1.1) and nothing in QPACK needs more.
const maxInt = 1<<62 - 1

// appendInt appends v as a prefixed integer (RFC 7541, Section 5.1) with an
// N-bit prefix, N in [1, 8]. first holds the bits above the prefix, which
// are kept in the first byte.
func appendInt(b []byte, first byte, n uint8, v uint64) []byte {
	max := uint64(1)<<n - 1
	if v < max {
		return append(b, first|byte(v))
	}
	b = append(b, first|byte(max))
	v -= max
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// consumeInt decodes a prefixed integer with an N-bit prefix from the start
// of b, ignoring the bits above the prefix in b[0]. It returns the value and
// the number of bytes read; err is errShort if b ends inside the integer, or
// an error (with code) if the integer exceeds 62 bits.
func consumeInt(b []byte, n uint8, code uint64) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errShort
	}
	max := uint64(1)<<n - 1
	v := uint64(b[0]) & max
	if v < max {
		return v, 1, nil
	}
	for i, shift := 1, uint(0); ; i, shift = i+1, shift+7 {
		if i >= len(b) {
			return 0, 0, errShort
		}
		c := b[i]
		// Past 62 bits of payload (or a continuation that cannot add
		// anything but leading zeros forever), the value is too large.
		if shift > 56 {
			return 0, 0, errorf(code, "prefixed integer too large")
		}
		v += uint64(c&0x7f) << shift
		if v > maxInt {
			return 0, 0, errorf(code, "prefixed integer too large")
		}
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
}

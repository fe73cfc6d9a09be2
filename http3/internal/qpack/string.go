package qpack

// appendString appends s as an N-bit prefix string literal (RFC 9204,
// Section 4.1.2): the bit at position N-1 of the first byte is the Huffman
// flag and the length is an (N-1)-bit prefix integer. first holds the bits
// above the string's prefix. Huffman coding is used when it is shorter.
func appendString(b []byte, first byte, n uint8, s string) []byte {
	if hl := huffmanEncodedLen(s); hl < len(s) {
		b = appendInt(b, first|1<<(n-1), n-1, uint64(hl))
		return appendHuffman(b, s)
	}
	b = appendInt(b, first, n-1, uint64(len(s)))
	return append(b, s...)
}

// consumeString decodes an N-bit prefix string literal from the start of b.
// It rejects a literal whose encoded length exceeds limit before reading
// it, and a Huffman-coded one whose decoded length exceeds limit. err is
// errShort if b ends inside the literal, or an *Error with code.
func consumeString(b []byte, n uint8, limit uint64, code uint64) (string, int, error) {
	if len(b) == 0 {
		return "", 0, errShort
	}
	huff := b[0]&(1<<(n-1)) != 0
	l, m, err := consumeInt(b, n-1, code)
	if err != nil {
		return "", 0, err
	}
	// A Huffman code is at most 30 bits long, so l bytes decode to at
	// least (8*l-7)/30 bytes.
	bound := limit
	if huff && limit < 1<<56 {
		bound = (limit*30 + 7) / 8
	} else if huff {
		bound = maxInt
	}
	if l > bound {
		return "", 0, errorf(code, "string literal of %d bytes exceeds the limit", l)
	}
	if uint64(len(b)-m) < l {
		return "", 0, errShort
	}
	raw := b[m : m+int(l)]
	if !huff {
		return string(raw), m + int(l), nil
	}
	out, err := decodeHuffman(make([]byte, 0, l*8/5+1), raw, code)
	if err != nil {
		return "", 0, err
	}
	if uint64(len(out)) > limit {
		return "", 0, errorf(code, "string literal of %d bytes exceeds the limit", len(out))
	}
	return string(out), m + int(l), nil
}

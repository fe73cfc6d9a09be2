package qpack

// huffmanLen holds the length in bits of the Huffman code of each symbol,
// 0-255 and EOS (256), from RFC 7541, Appendix B. The code is canonical:
// codes of equal length are consecutive in symbol order and shorter codes
// precede longer ones, so the lengths determine the codes (huffmanCode).
var huffmanLen = [257]uint8{
	13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
	28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
	6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
	5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
	13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
	15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
	6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
	20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
	24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
	22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
	21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
	26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
	19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
	20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
	26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
	30,
}

const huffmanEOS = 256

// huffmanCode holds each symbol's code, right-aligned.
var huffmanCode [257]uint32

// huffmanTree is the decoding tree: node i has children huffmanTree[i][0]
// and [1]. A child value >= 0 is the next node; a negative value v is the
// leaf for symbol -v-1. Node 0 is the root.
var huffmanTree [][2]int16

func init() {
	// Assign canonical codes: walk symbols by (length, symbol).
	var order [257]int
	for i := range order {
		order[i] = i
	}
	// Insertion sort is plenty for 257 elements once at start-up.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && less(order[j], order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	var code uint32
	prev := huffmanLen[order[0]]
	for k, sym := range order {
		if k > 0 {
			code++
			code <<= huffmanLen[sym] - prev
		}
		prev = huffmanLen[sym]
		huffmanCode[sym] = code
	}

	huffmanTree = make([][2]int16, 1, 256)
	for sym := range huffmanCode {
		node := 0
		n := huffmanLen[sym]
		for i := n; i > 0; i-- {
			bit := (huffmanCode[sym] >> (i - 1)) & 1
			if i == 1 {
				huffmanTree[node][bit] = int16(-sym - 1)
				break
			}
			next := huffmanTree[node][bit]
			if next == 0 {
				huffmanTree = append(huffmanTree, [2]int16{})
				next = int16(len(huffmanTree) - 1)
				huffmanTree[node][bit] = next
			}
			node = int(next)
		}
	}
}

func less(a, b int) bool {
	if huffmanLen[a] != huffmanLen[b] {
		return huffmanLen[a] < huffmanLen[b]
	}
	return a < b
}

// huffmanEncodedLen returns the length in bytes of s Huffman-coded.
func huffmanEncodedLen(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += int(huffmanLen[s[i]])
	}
	return (n + 7) / 8
}

// appendHuffman appends s Huffman-coded, padded with the most significant
// bits of EOS (all ones), RFC 7541, Section 5.2.
func appendHuffman(b []byte, s string) []byte {
	var acc uint64 // pending bits, right-aligned
	var n uint     // number of pending bits, < 8 between symbols
	for i := 0; i < len(s); i++ {
		l := uint(huffmanLen[s[i]])
		acc = acc<<l | uint64(huffmanCode[s[i]])
		n += l
		for n >= 8 {
			n -= 8
			b = append(b, byte(acc>>n))
		}
	}
	if n > 0 {
		b = append(b, byte(acc<<(8-n))|byte(0xff>>n))
	}
	return b
}

// decodeHuffman appends the decoding of the Huffman-coded src to dst. It
// rejects EOS in the data, padding longer than 7 bits and padding that is
// not the prefix of EOS (RFC 7541, Section 5.2). Its output is at most
// 8/5 the size of src (the shortest code has 5 bits).
func decodeHuffman(dst, src []byte, code uint64) ([]byte, error) {
	node := 0
	depth := 0      // bits read since the last symbol
	allOnes := true // those bits are all ones
	for _, c := range src {
		for i := 7; i >= 0; i-- {
			bit := (c >> uint(i)) & 1
			next := huffmanTree[node][bit]
			depth++
			allOnes = allOnes && bit == 1
			if next < 0 {
				sym := int(-next - 1)
				if sym == huffmanEOS {
					return dst, errorf(code, "Huffman string contains EOS")
				}
				dst = append(dst, byte(sym))
				node, depth, allOnes = 0, 0, true
				continue
			}
			if next == 0 {
				// Unreachable with a complete code; kept as a guard.
				return dst, errorf(code, "invalid Huffman code")
			}
			node = int(next)
		}
	}
	if depth > 7 {
		return dst, errorf(code, "Huffman padding longer than 7 bits")
	}
	if !allOnes {
		return dst, errorf(code, "Huffman padding is not the EOS prefix")
	}
	return dst, nil
}

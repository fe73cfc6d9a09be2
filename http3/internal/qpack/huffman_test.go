package qpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(" ", "", "\n", "", "\t", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHuffmanRFC7541 checks the Huffman-coded strings of RFC 7541,
// Appendix C.4 and C.6.
func TestHuffmanRFC7541(t *testing.T) {
	tests := []struct{ s, enc string }{
		{"www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"},
		{"no-cache", "a8eb 1064 9cbf"},
		{"custom-key", "25a8 49e9 5ba9 7d7f"},
		{"custom-value", "25a8 49e9 5bb8 e8b4 bf"},
		{"302", "6402"},
		{"private", "aec3 771a 4b"},
		{"Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"},
		{"https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"},
		{"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1", "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"},
		{"", ""},
	}
	for _, tt := range tests {
		want := unhex(t, tt.enc)
		if got := appendHuffman(nil, tt.s); !bytes.Equal(got, want) {
			t.Errorf("appendHuffman(%q) = %x, want %x", tt.s, got, want)
		}
		if n := huffmanEncodedLen(tt.s); n != len(want) {
			t.Errorf("huffmanEncodedLen(%q) = %d, want %d", tt.s, n, len(want))
		}
		got, err := decodeHuffman(nil, want, ErrCodeDecompressionFailed)
		if err != nil || string(got) != tt.s {
			t.Errorf("decodeHuffman(%x) = %q, %v, want %q", want, got, err, tt.s)
		}
	}
}

func TestHuffmanAllBytes(t *testing.T) {
	var all []byte
	for i := 0; i < 256; i++ {
		all = append(all, byte(i))
	}
	for i := 0; i < 256; i++ {
		s := string(all[i:]) + string(all[:i])
		got, err := decodeHuffman(nil, appendHuffman(nil, s), 0)
		if err != nil || string(got) != s {
			t.Fatalf("round trip of rotation %d failed: %v", i, err)
		}
	}
}

func TestHuffmanInvalid(t *testing.T) {
	tests := []struct {
		name, enc string
	}{
		{"EOS", "ffff ffff"},        // 30 ones is EOS, then padding
		{"padding of 8 ones", "ff"}, // no symbol, 8 bits of padding
		{"padding not ones", "1e"},  // 'a' is 00011, then 110
		{"long padding", "1fff"},    // 'a' then 11 ones
		{"EOS after symbol", "1fffffffff"},
	}
	for _, tt := range tests {
		_, err := decodeHuffman(nil, unhex(t, tt.enc), ErrCodeDecompressionFailed)
		var qe *Error
		if !errors.As(err, &qe) || qe.Code != ErrCodeDecompressionFailed {
			t.Errorf("%s: decodeHuffman(%s) error = %v, want QPACK_DECOMPRESSION_FAILED", tt.name, tt.enc, err)
		}
	}
}

package core

import "testing"

func TestWholeMessages(t *testing.T) {
	msg := func(n int) []byte { return append([]byte{1, byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, n)...) }
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"empty", nil, 0},
		{"header part", []byte{1, 0}, 0},
		{"message part", msg(300)[:100], 0},
		{"one", msg(300), 304},
		{"empty message", msg(0), 4},
		{"two", cat(msg(300), msg(70000)), 300 + 70000 + 8},
		{"one and part", cat(msg(300), msg(1000)[:500]), 304},
		{"one and header part", cat(msg(300), []byte{2}), 304},
	} {
		if got := wholeMessages(c.data); got != c.want {
			t.Errorf("%s: wholeMessages = %d, want %d", c.name, got, c.want)
		}
	}
}

package qpack

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTripStatic(t *testing.T) {
	fields := []HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "example.org"},
		{Name: ":path", Value: "/index.html"},
		{Name: "user-agent", Value: "quince"},
		{Name: "x-custom", Value: "Value With Caps"},
		{Name: "authorization", Value: "secret", NeverIndex: true},
		{Name: "x-secret", Value: "s", NeverIndex: true},
		{Name: "empty", Value: ""},
	}
	e := NewEncoder(0, 0, 0)
	d := NewDecoder(0, 0, 0)
	block, err := e.EncodeHeaders(nil, 0, fields)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.DecodeHeaders(0, block)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fields, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if s := e.EncoderStream(); len(s) != 0 {
		t.Errorf("encoder stream = %x, want nothing", s)
	}
}

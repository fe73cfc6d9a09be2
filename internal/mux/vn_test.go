package mux

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quince-go/quic/internal/core/wire"
)

func TestVersionNegotiation(t *testing.T) {
	versions := []uint32{wire.Version2, wire.Version1}
	tests := []struct {
		name       string
		version    uint32
		dcid, scid []byte
	}{
		{"reserved version", 0x1a2a3a4a, cid(1, 8), cid(2, 8)},
		{"draft version", 0xff00001d, cid(3, 20), nil},
		// RFC 8999, Section 5.1: other versions may use longer IDs.
		{"255-byte connection IDs", 0x12345678, cid(4, 255), cid(5, 255)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{Server: true, Versions: versions})
			h.send(unknownVersionPacket(tt.version, tt.dcid, tt.scid, 1200))
			dst, src, list, err := wire.ParseVersionNegotiation(h.reply())
			if err != nil {
				t.Fatal(err)
			}
			h.sync()
			if !cmp.Equal(dst, tt.scid, cmpEmpty) || !cmp.Equal(src, tt.dcid, cmpEmpty) {
				t.Errorf("connection IDs dst %x src %x, want them swapped", dst, src)
			}
			if diff := cmp.Diff(versions, slices.Collect(wire.EachVersion(list))); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
			if got := h.m.Stats().VersionNegotiations; got != 1 {
				t.Errorf("VersionNegotiations = %d", got)
			}
		})
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })

func TestNoVersionNegotiation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		data []byte
	}{
		// RFC 9000, Section 6.1.
		{"datagram under 1200 bytes", Config{Server: true}, unknownVersionPacket(0x1a2a3a4a, cid(1, 8), cid(2, 8), 1199)},
		{"Version Negotiation packet", Config{Server: true}, unknownVersionPacket(0, cid(1, 8), cid(2, 8), 1200)},
		{"client mux", Config{}, unknownVersionPacket(0x1a2a3a4a, cid(1, 8), cid(2, 8), 1200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			h.send(tt.data)
			h.sync()
			h.noReply()
			want := Stats{Received: 2, Delivered: 1, Unroutable: 1}
			if diff := cmp.Diff(want, h.m.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

package mux

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
)

func TestAcceptNewInitial(t *testing.T) {
	for _, v := range []uint32{wire.Version1, wire.Version2} {
		t.Run(wire.PacketInitial.String()+"/"+versionName(v), func(t *testing.T) {
			h := newHarness(t, Config{Server: true, Versions: []uint32{wire.Version1, wire.Version2}})
			dcid, scid := cid(0xd1, 8), cid(0x5c, 5)
			first := clientInitial(v, dcid, scid, 1200)
			h.send(first)
			d, err := h.m.Accept(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first, d.Data); diff != "" {
				t.Errorf("accepted data (-want +got):\n%s", diff)
			}
			d.Release()

			// Until the session registers the ID, its first datagrams
			// are held and the rest dropped.
			for i := range maxHeldPerID + 1 {
				h.send(clientInitial(v, dcid, scid, 1200+i))
			}
			h.sync()
			if st := h.m.Stats(); st.Held != maxHeldPerID || st.Pending != 1 {
				t.Errorf("Held, Pending = %d, %d; want %d, 1", st.Held, st.Pending, maxHeldPerID)
			}
			in := make(chan *Datagram, maxHeldPerID+1)
			if err := h.m.Register(dcid, in); err != nil {
				t.Fatalf("Register of the reserved ID: %v", err)
			}
			for i := range maxHeldPerID {
				d := recv(t, in)
				if len(d.Data) != 1200+i {
					t.Errorf("held datagram %d is %d bytes, want %d", i, len(d.Data), 1200+i)
				}
				d.Release()
			}
			h.send(clientInitial(v, dcid, scid, 1300))
			recv(t, in).Release()
			h.sync()
			h.noReply()
		})
	}
}

func versionName(v uint32) string {
	if v == wire.Version2 {
		return "v2"
	}
	return "v1"
}

func TestNotNewConnections(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		data []byte
	}{
		{"Initial under 1200 bytes", Config{Server: true}, clientInitial(wire.Version1, cid(1, 8), nil, 1199)},
		{"Initial with a 7-byte DCID", Config{Server: true}, clientInitial(wire.Version1, cid(1, 7), nil, 1200)},
		{"Handshake packet", Config{Server: true}, longPacket(cid(1, 8), 1200)},
		{"client mux", Config{}, clientInitial(wire.Version1, cid(1, 8), nil, 1200)},
		{"Initial of a version not configured", Config{Server: true, Versions: []uint32{wire.Version2}},
			clientInitial(wire.Version1, cid(1, 8), nil, 1000)},
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

func TestBacklogFullRefuses(t *testing.T) {
	for _, v := range []uint32{wire.Version1, wire.Version2} {
		t.Run(versionName(v), func(t *testing.T) {
			h := newHarness(t, Config{Server: true, AcceptBacklog: 1, Versions: []uint32{v}})
			h.send(clientInitial(v, cid(1, 8), cid(0xaa, 4), 1200))
			dcid, scid := cid(2, 12), cid(0xab, 6)
			h.send(clientInitial(v, dcid, scid, 1200))
			h.sync()

			pkt := h.reply()
			lh, err := wire.ParseLongHeader(pkt)
			if err != nil {
				t.Fatal(err)
			}
			if lh.Type != wire.PacketInitial || lh.Version != v {
				t.Errorf("reply is a %v packet of version %#x", lh.Type, lh.Version)
			}
			if !cmp.Equal(lh.DstConnID, scid) || !cmp.Equal(lh.SrcConnID, dcid) {
				t.Errorf("connection IDs dst %x src %x, want %x %x", lh.DstConnID, lh.SrcConnID, scid, dcid)
			}
			if lh.PacketLen != len(pkt) {
				t.Errorf("Length covers %d bytes of a %d-byte datagram", lh.PacketLen, len(pkt))
			}
			_, server := protect.InitialKeys(v, dcid)
			pnLen, err := server.Header.RemoveHeaderProtection(pkt, lh.PacketNumberOffset)
			if err != nil {
				t.Fatal(err)
			}
			pn := wire.ReadTruncatedPacketNumber(pkt[lh.PacketNumberOffset:], pnLen)
			payload, err := server.Packet.Open(pkt[:lh.PacketLen], lh.PacketNumberOffset+pnLen, uint64(pn))
			if err != nil {
				t.Fatalf("refusal does not decrypt with the server's Initial keys: %v", err)
			}
			var p wire.FrameParser
			f, n, err := p.Next(payload)
			if err != nil {
				t.Fatal(err)
			}
			cc, ok := f.(*wire.ConnectionCloseFrame)
			if !ok {
				t.Fatalf("first frame is %T, want CONNECTION_CLOSE", f)
			}
			want := wire.ConnectionCloseFrame{Code: uint64(wire.ConnectionRefused), Reason: []byte{}}
			if diff := cmp.Diff(want, *cc, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
				t.Errorf("frame (-want +got):\n%s", diff)
			}
			for _, b := range payload[n:] {
				if b != 0 {
					t.Fatalf("bytes after CONNECTION_CLOSE are not PADDING: % x", payload[n:])
				}
			}
			want2 := Stats{Received: 3, Delivered: 1, Accepted: 1, Refused: 1}
			if diff := cmp.Diff(want2, h.m.Stats()); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAcceptContextAndClientMux(t *testing.T) {
	h := newHarness(t, Config{Server: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.m.Accept(ctx); err != context.Canceled {
		t.Errorf("Accept with a canceled context = %v", err)
	}
	c := newHarness(t, Config{})
	if _, err := c.m.Accept(context.Background()); err != ErrNotServer {
		t.Errorf("Accept on a client mux = %v, want ErrNotServer", err)
	}
}

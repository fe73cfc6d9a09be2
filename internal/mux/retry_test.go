package mux

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quince-go/quic/internal/core/protect"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/token"
)

// initialWithToken returns a client Initial as clientInitial does, with tok
// in its Token field.
func initialWithToken(version uint32, dcid, scid, tok []byte, size int) []byte {
	client, _ := protect.InitialKeys(version, dcid)
	b, lengthOff, pnOff := wire.AppendLongHeader(nil, wire.LongHeaderFields{
		Type: wire.PacketInitial, Version: version, DstConnID: dcid, SrcConnID: scid,
		Token: tok, PacketNumber: 0, PacketNumberLen: 2,
	})
	b = append(b, byte(wire.FramePing))
	for len(b)+protect.TagLen < size {
		b = append(b, 0)
	}
	wire.PutLongHeaderLength(b, lengthOff, len(b)-pnOff+protect.TagLen)
	return client.Seal(b, pnOff, 2, 0)
}

func TestRetryRoundTrip(t *testing.T) {
	for _, v := range []uint32{wire.Version1, wire.Version2} {
		t.Run(versionName(v), func(t *testing.T) {
			h := newHarness(t, Config{Server: true, Versions: []uint32{wire.Version1, wire.Version2}, Retry: func() bool { return true }})
			odcid, scid := cid(0xd1, 8), cid(0x5c, 5)
			h.send(clientInitial(v, odcid, scid, 1200))
			retry := h.reply()
			lh, err := wire.ParseLongHeader(retry)
			if err != nil || lh.Type != wire.PacketRetry {
				t.Fatalf("reply is not a Retry: %v, type %v", err, lh.Type)
			}
			if !protect.VerifyRetryIntegrity(v, odcid, retry) {
				t.Fatal("Retry integrity tag does not verify")
			}
			if diff := cmp.Diff(scid, lh.DstConnID); diff != "" {
				t.Errorf("Retry DCID (-want +got):\n%s", diff)
			}
			rscid := append([]byte(nil), lh.SrcConnID...)
			tok := append([]byte(nil), lh.RetryToken...)

			h.send(initialWithToken(v, rscid, scid, tok, 1200))
			d, err := h.m.Accept(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := Validation{OrigDstConnID: odcid, AddressValidated: true}
			if diff := cmp.Diff(want, d.Validation); diff != "" {
				t.Errorf("Validation (-want +got):\n%s", diff)
			}
			d.Release()
			st := h.m.Stats()
			if st.Retries != 1 || st.RetryValidated != 1 || st.Accepted != 1 {
				t.Errorf("Retries, RetryValidated, Accepted = %d, %d, %d; want 1, 1, 1", st.Retries, st.RetryValidated, st.Accepted)
			}
		})
	}
}

func TestRetryTokenRefused(t *testing.T) {
	key := [32]byte{1}
	p := token.New(&key)
	other := token.New(&[32]byte{2})
	now := time.Unix(1_700_000_000, 0)
	odcid, rscid, scid := cid(0xd1, 8), cid(0x77, 8), cid(0x5c, 5)
	tests := []struct {
		name    string
		tok     func(client netip.AddrPort) []byte
		advance time.Duration
	}{
		{"forged", func(c netip.AddrPort) []byte { return other.NewRetryToken(c, wire.Version1, odcid, rscid, now) }, 0},
		{"expired", func(c netip.AddrPort) []byte { return p.NewRetryToken(c, wire.Version1, odcid, rscid, now) }, token.RetryLifetime + time.Second},
		{"other address", func(c netip.AddrPort) []byte {
			return p.NewRetryToken(netip.AddrPortFrom(c.Addr(), c.Port()+1), wire.Version1, odcid, rscid, now)
		}, 0},
		{"other version", func(c netip.AddrPort) []byte { return p.NewRetryToken(c, wire.Version2, odcid, rscid, now) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{Server: true, TokenKey: &key, Retry: func() bool { return true }})
			h.clock.advance(tt.advance)
			h.send(initialWithToken(wire.Version1, rscid, scid, tt.tok(h.clientAddr()), 1200))
			reply := h.reply()
			lh, err := wire.ParseLongHeader(reply)
			if err != nil || lh.Type != wire.PacketInitial {
				t.Fatalf("reply is not an Initial: %v", err)
			}
			_, server := protect.InitialKeys(wire.Version1, rscid)
			pnLen, err := server.Header.RemoveHeaderProtection(reply, lh.PacketNumberOffset)
			if err != nil {
				t.Fatal(err)
			}
			pn := wire.ReadTruncatedPacketNumber(reply[lh.PacketNumberOffset:], pnLen)
			payload, err := server.Packet.Open(reply[:lh.PacketLen], lh.PacketNumberOffset+pnLen, uint64(pn))
			if err != nil {
				t.Fatalf("open reply: %v", err)
			}
			var fp wire.FrameParser
			f, _, err := fp.Next(payload)
			cc, ok := f.(*wire.ConnectionCloseFrame)
			if err != nil || !ok || cc.Code != uint64(wire.InvalidToken) {
				t.Fatalf("reply frame = %#v, %v; want CONNECTION_CLOSE(INVALID_TOKEN)", f, err)
			}
			h.sync()
			if st := h.m.Stats(); st.Accepted != 0 || st.InvalidTokens != 1 {
				t.Errorf("Accepted, InvalidTokens = %d, %d; want 0, 1", st.Accepted, st.InvalidTokens)
			}
		})
	}
}

func TestNewTokenSkipsRetry(t *testing.T) {
	key := [32]byte{1}
	now := time.Unix(1_700_000_000, 0)
	h := newHarness(t, Config{Server: true, TokenKey: &key, Retry: func() bool { return true }})
	dcid, scid := cid(0xd1, 8), cid(0x5c, 5)
	tok := token.New(h.m.TokenKey()).NewToken(h.clientAddr().Addr(), wire.Version1, now)
	h.send(initialWithToken(wire.Version1, dcid, scid, tok, 1200))
	d, err := h.m.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Validation{AddressValidated: true}, d.Validation); diff != "" {
		t.Errorf("Validation (-want +got):\n%s", diff)
	}
	d.Release()

	// A NEW_TOKEN token that does not open counts as none: Retry.
	bad := token.New(&[32]byte{9}).NewToken(h.clientAddr().Addr(), wire.Version1, now)
	h.send(initialWithToken(wire.Version1, cid(0xd2, 8), scid, bad, 1200))
	if lh, err := wire.ParseLongHeader(h.reply()); err != nil || lh.Type != wire.PacketRetry {
		t.Fatalf("reply to a bad NEW_TOKEN token is not a Retry: %v", err)
	}
	if st := h.m.Stats(); st.TokenValidated != 1 || st.InvalidTokens != 1 || st.Retries != 1 {
		t.Errorf("TokenValidated, InvalidTokens, Retries = %d, %d, %d; want 1, 1, 1", st.TokenValidated, st.InvalidTokens, st.Retries)
	}
}

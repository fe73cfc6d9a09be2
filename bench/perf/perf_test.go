package perf

import (
	"context"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "0", want: 0},
		{in: "1200", want: 1200},
		{in: "10K", want: 10 << 10},
		{in: "10M", want: 10 << 20},
		{in: "1G", want: 1 << 30},
		{in: "1GiB", want: 1 << 30},
		{in: "3mb", want: 3 << 20},
		{in: "", bad: true},
		{in: "-1", bad: true},
		{in: "1X", bad: true},
		{in: "99999999999G", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseBytes(%q) = %d, want error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// TestCrosses runs a small upload and download between every pair of
// stacks, crosses included.
func TestCrosses(t *testing.T) {
	srvTLS, err := ServerTLS("", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, server := range Stacks {
		for _, client := range Stacks {
			t.Run(client+"_to_"+server, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				srv, err := StartServer(server, "127.0.0.1:0", srvTLS)
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				c, err := NewClient(client, ClientTLS())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				res, err := RunTransfer(ctx, c, Transfer{
					Addr: srv.Addr().String(), Conns: 2, Streams: 3,
					Upload: 100 << 10, Download: 300 << 10,
				})
				if err != nil {
					t.Fatal(err)
				}
				if want := int64(2 * 3 * 400 << 10); res.Bytes != want {
					t.Errorf("bytes = %d, want %d", res.Bytes, want)
				}
				hs, err := RunHandshakes(ctx, c, srv.Addr().String(), 4, 2)
				if err != nil {
					t.Fatal(err)
				}
				if hs.Handshakes != 4 {
					t.Errorf("handshakes = %d, want 4", hs.Handshakes)
				}
				conns, err := OpenIdle(ctx, c, srv.Addr().String(), 3, 2)
				if err != nil {
					t.Fatal(err)
				}
				CloseAll(conns)
			})
		}
	}
}

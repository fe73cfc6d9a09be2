package perf

import (
	"context"
	"testing"
	"time"
)

// TestH3Crosses runs small GETs and one larger one between every pair of
// stacks' http3 packages, crosses included.
func TestH3Crosses(t *testing.T) {
	srvTLS, err := ServerTLS("", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, server := range Stacks {
		for _, client := range Stacks {
			t.Run(client+"_to_"+server, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				srv, err := StartH3Server(server, "127.0.0.1:0", srvTLS)
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				c, err := NewH3Client(client, ClientTLS())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				for _, r := range []H3Requests{
					{Requests: 50, Parallel: 8, Size: 1 << 10, Warm: true},
					{Requests: 1, Parallel: 1, Size: 3 << 20},
				} {
					r.Addr = srv.Addr().String()
					res, err := RunH3(ctx, c, r)
					if err != nil {
						t.Fatalf("%+v: %v", r, err)
					}
					if res.Requests != r.Requests || res.Bytes != int64(r.Requests)*r.Size {
						t.Errorf("%+v: %d requests, %d bytes", r, res.Requests, res.Bytes)
					}
				}
			})
		}
	}
}

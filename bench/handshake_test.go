package bench

import (
	"context"
	"testing"

	"github.com/quince-go/quic/bench/perf"
)

// BenchmarkHandshake completes one handshake at a time, client and server in
// this process, so that a CPU profile (-cpuprofile) shows both sides of it.
func BenchmarkHandshake(b *testing.B) {
	for _, stack := range perf.Stacks {
		b.Run(stack, func(b *testing.B) {
			tlsConf, err := perf.ServerTLS("", "")
			if err != nil {
				b.Fatal(err)
			}
			srv, err := perf.StartServer(stack, "127.0.0.1:0", tlsConf)
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			c, err := perf.NewClient(stack, perf.ClientTLS())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			addr := srv.Addr().String()
			b.ReportAllocs()
			for b.Loop() {
				conn, err := c.Dial(context.Background(), addr)
				if err != nil {
					b.Fatal(err)
				}
				conn.Close()
			}
		})
	}
}

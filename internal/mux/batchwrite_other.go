//go:build !(linux && (amd64 || arm64))

package mux

import "net"

// batchWriter sends one datagram per write here.
type batchWriter struct{}

func (*batchWriter) init(*net.UDPConn) {}

func (*batchWriter) write(b *Batch) {
	for i := range b.dgs {
		b.writeOne(i)
	}
}

func (*batchWriter) path() string { return "single" }

//go:build !(linux && (amd64 || arm64))

package mux

import "net"

// batchReader is not available here: the reader reads one datagram per
// system call.
type batchReader struct{}

func newBatchReader(*net.UDPConn, *datagramPool) *batchReader { return nil }

func (*batchReader) read(func(*Datagram)) error { panic("unreachable") }

func (*batchReader) release() {}

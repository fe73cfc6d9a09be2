//go:build unix

package mux

import (
	"net"
	"syscall"
)

// socketBuffers returns the receive and send buffer sizes of conn's socket,
// or zeros if they cannot be read.
func socketBuffers(conn *net.UDPConn) (rd, wr int) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return 0, 0
	}
	rc.Control(func(fd uintptr) {
		rd, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		wr, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	return rd, wr
}

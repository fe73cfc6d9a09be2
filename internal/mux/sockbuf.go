package mux

import "net"

// SocketBufferSize is the receive and send buffer size, in bytes, that New
// asks of the kernel for its socket. The kernel's default (about 208 KiB on
// Linux) holds a hundred or so loopback datagrams: a burst of handshakes or
// a fast sender overflows it while the reader goroutine waits for a CPU,
// and a lost Initial costs a client a whole probe timeout (RFC 9002,
// Section 6.2.2: 1 s before any RTT sample). The kernel may grant less (on
// Linux, net.core.rmem_max and wmem_max cap it); New takes what it gets.
const SocketBufferSize = 7 << 20

// growBuffers asks for SocketBufferSize of receive and send buffer on conn,
// unless they are already at least that large. Errors are ignored: a
// smaller buffer only makes losses under load more likely.
func growBuffers(conn *net.UDPConn) {
	rd, wr := socketBuffers(conn)
	if rd < SocketBufferSize {
		conn.SetReadBuffer(SocketBufferSize)
	}
	if wr < SocketBufferSize {
		conn.SetWriteBuffer(SocketBufferSize)
	}
}

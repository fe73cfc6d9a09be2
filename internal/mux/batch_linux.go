//go:build linux && (amd64 || arm64)

package mux

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// batchSize is how many datagrams one recvmmsg call may return.
const batchSize = 32

// mmsghdr is struct mmsghdr of recvmmsg(2) on 64-bit Linux.
type mmsghdr struct {
	hdr syscall.Msghdr
	len uint32
	_   [4]byte
}

// batchReader reads datagrams with recvmmsg(2), up to batchSize per system
// call, into pooled Datagrams, without allocating per datagram: the
// message headers, their iovecs and address buffers are made once, and
// the read function given to syscall.RawConn.Read is a method value made
// once. golang.org/x/net/ipv4's ReadBatch is not used because it allocates
// a net.Addr per message.
type batchReader struct {
	rc    syscall.RawConn
	pool  *datagramPool
	msgs  [batchSize]mmsghdr
	iovs  [batchSize]syscall.Iovec
	addrs [batchSize]syscall.RawSockaddrAny
	ds    [batchSize]*Datagram // pooled buffers the next call reads into
	n     int                  // messages the last call returned
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// newBatchReader returns a batchReader for conn, or nil if its raw
// connection is not available (the caller then reads one at a time).
func newBatchReader(conn *net.UDPConn, pool *datagramPool) *batchReader {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil
	}
	r := &batchReader{rc: rc, pool: pool}
	r.fn = r.recv
	return r
}

// recv is the function given to RawConn.Read: one non-blocking recvmmsg.
// It returns false, to wait for the socket to become readable, on EAGAIN.
func (r *batchReader) recv(fd uintptr) bool {
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, fd,
		uintptr(unsafe.Pointer(&r.msgs[0])), batchSize, syscall.MSG_DONTWAIT, 0, 0)
	if errno == syscall.EAGAIN || errno == syscall.EWOULDBLOCK {
		return false
	}
	if errno == syscall.EINTR {
		return false // the poller wakes at once for a readable socket
	}
	r.n, r.errno = int(n), errno
	return true
}

// read reads up to batchSize datagrams and passes each to deliver, which
// takes it over. It returns the socket's error, if any: net.ErrClosed
// wrapped once the socket is closed.
func (r *batchReader) read(deliver func(*Datagram)) error {
	for i := range batchSize {
		if r.ds[i] == nil {
			d := r.pool.get()
			r.ds[i] = d
			r.iovs[i].Base = unsafe.SliceData(d.buf[:1])
			r.iovs[i].SetLen(cap(d.buf))
		}
		m := &r.msgs[i]
		m.hdr.Name = (*byte)(unsafe.Pointer(&r.addrs[i]))
		m.hdr.Namelen = syscall.SizeofSockaddrAny
		m.hdr.Iov = &r.iovs[i]
		m.hdr.Iovlen = 1
		m.hdr.Control = nil
		m.hdr.Controllen = 0
		m.hdr.Flags = 0
		m.len = 0
	}
	r.n, r.errno = 0, 0
	if err := r.rc.Read(r.fn); err != nil {
		return err
	}
	if r.errno != 0 {
		return r.errno
	}
	for i := range r.n {
		d := r.ds[i]
		r.ds[i] = nil
		d.Data = d.buf[:r.msgs[i].len]
		d.From = sockaddrAddrPort(&r.addrs[i])
		deliver(d)
	}
	return nil
}

// release returns the buffers not yet used to the pool.
func (r *batchReader) release() {
	for i, d := range r.ds {
		if d != nil {
			d.Release()
			r.ds[i] = nil
		}
	}
}

// sockaddrAddrPort converts a sockaddr_in or sockaddr_in6 to an AddrPort
// without allocating; the IPv6 scope is dropped.
func sockaddrAddrPort(sa *syscall.RawSockaddrAny) netip.AddrPort {
	b := (*[syscall.SizeofSockaddrInet6]byte)(unsafe.Pointer(sa))
	port := binary.BigEndian.Uint16(b[2:4])
	switch sa.Addr.Family {
	case syscall.AF_INET:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port)
	case syscall.AF_INET6:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), port)
	}
	return netip.AddrPort{}
}

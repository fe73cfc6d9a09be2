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

// batchReader reads datagrams with recvmmsg(2), up to batchSize messages
// per system call, without allocating per datagram: the message headers,
// their iovecs, address and control buffers are made once, and the read
// function given to syscall.RawConn.Read is a method value made once.
// golang.org/x/net/ipv4's ReadBatch is not used because it allocates a
// net.Addr per message.
//
// Without UDP_GRO each message is one datagram, read straight into a
// pooled Datagram. With it (see gro_linux.go) a message may hold many, so
// messages are read into a groSlab and each datagram is copied out into a
// pooled Datagram: Datagrams stay MaxDatagramSize+1 bytes, whatever the
// reader's buffers are.
type batchReader struct {
	rc    syscall.RawConn
	pool  *datagramPool
	msgs  [batchSize]mmsghdr
	iovs  [batchSize]syscall.Iovec
	addrs [batchSize]syscall.RawSockaddrAny
	ds    [batchSize]*Datagram // without GRO: pooled buffers the next call reads into
	n     int                  // messages the last call returned
	errno syscall.Errno
	fn    func(fd uintptr) bool

	gro       bool                             // UDP_GRO is on
	slab      *groSlab                         // with GRO: held from a read to the next EAGAIN
	ctrl      [batchSize][ctrlSpace / 8]uint64 // with GRO: control buffers (uint64 for alignment)
	coalesced int                              // messages that held more than one datagram; for tests
}

// newBatchReader returns a batchReader for conn, or nil if its raw
// connection is not available (the caller then reads one at a time). It
// turns UDP_GRO on where the kernel has it.
func newBatchReader(conn *net.UDPConn, pool *datagramPool) *batchReader {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil
	}
	r := &batchReader{rc: rc, pool: pool}
	rc.Control(func(fd uintptr) { r.gro = enableGRO(fd) })
	r.fn = r.recv
	return r
}

// recv is the function given to RawConn.Read: one non-blocking recvmmsg.
// It returns false, to wait for the socket to become readable, on EAGAIN;
// with GRO it then gives its slab back first.
func (r *batchReader) recv(fd uintptr) bool {
	if r.gro && r.slab == nil {
		r.takeSlab()
	}
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVMMSG, fd,
		uintptr(unsafe.Pointer(&r.msgs[0])), batchSize, syscall.MSG_DONTWAIT, 0, 0)
	if errno == syscall.EAGAIN || errno == syscall.EWOULDBLOCK || errno == syscall.EINTR {
		// After EINTR too the poller wakes at once for a readable socket.
		r.dropSlab()
		return false
	}
	r.n, r.errno = int(n), errno
	return true
}

// takeSlab takes a slab from the pool and points the iovecs at it.
func (r *batchReader) takeSlab() {
	r.slab = slabPool.Get().(*groSlab)
	for i := range batchSize {
		r.iovs[i].Base = &r.slab[i][0]
		r.iovs[i].SetLen(groBufSize)
	}
}

// dropSlab gives the slab back to the pool, if r holds one.
func (r *batchReader) dropSlab() {
	if r.slab != nil {
		slabPool.Put(r.slab)
		r.slab = nil
	}
}

// read reads up to batchSize messages and passes each datagram to
// deliver, which takes it over. It returns the socket's error, if any:
// net.ErrClosed wrapped once the socket is closed.
func (r *batchReader) read(deliver func(*Datagram)) error {
	for i := range batchSize {
		if !r.gro && r.ds[i] == nil {
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
		if r.gro {
			m.hdr.Control = (*byte)(unsafe.Pointer(&r.ctrl[i]))
			m.hdr.SetControllen(ctrlSpace)
		}
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
	if r.gro {
		r.split(deliver)
		return nil
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

// split copies the datagrams of the messages the last call read into the
// slab out into pooled Datagrams and passes each to deliver. A datagram
// longer than a Datagram's buffer is cut to MaxDatagramSize+1 bytes, which
// the mux drops as oversized, as it would without GRO.
func (r *batchReader) split(deliver func(*Datagram)) {
	for i := range r.n {
		m := &r.msgs[i]
		data := r.slab[i][:min(int(m.len), groBufSize)]
		ctrl := unsafe.Slice((*byte)(unsafe.Pointer(&r.ctrl[i])), ctrlSpace)
		size := groSegmentSize(ctrl[:min(int(m.hdr.Controllen), ctrlSpace)])
		if size > 0 && size < len(data) {
			r.coalesced++
		}
		from := sockaddrAddrPort(&r.addrs[i])
		for {
			seg, rest := nextSegment(data, size)
			d := r.pool.get()
			d.Data = d.buf[:copy(d.buf[:cap(d.buf)], seg)]
			d.From = from
			deliver(d)
			if len(rest) == 0 {
				break
			}
			data = rest
		}
	}
}

// release returns the buffers not yet used to the pools.
func (r *batchReader) release() {
	for i, d := range r.ds {
		if d != nil {
			d.Release()
			r.ds[i] = nil
		}
	}
	r.dropSlab()
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

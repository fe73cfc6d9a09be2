//go:build linux && (amd64 || arm64)

package mux

import (
	"encoding/binary"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

const (
	solUDP     = 17  // SOL_UDP
	udpSegment = 103 // UDP_SEGMENT, Linux 4.18

	// maxGSOSegments is UDP_MAX_SEGMENTS: the most datagrams one GSO send
	// may carry.
	maxGSOSegments = 64
	// maxGSOBytes bounds the payload of one GSO send, which must fit in
	// one IP packet before segmentation: 65,535 bytes less the IPv4 and
	// UDP headers, with room to spare.
	maxGSOBytes = 65000

	// cmsgSpace is CMSG_SPACE(2): a control message carrying the uint16
	// segment size of UDP_SEGMENT, on 64-bit Linux.
	cmsgSpace = syscall.SizeofCmsghdr + 8
)

// batchWriter is a Batch's view of the mux's socket on Linux.
type batchWriter struct {
	rc     syscall.RawConn // nil: one write per datagram
	family uint16          // the socket's address family: AF_INET or AF_INET6
	gso    bool            // send runs of equal datagrams with UDP_SEGMENT
}

// init learns the socket's family and whether the kernel has UDP GSO
// (getsockopt UDP_SEGMENT succeeds from Linux 4.18), and sets the socket
// not to fragment (see setDontFragment).
func (w *batchWriter) init(conn *net.UDPConn) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return
	}
	var family int
	var gsoErr error
	cerr := rc.Control(func(fd uintptr) {
		family, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_DOMAIN)
		if err != nil {
			return
		}
		setDontFragment(int(fd), family)
		_, gsoErr = syscall.GetsockoptInt(int(fd), solUDP, udpSegment)
	})
	if cerr != nil || err != nil || (family != syscall.AF_INET && family != syscall.AF_INET6) {
		return
	}
	if disableSendmmsg {
		return
	}
	w.rc = rc
	w.family = uint16(family)
	w.gso = gsoErr == nil && !disableGSO && os.Getenv(disableGSOEnv) == ""
}

// path names how w sends: "gso", "sendmmsg" or "single".
func (w *batchWriter) path() string {
	switch {
	case w.rc == nil:
		return "single"
	case w.gso:
		return "gso"
	}
	return "sendmmsg"
}

// setDontFragment sets the don't-fragment bit on the socket's IPv4 and
// IPv6 datagrams and lets them exceed the path MTU the kernel has cached
// (IP_PMTUDISC_PROBE): QUIC does its own path MTU discovery, and its
// probes must neither be fragmented nor be refused locally (RFC 9000,
// Section 14: UDP datagrams MUST NOT be fragmented at the IP layer; RFC
// 8899, Section 3). An IPv6 socket sets both, for its IPv4-mapped peers.
// Errors are ignored: the socket then keeps the kernel's default.
func setDontFragment(fd, family int) {
	if family == syscall.AF_INET6 {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_MTU_DISCOVER, syscall.IPV6_PMTUDISC_PROBE)
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, syscall.IP_PMTUDISC_PROBE)
}

// sendScratch is the message array of one sendmmsg call. Scratches are
// pooled, not kept per Batch, because they are large and a session that
// is not sending needs none.
type sendScratch struct {
	msgs  [MaxBatch]mmsghdr
	iovs  [MaxBatch]syscall.Iovec // one per datagram
	names [MaxBatch][syscall.SizeofSockaddrInet6]byte
	cmsgs [MaxBatch][cmsgSpace / 8]uint64 // uint64 for the alignment of a cmsghdr
	first [MaxBatch]int                   // each message's first datagram
	segs  [MaxBatch]int                   // and how many datagrams it carries

	n, start int // messages built; the first not yet sent
	sent     int // messages the last sendmmsg sent
	errno    syscall.Errno
	fn       func(fd uintptr) bool // s.send, made once
}

var scratchPool = sync.Pool{New: func() any {
	s := new(sendScratch)
	s.fn = s.send
	return s
}}

// write sends b's datagrams.
func (w *batchWriter) write(b *Batch) {
	if w.rc == nil || !w.encodable(b.addrs) {
		for i := range b.dgs {
			b.writeOne(i)
		}
		return
	}
	s := scratchPool.Get().(*sendScratch)
	s.n = s.build(w, b, 0, 0, w.gso)
	s.start = 0
	for s.start < s.n {
		s.sent, s.errno = 0, 0
		if err := w.rc.Write(s.fn); err != nil {
			b.fail(err) // the socket is closed
			break
		}
		if s.errno == 0 {
			s.start += s.sent
			continue
		}
		k := s.start
		if s.segs[k] > 1 {
			// The GSO send failed: send its datagrams, and the rest,
			// one per message. EIO means the device cannot segment
			// (no checksum offload): no more GSO on this batch.
			if s.errno == syscall.EIO {
				w.gso = false
			}
			s.n = s.build(w, b, k, s.first[k], false)
			continue
		}
		// RFC 9000, Section 14: a datagram the path cannot take is lost,
		// like any other; recovery and path MTU discovery deal with it.
		b.fail(s.errno)
		s.start++
	}
	scratchPool.Put(s)
}

// send is the function given to RawConn.Write: one non-blocking sendmmsg
// of the messages from s.start. It returns false, to wait for the socket
// to become writable, on EAGAIN.
func (s *sendScratch) send(fd uintptr) bool {
	for {
		n, _, errno := syscall.Syscall6(sysSendmmsg, fd,
			uintptr(unsafe.Pointer(&s.msgs[s.start])), uintptr(s.n-s.start), 0, 0, 0)
		switch errno {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		s.sent, s.errno = int(n), errno
		return true
	}
}

// build makes message k onwards from datagram i onwards and returns the
// number of messages. With gso, a message carries a run of datagrams to
// one address, all of one size but the last, which may be shorter.
func (s *sendScratch) build(w *batchWriter, b *Batch, k, i int, gso bool) int {
	for i < len(b.dgs) {
		first, addr, size := i, b.addrs[i], len(b.dgs[i])
		total := size
		for i++; gso && i < len(b.dgs) && i-first < maxGSOSegments; i++ {
			n := len(b.dgs[i])
			if b.addrs[i] != addr || n > size || total+n > maxGSOBytes {
				break
			}
			total += n
			if n < size {
				i++
				break
			}
		}
		for j := first; j < i; j++ {
			s.iovs[j].Base = unsafe.SliceData(b.dgs[j])
			s.iovs[j].SetLen(len(b.dgs[j]))
		}
		m := &s.msgs[k]
		m.hdr = syscall.Msghdr{}
		m.len = 0
		m.hdr.Name = &s.names[k][0]
		m.hdr.Namelen = w.putSockaddr(&s.names[k], addr)
		m.hdr.Iov = &s.iovs[first]
		m.hdr.Iovlen = uint64(i - first)
		if i-first > 1 {
			c := (*syscall.Cmsghdr)(unsafe.Pointer(&s.cmsgs[k][0]))
			c.Level, c.Type = solUDP, udpSegment
			c.SetLen(syscall.CmsgLen(2))
			data := (*[2]byte)(unsafe.Add(unsafe.Pointer(c), syscall.SizeofCmsghdr))
			binary.NativeEndian.PutUint16(data[:], uint16(size))
			m.hdr.Control = (*byte)(unsafe.Pointer(c))
			m.hdr.SetControllen(cmsgSpace)
		}
		s.first[k], s.segs[k] = first, i-first
		k++
	}
	return k
}

// encodable reports whether putSockaddr can write every address: an IPv6
// socket takes IPv4 peers as IPv4-mapped addresses, an IPv4 socket only
// IPv4 peers; an address with a zone (link-local) needs the plain write,
// which resolves the zone's interface.
func (w *batchWriter) encodable(addrs []netip.AddrPort) bool {
	for _, ap := range addrs {
		a := ap.Addr()
		switch {
		case !a.IsValid() || a.Zone() != "":
			return false
		case w.family == syscall.AF_INET && !a.Unmap().Is4():
			return false
		}
	}
	return true
}

// putSockaddr writes ap as a sockaddr of the socket's family into dst and
// returns its length. ap must be encodable.
func (w *batchWriter) putSockaddr(dst *[syscall.SizeofSockaddrInet6]byte, ap netip.AddrPort) uint32 {
	*dst = [syscall.SizeofSockaddrInet6]byte{}
	binary.NativeEndian.PutUint16(dst[0:2], w.family)
	binary.BigEndian.PutUint16(dst[2:4], ap.Port())
	if w.family == syscall.AF_INET {
		a := ap.Addr().Unmap().As4()
		copy(dst[4:8], a[:])
		return syscall.SizeofSockaddrInet4
	}
	a := ap.Addr().As16() // IPv4 as IPv4-mapped
	copy(dst[8:24], a[:])
	return syscall.SizeofSockaddrInet6
}

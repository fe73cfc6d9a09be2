//go:build linux && (amd64 || arm64)

package mux

import (
	"encoding/binary"
	"sync"
	"syscall"
)

// UDP generic receive offload (GRO), Linux 5.0: with the socket option
// UDP_GRO set, the kernel may hand a run of datagrams from one sender,
// all of one size but the last, which may be shorter, to one receive call
// as one coalesced buffer, with a control message (level SOL_UDP, type
// UDP_GRO, an int) giving the segment size. On loopback a peer's GSO send
// (UDP_SEGMENT, see Batch) then arrives whole instead of being segmented
// on the way in; on a NIC the kernel's GRO engine coalesces. The reader
// splits every such buffer back into its datagrams before routing them,
// so nothing above the reader sees a coalesced one.
const (
	udpGRO = 104 // UDP_GRO

	// groBufSize is the receive buffer of one message on a GRO socket:
	// a coalesced buffer holds up to 64 KiB.
	groBufSize = 1 << 16

	// ctrlSpace is each message's control buffer: room for the UDP_GRO
	// message (CMSG_SPACE(4) = 24 bytes on 64-bit Linux) and others that
	// options set on the socket may add (ECN's IP_TOS or IPV6_TCLASS,
	// packet info), which the reader skips.
	ctrlSpace = 128
)

// groSlab is the receive buffers of one recvmmsg call on a GRO socket,
// 2 MiB. A reader takes one from slabPool just before its system call and
// gives it back as soon as the socket has nothing to read, so a mux that
// waits for datagrams holds none and, however many muxes a process has,
// only those whose readers are busy hold one.
type groSlab [batchSize][groBufSize]byte

var slabPool = sync.Pool{New: func() any { return new(groSlab) }}

// enableGRO sets UDP_GRO on the socket fd and reports whether the kernel
// took it: before Linux 5.0 setsockopt fails with ENOPROTOOPT.
func enableGRO(fd uintptr) bool {
	if disableGRO {
		return false
	}
	return syscall.SetsockoptInt(int(fd), solUDP, udpGRO, 1) == nil
}

// groSegmentSize returns the segment size from the UDP_GRO control message
// in control, the control data of one received message, or 0 if there is
// none: the message is then one datagram. Other control messages are
// skipped; a malformed one (a length shorter than its header or running
// past the data) ends the walk, as the kernel's CMSG_NXTHDR would.
func groSegmentSize(control []byte) int {
	for len(control) >= syscall.SizeofCmsghdr {
		// struct cmsghdr on 64-bit Linux: a uint64 length (of the
		// header and data), then the int32 level and type.
		n := binary.NativeEndian.Uint64(control)
		level := int32(binary.NativeEndian.Uint32(control[8:]))
		typ := int32(binary.NativeEndian.Uint32(control[12:]))
		if n < syscall.SizeofCmsghdr || n > uint64(len(control)) {
			return 0
		}
		if level == solUDP && typ == udpGRO && n >= syscall.SizeofCmsghdr+4 {
			size := int32(binary.NativeEndian.Uint32(control[syscall.SizeofCmsghdr:]))
			return max(int(size), 0)
		}
		next := cmsgAlign(n)
		if next >= uint64(len(control)) {
			return 0
		}
		control = control[next:]
	}
	return 0
}

// cmsgAlign rounds n up to the alignment of control messages on 64-bit
// Linux (CMSG_ALIGN).
func cmsgAlign(n uint64) uint64 { return (n + 7) &^ 7 }

// nextSegment splits the first datagram off the coalesced buffer b of
// segments of size bytes: seg is its first size bytes, or all of b if b
// is not longer or size is not positive (no coalescing), and rest what
// follows.
func nextSegment(b []byte, size int) (seg, rest []byte) {
	if size <= 0 || size >= len(b) {
		return b, nil
	}
	return b[:size], b[size:]
}

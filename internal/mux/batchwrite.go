package mux

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// MaxBatch is how many datagrams a Batch holds; Next sends a full batch
// before it hands out another buffer.
const MaxBatch = 64

// A Batch collects the datagrams a session sends in one go, so that the mux
// can hand them to the kernel in few system calls: on Linux, runs of
// datagrams to the same address and of the same size (the last of a run may
// be shorter) go as one UDP GSO send (UDP_SEGMENT, up to 64 segments) where
// the kernel supports it, and the runs of a batch go together in one
// sendmmsg(2) call; elsewhere each datagram is one write.
//
// Use it as
//
//	b := m.NewBatch()
//	for {
//		buf := b.Next()
//		n, to := produce(buf)
//		if n == 0 {
//			break
//		}
//		b.Commit(n, to)
//	}
//	b.Flush()
//
// A Batch belongs to one goroutine at a time; many Batches may send on one
// Mux at once. Its datagram buffers come from a pool shared by all Batches
// and go back to it on Flush, so a Batch that sends nothing holds none; in
// the steady state neither Next, Commit nor Flush allocates.
type Batch struct {
	m    *Mux
	size int // each buffer's length: the mux's MaxDatagramSize

	bufs  []*[]byte        // pooled buffers, one per datagram; bufs[len(dgs)] may be a spare from Next
	dgs   [][]byte         // committed datagrams, aliasing bufs
	addrs []netip.AddrPort // their destinations
	err   error            // the first write error since the last Flush

	w batchWriter // the platform's sending state
}

// NewBatch returns an empty Batch that sends on m.
func (m *Mux) NewBatch() *Batch {
	b := &Batch{m: m, size: m.cfg.MaxDatagramSize}
	b.w.init(m.conn)
	return b
}

// Mux returns the Mux that b sends on. A session that moves to another
// socket needs a new Batch.
func (b *Batch) Mux() *Mux { return b.m }

// Len returns how many datagrams wait in b.
func (b *Batch) Len() int { return len(b.dgs) }

// Next returns a buffer of MaxDatagramSize bytes for the next datagram,
// which Commit then adds to the batch. If b already holds MaxBatch
// datagrams, Next sends them first. Calling Next again without Commit
// returns the same buffer.
func (b *Batch) Next() []byte {
	if len(b.dgs) == MaxBatch {
		b.send()
	}
	i := len(b.dgs)
	if i == len(b.bufs) {
		b.bufs = append(b.bufs, b.getBuf())
	}
	return (*b.bufs[i])[:b.size]
}

// Commit adds the first n bytes of the buffer from the last Next, to be
// sent to addr. n must be between 1 and MaxDatagramSize.
func (b *Batch) Commit(n int, addr netip.AddrPort) {
	i := len(b.dgs)
	if i == len(b.bufs) || n <= 0 || n > b.size {
		panic("mux: Batch.Commit without Next or with a bad length")
	}
	b.dgs = append(b.dgs, (*b.bufs[i])[:n])
	b.addrs = append(b.addrs, addr)
}

// Add copies data into the batch as a datagram to addr; it is Next and
// Commit in one.
func (b *Batch) Add(data []byte, addr netip.AddrPort) {
	buf := b.Next()
	b.Commit(copy(buf, data), addr)
}

// Flush sends the datagrams in b, in order, and empties it. It returns the
// first error of a write since the last Flush, ErrClosed if the mux's
// socket is closed; a datagram whose write fails is dropped, as the network
// may drop any, and counted in Stats.WriteErrors.
func (b *Batch) Flush() error {
	b.send()
	for i, p := range b.bufs {
		bufPool.Put(p)
		b.bufs[i] = nil
	}
	b.bufs = b.bufs[:0]
	err := b.err
	b.err = nil
	return err
}

// send writes the committed datagrams and forgets them, keeping their
// buffers for reuse.
func (b *Batch) send() {
	if len(b.dgs) > 0 {
		b.w.write(b)
	}
	clear(b.dgs)
	b.dgs = b.dgs[:0]
	b.addrs = b.addrs[:0]
}

// writeOne sends datagram i with one plain write, the path for platforms
// without batched sends and for addresses those cannot carry.
func (b *Batch) writeOne(i int) {
	if _, err := b.m.conn.WriteToUDPAddrPort(b.dgs[i], b.addrs[i]); err != nil {
		b.fail(err)
	}
}

// fail records a failed write.
func (b *Batch) fail(err error) {
	if errors.Is(err, net.ErrClosed) {
		err = ErrClosed
	} else {
		b.m.stats.writeErrors.Add(1)
	}
	if b.err == nil {
		b.err = err
	}
}

// disableGSOEnv names the environment variable that, set to anything, keeps
// new muxes from sending with UDP GSO. A packet capture on loopback
// (tcpdump, Wireshark, tshark -i lo) sees a GSO send as one UDP datagram
// holding several QUIC datagrams, which the dissectors misread; without GSO
// each datagram is captured alone. It costs throughput.
const disableGSOEnv = "QUINCE_DISABLE_GSO"

// Test knobs: they make NewBatch choose a slower path where the faster
// one is available.
var (
	disableGSO      = false // sendmmsg without UDP_SEGMENT
	disableSendmmsg = false // one write per datagram
)

// bufPool holds datagram buffers for Batches. A buffer shorter than the
// Batch needs (a mux with a larger MaxDatagramSize) is dropped and
// replaced.
var bufPool sync.Pool

func (b *Batch) getBuf() *[]byte {
	if p, ok := bufPool.Get().(*[]byte); ok && cap(*p) >= b.size {
		return p
	}
	buf := make([]byte, max(b.size, DefaultMaxDatagramSize))
	return &buf
}

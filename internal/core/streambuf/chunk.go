// Package streambuf holds the bytes of one QUIC stream, or of the CRYPTO
// stream of one encryption level, on their way out (SendBuffer) and on their
// way in (RecvBuffer); RFC 9000, Sections 2 and 3.
//
// Both buffers store data in fixed-size chunks of chunkSize bytes aligned
// to stream offsets that are multiples of chunkSize. Chunks come from a
// sync.Pool shared by all buffers and go back to it as soon as every byte
// in them has been acknowledged (send side) or read (receive side), so a
// buffer's memory follows the data it holds, data never moves once copied
// in, and freeing acknowledged data costs nothing per byte. Each buffer
// also keeps one spare chunk of its own, so that a stream moving data in
// order recycles the same chunks without touching the pool: the steady
// state does not allocate.
//
// Neither buffer is safe for concurrent use; the connection core owns them.
package streambuf

import "sync"

// chunkSize is the size of a storage chunk. It is a compromise between the
// memory an idle stream holds (at most one chunk of sent-but-unacked or
// received-but-unread data per chunk boundary) and how often a frame has to
// stop at a chunk boundary: with 16 KiB, a full-size STREAM frame is split
// about once every dozen packets.
const chunkSize = 16 << 10

type chunk = [chunkSize]byte

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

// chunkCache is a buffer's private spare chunk in front of chunkPool.
type chunkCache struct {
	spare *chunk
}

func (c *chunkCache) get() *chunk {
	if ch := c.spare; ch != nil {
		c.spare = nil
		return ch
	}
	return chunkPool.Get().(*chunk)
}

func (c *chunkCache) put(ch *chunk) {
	if c.spare == nil {
		c.spare = ch
		return
	}
	chunkPool.Put(ch)
}

// held returns how many chunks the cache holds: 0 or 1.
func (c *chunkCache) held() int {
	if c.spare != nil {
		return 1
	}
	return 0
}

// release returns the spare chunk to the pool.
func (c *chunkCache) release() {
	if c.spare != nil {
		chunkPool.Put(c.spare)
		c.spare = nil
	}
}

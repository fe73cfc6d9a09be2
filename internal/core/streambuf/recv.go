package streambuf

import (
	"sort"

	"github.com/quince-go/quic/internal/core/ranges"
	"github.com/quince-go/quic/internal/core/wire"
)

// MaxFragments is the largest number of disjoint ranges of unread data a
// RecvBuffer keeps. Flow control bounds the bytes a peer can make us buffer,
// but not how finely it cuts them: beyond this many holes, Insert fails
// rather than let tiny out-of-order frames inflate the bookkeeping.
const MaxFragments = 1024

// A RecvBuffer reassembles the data of one stream (or one CRYPTO level)
// that arrives out of order, duplicated or overlapping, and hands it out
// in order. It holds only data that has not been read yet, in pooled chunks
// (see the package documentation) that are allocated where data lands and
// returned to the pool once read.
//
// The buffer does not enforce flow control: the caller checks every frame
// against the limit it advertised (or, for CRYPTO frames, its buffering
// limit) before calling Insert, and that bounds the buffer's memory to the
// window above ReadOffset.
//
// The zero RecvBuffer is empty and ready to use.
type RecvBuffer struct {
	cache chunkCache
	// chunks holds the chunks that have data, sorted by index: chunk k
	// holds offsets [k*chunkSize, (k+1)*chunkSize). Keeping them sparse
	// makes memory follow the data held, however far apart it lands.
	chunks []recvChunk

	readOff   uint64     // offset of the next byte to read
	highest   uint64     // one past the largest offset received
	finalSize uint64     // valid if finKnown
	finKnown  bool       // the final size is known (RFC 9000, Section 4.5)
	received  ranges.Set // received ranges at or above readOff
}

type recvChunk struct {
	index uint64 // offset / chunkSize
	c     *chunk
}

// ReadOffset returns the offset of the next byte Read returns: the number
// of bytes read so far.
func (b *RecvBuffer) ReadOffset() uint64 { return b.readOff }

// HighestOffset returns one more than the largest offset received, the
// figure flow control counts (RFC 9000, Section 4.1).
func (b *RecvBuffer) HighestOffset() uint64 { return b.highest }

// FinalSize returns the final size of the stream and whether it is known.
func (b *RecvBuffer) FinalSize() (uint64, bool) { return b.finalSize, b.finKnown }

// Insert stores data received at offset, and the end of the stream if fin
// is set. Bytes already received or already read are ignored: the first
// copy is kept (RFC 9000, Section 2.2).
//
// Errors are *wire.TransportError values with FrameType 0; each call
// returns a new one, so the caller may set the frame type:
//   - FINAL_SIZE_ERROR if the frame changes a known final size, extends
//     beyond it, or carries a FIN below data already received
//     (RFC 9000, Section 4.5);
//   - FRAME_ENCODING_ERROR if offset+len(data) exceeds 2^62-1
//     (RFC 9000, Sections 19.6 and 19.8);
//   - PROTOCOL_VIOLATION if the data would open more than MaxFragments
//     holes.
//
// After an error the buffer is unchanged.
func (b *RecvBuffer) Insert(offset uint64, data []byte, fin bool) error {
	end := offset + uint64(len(data))
	if end > wire.MaxVarint || end < offset {
		return wire.Errorf(wire.FrameEncodingError, 0, "stream data ends beyond 2^62-1")
	}
	if err := b.checkFinalSize(end, fin); err != nil {
		return err
	}
	start := max(offset, b.readOff)
	if start < end && b.received.Len() >= MaxFragments && !b.received.Adjoins(start, end) {
		return wire.Errorf(wire.ProtocolViolation, 0, "more than %d out-of-order stream fragments", MaxFragments)
	}

	if fin {
		b.finalSize, b.finKnown = end, true
	}
	b.highest = max(b.highest, end)
	if start >= end {
		return nil
	}
	// Copy only the gaps between ranges already received.
	rs := b.received.Ranges()
	i := sort.Search(len(rs), func(i int) bool { return rs[i].End > start })
	for s := start; s < end; {
		if i < len(rs) && rs[i].Start <= s {
			s = rs[i].End
			i++
			continue
		}
		gapEnd := end
		if i < len(rs) && rs[i].Start < end {
			gapEnd = rs[i].Start
		}
		b.copyIn(s, data[s-offset:gapEnd-offset])
		s = gapEnd
	}
	b.received.Add(start, end)
	return nil
}

// SetFinalSize records the final size carried by a RESET_STREAM frame. It
// returns a FINAL_SIZE_ERROR (FrameType 0) if that contradicts a known
// final size or data already received (RFC 9000, Section 4.5).
func (b *RecvBuffer) SetFinalSize(size uint64) error {
	if size > wire.MaxVarint {
		return wire.Errorf(wire.FrameEncodingError, 0, "final size beyond 2^62-1")
	}
	if err := b.checkFinalSize(size, true); err != nil {
		return err
	}
	b.finalSize, b.finKnown = size, true
	b.highest = max(b.highest, size)
	return nil
}

// checkFinalSize applies the final-size rules of RFC 9000, Section 4.5 to
// data ending at end, with a FIN if fin is set.
func (b *RecvBuffer) checkFinalSize(end uint64, fin bool) error {
	switch {
	case b.finKnown && fin && end != b.finalSize:
		return wire.Errorf(wire.FinalSizeError, 0, "final size changed from %d to %d", b.finalSize, end)
	case b.finKnown && end > b.finalSize:
		return wire.Errorf(wire.FinalSizeError, 0, "data up to %d beyond final size %d", end, b.finalSize)
	case fin && end < b.highest:
		return wire.Errorf(wire.FinalSizeError, 0, "final size %d below data received up to %d", end, b.highest)
	}
	return nil
}

// Readable returns the number of bytes that can be read now: the
// contiguous data at ReadOffset.
func (b *RecvBuffer) Readable() int {
	if b.received.Len() == 0 {
		return 0
	}
	r := b.received.At(0)
	if r.Start > b.readOff {
		return 0
	}
	return int(r.End - b.readOff)
}

// Next returns the contiguous data at ReadOffset without consuming it. It
// may return less than Readable bytes (it stops at an internal chunk
// boundary); it returns an empty slice only when nothing is readable. The
// slice is valid until the next call that modifies b.
func (b *RecvBuffer) Next() []byte {
	n := b.Readable()
	if n == 0 {
		return nil
	}
	// Chunks below readOff have been freed, so the first holds readOff.
	o := int(b.readOff % chunkSize)
	n = min(n, chunkSize-o)
	return b.chunks[0].c[o : o+n]
}

// Consume discards the first n readable bytes, as Read does without
// copying them. n larger than Readable is treated as Readable.
func (b *RecvBuffer) Consume(n int) {
	n = min(n, b.Readable())
	if n <= 0 {
		return
	}
	b.readOff += uint64(n)
	b.received.RemoveBelow(b.readOff)
	b.free()
}

// Read copies contiguous data at ReadOffset into p. fin reports that the
// whole stream has been read: the final size is known and ReadOffset has
// reached it.
func (b *RecvBuffer) Read(p []byte) (n int, fin bool) {
	for len(p) > 0 {
		c := copy(p, b.Next())
		if c == 0 {
			break
		}
		b.Consume(c)
		p = p[c:]
		n += c
	}
	return n, b.finKnown && b.readOff == b.finalSize
}

// Release discards all data and returns the buffer's memory to the pool,
// leaving an empty buffer. Use it when the stream is reset or done.
func (b *RecvBuffer) Release() {
	for _, rc := range b.chunks {
		chunkPool.Put(rc.c)
	}
	b.cache.release()
	*b = RecvBuffer{}
}

// Shrink returns the buffer's spare chunk to the pool, keeping its data. A
// buffer that goes quiet, such as a CRYPTO stream once the handshake is
// over, then holds only chunks with unread data: none once all is read.
func (b *RecvBuffer) Shrink() { b.cache.release() }

// Footprint returns the bytes of chunk memory the buffer holds, its spare
// chunk included.
func (b *RecvBuffer) Footprint() int { return (len(b.chunks) + b.cache.held()) * chunkSize }

// copyIn copies p to offset, allocating chunks where needed.
func (b *RecvBuffer) copyIn(offset uint64, p []byte) {
	for len(p) > 0 {
		c := b.chunkAt(offset / chunkSize)
		n := copy(c[offset%chunkSize:], p)
		p = p[n:]
		offset += uint64(n)
	}
}

// chunkAt returns the chunk with the given index, adding it if needed.
func (b *RecvBuffer) chunkAt(index uint64) *chunk {
	// Fast path: data arriving in order lands in the last chunk or a new
	// one after it.
	n := len(b.chunks)
	if n > 0 && b.chunks[n-1].index == index {
		return b.chunks[n-1].c
	}
	i := n
	if n > 0 && b.chunks[n-1].index > index {
		i = sort.Search(n, func(i int) bool { return b.chunks[i].index >= index })
		if b.chunks[i].index == index {
			return b.chunks[i].c
		}
	}
	b.chunks = append(b.chunks, recvChunk{})
	copy(b.chunks[i+1:], b.chunks[i:])
	b.chunks[i] = recvChunk{index, b.cache.get()}
	return b.chunks[i].c
}

// free returns the chunks that hold no unread data to the pool: those
// below readOff, or all of them if nothing is left to read.
func (b *RecvBuffer) free() {
	k := 0
	for k < len(b.chunks) && ((b.chunks[k].index+1)*chunkSize <= b.readOff || b.received.Len() == 0) {
		b.cache.put(b.chunks[k].c)
		k++
	}
	if k > 0 {
		n := copy(b.chunks, b.chunks[k:])
		clear(b.chunks[n:])
		b.chunks = b.chunks[:n]
	}
}

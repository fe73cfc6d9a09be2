package streambuf

import "github.com/quince-go/quic/internal/core/ranges"

// A SendBuffer holds the bytes the application wrote to one stream (or the
// TLS stack to one CRYPTO level) from the moment they are written until the
// peer acknowledges them, and tracks which of them still need to be sent:
// new data, data declared lost, and the FIN.
//
// Data is stored in pooled chunks (see the package documentation): acking
// the oldest data returns whole chunks to the pool without copying, and
// writing in the steady state reuses a recycled chunk.
//
// The zero SendBuffer is empty and ready to use.
type SendBuffer struct {
	cache  chunkCache
	chunks []*chunk // chunks[i] holds offsets [start+i*chunkSize, start+(i+1)*chunkSize)
	start  uint64   // offset of chunks[0][0], a multiple of chunkSize

	acked   uint64 // every byte below acked has been acknowledged
	sent    uint64 // one past the largest offset ever sent
	written uint64 // total bytes written; the final size once fin is set

	ackedAbove ranges.Set // acknowledged ranges above acked
	lost       ranges.Set // ranges in [acked, sent) to send again

	fin      bool // SetFin called: written is the final size
	finSent  bool // the FIN has been put in a packet
	finAcked bool // a packet carrying the FIN has been acknowledged
	finLost  bool // the FIN was declared lost and must be sent again
}

// Write appends p to the stream and returns len(p). The buffer takes no
// flow-control or memory decisions: the caller bounds how much it accepts.
// Write after SetFin writes nothing and returns 0.
func (b *SendBuffer) Write(p []byte) int {
	if b.fin {
		return 0
	}
	n := len(p)
	for len(p) > 0 {
		i, o := b.locate(b.written)
		if i == len(b.chunks) {
			b.chunks = append(b.chunks, b.cache.get())
		}
		c := copy(b.chunks[i][o:], p)
		p = p[c:]
		b.written += uint64(c)
	}
	return n
}

// SetFin marks the end of the stream: no more data will be written, and the
// final size is Written() (RFC 9000, Section 4.5).
func (b *SendBuffer) SetFin() { b.fin = true }

// Written returns the total number of bytes written: the final size once
// SetFin has been called.
func (b *SendBuffer) Written() uint64 { return b.written }

// MaxSent returns one more than the largest offset ever sent. The bytes
// from MaxSent to Written are new data that has not been sent yet; they
// count against flow control when they are (RFC 9000, Section 4.1).
func (b *SendBuffer) MaxSent() uint64 { return b.sent }

// Buffered returns the number of bytes written and not yet acknowledged
// in order: the bytes whose memory the buffer holds.
func (b *SendBuffer) Buffered() int { return int(b.written - b.acked) }

// HasPending reports whether there is something to send or send again:
// lost data, new data (whether or not flow control allows sending it now)
// or the FIN.
func (b *SendBuffer) HasPending() bool {
	return b.lost.Len() > 0 || b.sent < b.written || b.finPending()
}

// HasResend reports whether lost data, or a FIN with no data left to
// send, waits to be sent: what flow control cannot hold back, since the
// peer allowed it already.
func (b *SendBuffer) HasResend() bool {
	return b.lost.Len() > 0 || b.finPending()
}

// finPending reports whether a FIN-only frame is due: all data has been
// sent and the FIN still has to be (re)sent.
func (b *SendBuffer) finPending() bool {
	return b.fin && !b.finAcked && b.sent == b.written && (!b.finSent || b.finLost)
}

// AllAcked reports whether the stream is finished and the peer has
// acknowledged all of it, FIN included: the "Data Recvd" state of
// RFC 9000, Section 3.1.
func (b *SendBuffer) AllAcked() bool {
	return b.fin && b.finAcked && b.acked == b.written
}

// NextSend returns the next chunk of the stream to put in a frame, without
// consuming it: MarkSent does that once it is in a packet.
//
// Lost data comes first, lowest offset first, then new data. The chunk has
// at most max bytes; it may be shorter when it reaches an internal chunk
// boundary, in which case the caller may call NextSend again to fill the
// rest of its packet. New data is only sent below limit, the stream's
// flow-control limit as a stream offset; lost data ignores limit since the
// peer has already allowed it.
//
// fin reports that the chunk ends at the final size and the FIN has not
// been acknowledged, so the frame should carry the FIN bit. Once all data
// has been sent, NextSend returns a zero-length chunk with fin set if the
// FIN alone is still due, even when max is 0 (RFC 9000, Section 19.8).
//
// data is a view of the buffer, valid until the next call that modifies
// it. ok is false if there is nothing to send.
func (b *SendBuffer) NextSend(max int, limit uint64) (offset uint64, data []byte, fin bool, ok bool) {
	if max > 0 && b.lost.Len() > 0 {
		r := b.lost.At(0)
		data = b.view(r.Start, min(r.Len(), uint64(max)))
		return r.Start, data, b.endsStream(r.Start, data), true
	}
	if max > 0 && b.sent < b.written && b.sent < limit {
		n := min(b.written-b.sent, limit-b.sent, uint64(max))
		data = b.view(b.sent, n)
		return b.sent, data, b.endsStream(b.sent, data), true
	}
	if b.finPending() {
		return b.written, nil, true, true
	}
	return 0, nil, false, false
}

// endsStream reports whether data at offset ends at the final size while
// the FIN is unacknowledged.
func (b *SendBuffer) endsStream(offset uint64, data []byte) bool {
	return b.fin && !b.finAcked && offset+uint64(len(data)) == b.written
}

// MarkSent records that the bytes [offset, offset+n), and the FIN if fin is
// set, returned by NextSend have been put in a packet.
func (b *SendBuffer) MarkSent(offset uint64, n int, fin bool) {
	end := min(offset+uint64(n), b.written)
	b.lost.Remove(offset, end)
	b.sent = max(b.sent, end)
	if fin {
		b.finSent = true
		b.finLost = false
	}
}

// OnAcked records that the peer acknowledged a frame carrying the bytes
// [offset, offset+n) and, if fin is set, the FIN. Once the oldest bytes are
// acknowledged their chunks go back to the pool.
func (b *SendBuffer) OnAcked(offset uint64, n int, fin bool) {
	if fin {
		b.finAcked = true
		b.finLost = false
	}
	end := min(offset+uint64(n), b.sent)
	start := max(offset, b.acked)
	if start >= end {
		return
	}
	b.lost.Remove(start, end)
	b.ackedAbove.Add(start, end)
	if first := b.ackedAbove.At(0); first.Start == b.acked {
		b.acked = first.End
		b.ackedAbove.RemoveBelow(b.acked)
		b.free()
	}
}

// OnLost records that a packet carrying the bytes [offset, offset+n) and, if
// fin is set, the FIN was declared lost. Whatever of it has not been
// acknowledged in the meantime will be sent again.
func (b *SendBuffer) OnLost(offset uint64, n int, fin bool) {
	if fin && !b.finAcked {
		b.finLost = true
	}
	end := min(offset+uint64(n), b.sent)
	start := max(offset, b.acked)
	for _, r := range b.ackedAbove.Ranges() {
		if start >= end || r.Start >= end {
			break
		}
		if r.End <= start {
			continue
		}
		b.lost.Add(start, r.Start)
		start = r.End
	}
	b.lost.Add(start, end)
}

// Unsend forgets what was sent beyond the acknowledged data: those bytes
// are new data again, to be sent under flow control, and so is the FIN. It
// is for a client whose 0-RTT packets the server rejected (RFC 9001,
// Section 4.6.2), when nothing the server saw counts; the buffer must have
// no acknowledged data above its first gap.
func (b *SendBuffer) Unsend() {
	b.sent = b.acked
	b.lost.Clear()
	b.finSent, b.finLost = false, false
}

// Release discards all data and returns the buffer's memory to the pool,
// leaving an empty buffer. Use it when the stream is reset or done.
func (b *SendBuffer) Release() {
	for _, c := range b.chunks {
		chunkPool.Put(c)
	}
	b.cache.release()
	*b = SendBuffer{}
}

// Shrink returns the buffer's spare chunk to the pool, keeping its data. A
// buffer that goes quiet, such as a CRYPTO stream once the handshake is
// over, then holds only chunks with unacknowledged data: none once all is
// acknowledged.
func (b *SendBuffer) Shrink() { b.cache.release() }

// Footprint returns the bytes of chunk memory the buffer holds, its spare
// chunk included.
func (b *SendBuffer) Footprint() int { return (len(b.chunks) + b.cache.held()) * chunkSize }

// locate returns the index of the chunk holding offset and the position of
// offset in it. The index is len(b.chunks) when offset is just past the
// last chunk.
func (b *SendBuffer) locate(offset uint64) (i, o int) {
	d := offset - b.start
	return int(d / chunkSize), int(d % chunkSize)
}

// view returns up to n bytes at offset, stopping at a chunk boundary.
// offset must be in [b.start, b.written).
func (b *SendBuffer) view(offset, n uint64) []byte {
	i, o := b.locate(offset)
	n = min(n, uint64(chunkSize-o), b.written-offset)
	return b.chunks[i][o : o+int(n)]
}

// free returns the chunks below b.acked to the pool, and the last one too
// if everything written has been acknowledged.
func (b *SendBuffer) free() {
	if b.acked == b.written {
		for _, c := range b.chunks {
			b.cache.put(c)
		}
		clear(b.chunks)
		b.chunks = b.chunks[:0]
		b.start = b.written - b.written%chunkSize
		return
	}
	k := 0
	for k < len(b.chunks) && b.start+chunkSize <= b.acked {
		b.cache.put(b.chunks[k])
		b.chunks[k] = nil
		b.start += chunkSize
		k++
	}
	if k > 0 {
		n := copy(b.chunks, b.chunks[k:])
		clear(b.chunks[n:])
		b.chunks = b.chunks[:n]
	}
}

package streambuf

// Observe applies the final-size rules of RFC 9000, Section 4.5 to a
// frame's data without keeping it, for a stream whose reader has gone away
// (RFC 9000, Section 3.5): the final size and highest offset are still
// tracked so that flow control stays exact.
func (b *RecvBuffer) Observe(offset uint64, n int, fin bool) error {
	end := offset + uint64(n)
	if err := b.checkFinalSize(end, fin); err != nil {
		return err
	}
	if fin {
		b.finalSize, b.finKnown = end, true
	}
	b.highest = max(b.highest, end)
	return nil
}

// DiscardTo drops everything below offset off, read or not, and moves the
// read offset there. It is used when the application stops reading or the
// peer resets the stream.
func (b *RecvBuffer) DiscardTo(off uint64) {
	if off <= b.readOff {
		return
	}
	b.readOff = off
	b.received.RemoveBelow(off)
	b.free()
}

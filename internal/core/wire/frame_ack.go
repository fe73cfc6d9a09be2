package wire

// AckRange is an inclusive range of acknowledged packet numbers.
type AckRange struct {
	Smallest, Largest uint64
}

// AckFrame is an ACK frame, type 0x02, or 0x03 with ECN counts
// (RFC 9000, Section 19.3).
//
// Ranges are in descending order and Ranges[0].Largest is the Largest
// Acknowledged. To be encoded, Ranges must be non-empty, each range must
// have Smallest <= Largest, and successive ranges must leave a gap of at
// least one packet: Ranges[i+1].Largest+1 < Ranges[i].Smallest.
type AckFrame struct {
	Ranges []AckRange
	// AckDelay is the ACK Delay field as sent: the delay in microseconds
	// divided by 2^ack_delay_exponent (RFC 9000, Section 19.3). The
	// caller scales it.
	AckDelay uint64
	// HasECN selects type 0x03, which carries the three ECN counts
	// (RFC 9000, Section 19.3.2).
	HasECN            bool
	ECT0, ECT1, ECNCE uint64
}

// Type returns FrameAckECN if f carries ECN counts and FrameAck otherwise.
func (f *AckFrame) Type() uint64 {
	if f.HasECN {
		return FrameAckECN
	}
	return FrameAck
}

// Append appends the encoded frame to b.
func (f *AckFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	first := f.Ranges[0]
	b = AppendVarint(b, first.Largest)
	b = AppendVarint(b, f.AckDelay)
	b = AppendVarint(b, uint64(len(f.Ranges)-1))
	b = AppendVarint(b, first.Largest-first.Smallest)
	prev := first.Smallest
	for _, r := range f.Ranges[1:] {
		// RFC 9000, Section 19.3.1: largest = previous_smallest - gap - 2.
		b = AppendVarint(b, prev-r.Largest-2)
		b = AppendVarint(b, r.Largest-r.Smallest)
		prev = r.Smallest
	}
	if f.HasECN {
		b = AppendVarint(b, f.ECT0)
		b = AppendVarint(b, f.ECT1)
		b = AppendVarint(b, f.ECNCE)
	}
	return b
}

// Len returns the encoded length of f.
func (f *AckFrame) Len() int {
	first := f.Ranges[0]
	n := 1 + VarintLen(first.Largest) + VarintLen(f.AckDelay) +
		VarintLen(uint64(len(f.Ranges)-1)) + VarintLen(first.Largest-first.Smallest)
	prev := first.Smallest
	for _, r := range f.Ranges[1:] {
		n += VarintLen(prev-r.Largest-2) + VarintLen(r.Largest-r.Smallest)
		prev = r.Smallest
	}
	if f.HasECN {
		n += VarintLen(f.ECT0) + VarintLen(f.ECT1) + VarintLen(f.ECNCE)
	}
	return n
}

// parse reads the frame body after the type. It keeps at most MaxAckRanges
// ranges but validates them all.
func (f *AckFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	largest := r.varint()
	f.AckDelay = r.varint()
	count := r.varint()
	firstRange := r.varint()
	if r.short {
		return 0, errTruncated(typ)
	}
	// Each ACK Range is two varints of at least one byte: a count that
	// cannot fit in what is left is rejected before the loop, so it never
	// sizes an allocation or drives more iterations than there are bytes.
	if count > uint64(r.remaining()/2) {
		return 0, Errorf(FrameEncodingError, typ, "ACK Range Count %d exceeds the frame", count)
	}
	// RFC 9000, Section 19.3.1: a negative packet number is a
	// FRAME_ENCODING_ERROR.
	if firstRange > largest {
		return 0, Errorf(FrameEncodingError, typ, "First ACK Range %d exceeds Largest Acknowledged %d", firstRange, largest)
	}
	smallest := largest - firstRange
	f.Ranges = append(f.Ranges[:0], AckRange{Smallest: smallest, Largest: largest})
	for i := uint64(0); i < count; i++ {
		gap := r.varint()
		length := r.varint()
		if r.short {
			return 0, errTruncated(typ)
		}
		// largest = previous_smallest - gap - 2; smallest = largest - length.
		if gap+2 > smallest {
			return 0, Errorf(FrameEncodingError, typ, "ACK Range %d goes below packet number 0", i+1)
		}
		hi := smallest - gap - 2
		if length > hi {
			return 0, Errorf(FrameEncodingError, typ, "ACK Range %d goes below packet number 0", i+1)
		}
		smallest = hi - length
		if len(f.Ranges) < MaxAckRanges {
			f.Ranges = append(f.Ranges, AckRange{Smallest: smallest, Largest: hi})
		}
	}
	f.HasECN = typ == FrameAckECN
	f.ECT0, f.ECT1, f.ECNCE = 0, 0, 0
	if f.HasECN {
		f.ECT0 = r.varint()
		f.ECT1 = r.varint()
		f.ECNCE = r.varint()
		if r.short {
			return 0, errTruncated(typ)
		}
	}
	return r.off, nil
}

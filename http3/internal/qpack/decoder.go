package qpack

import "slices"

// Decoder decodes the field sections one connection receives and keeps the
// dynamic table the peer's encoder builds (RFC 9204, Section 2.2).
type Decoder struct {
	maxTableCapacity    uint64
	maxBlocked          uint64
	maxFieldSectionSize uint64

	table dynamicTable
	// knownReceived is the Known Received Count the peer's encoder has
	// learned from our instructions (RFC 9204, Section 2.1.4).
	knownReceived uint64
	// blocked maps each blocked stream to the Required Insert Count it
	// waits for (RFC 9204, Section 2.2.1).
	blocked map[uint64]uint64

	in  []byte // partial encoder stream instruction
	out []byte // pending decoder stream instructions
}

// NewDecoder returns a Decoder. maxTableCapacity and maxBlocked are what
// this endpoint advertises in SETTINGS_QPACK_MAX_TABLE_CAPACITY and
// SETTINGS_QPACK_BLOCKED_STREAMS; maxFieldSectionSize bounds a decoded
// field section (SETTINGS_MAX_FIELD_SECTION_SIZE, RFC 9114, Section 4.2.2;
// 0 means no limit beyond the size of the encoded section).
func NewDecoder(maxTableCapacity, maxBlocked uint64, maxFieldSectionSize uint64) *Decoder {
	if maxTableCapacity > maxInt {
		maxTableCapacity = maxInt
	}
	return &Decoder{
		maxTableCapacity:    maxTableCapacity,
		maxBlocked:          maxBlocked,
		maxFieldSectionSize: maxFieldSectionSize,
		blocked:             make(map[uint64]uint64),
	}
}

// DecodeHeaders decodes the encoded field section block received on
// streamID. If the section references entries not yet received it returns
// ErrBlocked and the stream counts as blocked until HandleEncoderStream
// reports it unblocked, when the caller calls DecodeHeaders again with the
// same block; if that would block more streams than maxBlocked, it returns
// a QPACK_DECOMPRESSION_FAILED *Error (RFC 9204, Section 2.1.2). Any other
// malformed input is a QPACK_DECOMPRESSION_FAILED *Error too. A section
// decoded with dynamic table references is acknowledged on the decoder
// stream. A section that decodes to more than maxFieldSectionSize returns
// ErrFieldSectionTooLarge.
func (d *Decoder) DecodeHeaders(streamID uint64, block []byte) ([]HeaderField, error) {
	const code = ErrCodeDecompressionFailed
	ric, base, n, err := d.parsePrefix(block)
	if err != nil {
		return nil, err
	}
	if ric > d.table.insertCount() {
		if _, ok := d.blocked[streamID]; !ok && uint64(len(d.blocked)) >= d.maxBlocked {
			return nil, errorf(code, "more than %d blocked streams", d.maxBlocked)
		}
		d.blocked[streamID] = ric
		return nil, ErrBlocked
	}
	delete(d.blocked, streamID)

	limit := d.maxFieldSectionSize
	if limit == 0 || limit > maxInt {
		limit = maxInt
	}
	var (
		fields  []HeaderField
		size    uint64
		tooBig  bool
		b       = block[n:]
		dynamic = func(abs uint64) (HeaderField, error) {
			// RFC 9204, Section 2.2.3: references at or above the
			// Required Insert Count, or to evicted entries, are errors.
			if abs >= ric {
				return HeaderField{}, errorf(code, "reference to absolute index %d, Required Insert Count %d", abs, ric)
			}
			f, ok := d.table.entry(abs)
			if !ok {
				return HeaderField{}, errorf(code, "reference to evicted entry %d", abs)
			}
			return f, nil
		}
	)
	for len(b) > 0 {
		var f HeaderField
		c := b[0]
		switch {
		case c&0x80 != 0: // Indexed Field Line, Section 4.5.2
			idx, m, err := consumeInt(b, 6, code)
			if err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
			if c&0x40 != 0 {
				if idx >= uint64(len(staticTable)) {
					return nil, errorf(code, "static index %d out of range", idx)
				}
				f = staticTable[idx]
			} else {
				if idx >= base {
					return nil, errorf(code, "relative index %d, Base %d", idx, base)
				}
				if f, err = dynamic(base - 1 - idx); err != nil {
					return nil, err
				}
			}
		case c&0xf0 == 0x10: // Indexed Field Line with Post-Base Index, 4.5.3
			idx, m, err := consumeInt(b, 4, code)
			if err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
			if f, err = dynamic(base + idx); err != nil { // base+idx < 2^63
				return nil, err
			}
		case c&0xc0 == 0x40: // Literal Field Line with Name Reference, 4.5.4
			idx, m, err := consumeInt(b, 4, code)
			if err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
			if c&0x10 != 0 {
				if idx >= uint64(len(staticTable)) {
					return nil, errorf(code, "static index %d out of range", idx)
				}
				f.Name = staticTable[idx].Name
			} else {
				if idx >= base {
					return nil, errorf(code, "relative index %d, Base %d", idx, base)
				}
				e, err := dynamic(base - 1 - idx)
				if err != nil {
					return nil, err
				}
				f.Name = e.Name
			}
			f.NeverIndex = c&0x20 != 0
			if f.Value, m, err = consumeString(b, 8, fieldLineLimit, code); err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
		case c&0xf0 == 0x00: // Literal Field Line with Post-Base Name Reference, 4.5.5
			idx, m, err := consumeInt(b, 3, code)
			if err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
			e, err := dynamic(base + idx)
			if err != nil {
				return nil, err
			}
			f.Name = e.Name
			f.NeverIndex = c&0x08 != 0
			if f.Value, m, err = consumeString(b, 8, fieldLineLimit, code); err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
		default: // 001xxxxx: Literal Field Line with Literal Name, 4.5.6
			f.NeverIndex = c&0x10 != 0
			var m int
			var err error
			if f.Name, m, err = consumeString(b, 4, fieldLineLimit, code); err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
			if f.Value, m, err = consumeString(b, 8, fieldLineLimit, code); err != nil {
				return nil, fieldErr(err)
			}
			b = b[m:]
		}
		if !tooBig {
			size += f.Size()
			if size > limit {
				tooBig, fields = true, nil
			} else {
				fields = append(fields, f)
			}
		}
	}
	if ric > 0 {
		// RFC 9204, Section 4.4.1.
		d.out = appendInt(d.out, 0x80, 7, streamID)
		if ric > d.knownReceived {
			d.knownReceived = ric
		}
	}
	if tooBig {
		return nil, ErrFieldSectionTooLarge
	}
	return fields, nil
}

// fieldLineLimit is the string length limit inside a field section. The
// section is already in memory (the HTTP/3 layer bounds its frames), so its
// strings are not limited one by one: the section's total size is, and a
// section over Decoder's limit is ErrFieldSectionTooLarge, which lets the
// HTTP/3 layer answer 431 instead of closing the connection.
const fieldLineLimit = maxInt

// fieldErr turns errShort, which means a truncated field line inside a
// complete field section, into a decompression failure.
func fieldErr(err error) error {
	if err == errShort {
		return errorf(ErrCodeDecompressionFailed, "truncated field line")
	}
	return err
}

// parsePrefix decodes the Encoded Field Section Prefix (RFC 9204, Section
// 4.5.1), returning the Required Insert Count, the Base and its length.
func (d *Decoder) parsePrefix(b []byte) (ric, base uint64, n int, err error) {
	const code = ErrCodeDecompressionFailed
	enc, m, err := consumeInt(b, 8, code)
	if err != nil {
		return 0, 0, 0, fieldErr(err)
	}
	// RFC 9204, Section 4.5.1.1.
	if enc != 0 {
		maxEntries := maxEntries(d.maxTableCapacity)
		fullRange := 2 * maxEntries
		if enc > fullRange {
			return 0, 0, 0, errorf(code, "encoded Required Insert Count %d exceeds %d", enc, fullRange)
		}
		maxValue := d.table.insertCount() + maxEntries
		maxWrapped := maxValue / fullRange * fullRange
		ric = maxWrapped + enc - 1
		if ric > maxValue {
			if ric <= fullRange {
				return 0, 0, 0, errorf(code, "invalid encoded Required Insert Count %d", enc)
			}
			ric -= fullRange
		}
		if ric == 0 {
			return 0, 0, 0, errorf(code, "invalid encoded Required Insert Count %d", enc)
		}
	}
	if len(b) == m {
		return 0, 0, 0, errorf(code, "truncated field section prefix")
	}
	sign := b[m]&0x80 != 0
	delta, k, err := consumeInt(b[m:], 7, code)
	if err != nil {
		return 0, 0, 0, fieldErr(err)
	}
	// RFC 9204, Section 4.5.1.2.
	if !sign {
		base = ric + delta
		if base > maxInt {
			return 0, 0, 0, errorf(code, "Base too large")
		}
	} else {
		if delta >= ric {
			return 0, 0, 0, errorf(code, "negative Base")
		}
		base = ric - delta - 1
	}
	return ric, base, m + k, nil
}

// HandleEncoderStream processes bytes received on the peer's encoder
// stream (RFC 9204, Section 4.3), buffering a trailing partial
// instruction. It returns the blocked streams the new entries unblocked.
// Errors are QPACK_ENCODER_STREAM_ERROR *Errors.
func (d *Decoder) HandleEncoderStream(b []byte) (unblocked []uint64, err error) {
	const code = ErrCodeEncoderStreamError
	before := d.table.insertCount()
	if len(d.in) > 0 {
		d.in = append(d.in, b...)
		b = d.in
	}
	for len(b) > 0 {
		n, err := d.instruction(b)
		if err == errShort {
			break
		}
		if err != nil {
			return nil, err
		}
		b = b[n:]
	}
	// Keep the partial instruction. Its length is bounded: instruction
	// validates string lengths against the capacity as soon as it reads
	// them.
	d.in = append(d.in[:0], b...)
	if len(d.in) == 0 {
		d.in = nil
	}
	if d.table.insertCount() == before {
		return nil, nil
	}
	for id, ric := range d.blocked {
		if ric <= d.table.insertCount() {
			unblocked = append(unblocked, id)
			delete(d.blocked, id)
		}
	}
	slices.Sort(unblocked)
	return unblocked, nil
}

// instruction applies the encoder instruction at the start of b and
// returns its length, or errShort if b holds only part of it.
func (d *Decoder) instruction(b []byte) (int, error) {
	const code = ErrCodeEncoderStreamError
	c := b[0]
	switch {
	case c&0x80 != 0: // Insert with Name Reference, Section 4.3.2
		idx, n, err := consumeInt(b, 6, code)
		if err != nil {
			return 0, err
		}
		var name string
		if c&0x40 != 0 {
			if idx >= uint64(len(staticTable)) {
				return 0, errorf(code, "static index %d out of range", idx)
			}
			name = staticTable[idx].Name
		} else {
			e, err := d.relative(idx)
			if err != nil {
				return 0, err
			}
			name = e.Name
		}
		value, m, err := consumeString(b[n:], 8, d.room(len(name)), code)
		if err != nil {
			return 0, err
		}
		return n + m, d.insert(HeaderField{Name: name, Value: value})
	case c&0xc0 == 0x40: // Insert with Literal Name, Section 4.3.3
		name, n, err := consumeString(b, 6, d.room(0), code)
		if err != nil {
			return 0, err
		}
		value, m, err := consumeString(b[n:], 8, d.room(len(name)), code)
		if err != nil {
			return 0, err
		}
		return n + m, d.insert(HeaderField{Name: name, Value: value})
	case c&0xe0 == 0x20: // Set Dynamic Table Capacity, Section 4.3.1
		capacity, n, err := consumeInt(b, 5, code)
		if err != nil {
			return 0, err
		}
		if capacity > d.maxTableCapacity {
			return 0, errorf(code, "table capacity %d exceeds the maximum %d", capacity, d.maxTableCapacity)
		}
		d.table.setCapacity(capacity)
		return n, nil
	default: // Duplicate, Section 4.3.4
		idx, n, err := consumeInt(b, 5, code)
		if err != nil {
			return 0, err
		}
		e, err := d.relative(idx)
		if err != nil {
			return 0, err
		}
		return n, d.insert(e)
	}
}

// room returns how long a string can be in an entry whose other string
// has length used, given the current capacity.
func (d *Decoder) room(used int) uint64 {
	if d.table.capacity < entryOverhead+uint64(used) {
		return 0
	}
	return d.table.capacity - entryOverhead - uint64(used)
}

// relative returns the entry at a relative index in an encoder
// instruction (RFC 9204, Section 3.2.5).
func (d *Decoder) relative(idx uint64) (HeaderField, error) {
	ic := d.table.insertCount()
	if idx >= ic {
		return HeaderField{}, errorf(ErrCodeEncoderStreamError, "relative index %d, Insert Count %d", idx, ic)
	}
	e, ok := d.table.entry(ic - 1 - idx)
	if !ok {
		return HeaderField{}, errorf(ErrCodeEncoderStreamError, "reference to evicted entry %d", ic-1-idx)
	}
	return e, nil
}

func (d *Decoder) insert(f HeaderField) error {
	// RFC 9204, Section 3.2.2.
	if f.Size() > d.table.capacity {
		return errorf(ErrCodeEncoderStreamError, "entry of size %d exceeds the capacity %d", f.Size(), d.table.capacity)
	}
	d.table.add(f)
	return nil
}

// DecoderStream returns the instructions to write on the decoder stream and
// forgets them: Section Acknowledgments and Stream Cancellations queued so
// far, then an Insert Count Increment for entries received but not yet
// acknowledged (RFC 9204, Section 4.4).
func (d *Decoder) DecoderStream() []byte {
	if ic := d.table.insertCount(); ic > d.knownReceived {
		d.out = appendInt(d.out, 0x00, 6, ic-d.knownReceived)
		d.knownReceived = ic
	}
	out := d.out
	d.out = nil
	return out
}

// StreamCancelled records that streamID was reset or abandoned before all
// its field sections were decoded: it is no longer blocked, and a Stream
// Cancellation is queued for the decoder stream (RFC 9204, Section 4.4.2)
// unless the dynamic table is disabled.
func (d *Decoder) StreamCancelled(streamID uint64) {
	delete(d.blocked, streamID)
	if d.maxTableCapacity == 0 {
		return
	}
	d.out = appendInt(d.out, 0x40, 6, streamID)
}

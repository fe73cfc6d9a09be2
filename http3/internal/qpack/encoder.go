package qpack

// Encoder encodes the field sections one connection sends (RFC 9204,
// Section 2.1).
type Encoder struct {
	capacity             uint64
	peerMaxTableCapacity uint64
	peerMaxBlocked       uint64

	in  []byte // partial decoder stream instruction
	out []byte // pending encoder stream instructions
}

// NewEncoder returns an Encoder. peerMaxTableCapacity and peerMaxBlocked
// come from the peer's SETTINGS (SETTINGS_QPACK_MAX_TABLE_CAPACITY and
// SETTINGS_QPACK_BLOCKED_STREAMS); capacity is the dynamic table capacity
// this encoder uses, at most peerMaxTableCapacity (larger values are
// clamped). With capacity 0 the encoder uses only the static table and
// writes nothing on the encoder stream.
func NewEncoder(capacity, peerMaxTableCapacity, peerMaxBlocked uint64) *Encoder {
	if capacity > peerMaxTableCapacity {
		capacity = peerMaxTableCapacity
	}
	return &Encoder{
		capacity:             capacity,
		peerMaxTableCapacity: peerMaxTableCapacity,
		peerMaxBlocked:       peerMaxBlocked,
	}
}

// EncodeHeaders appends the encoded field section for fields, sent on
// streamID, to dst. Encoder instructions it needs accumulate until
// EncoderStream takes them; they must be written on the encoder stream
// no later than the field section is written on its stream.
func (e *Encoder) EncodeHeaders(dst []byte, streamID uint64, fields []HeaderField) ([]byte, error) {
	dst = append(dst, 0, 0) // Required Insert Count 0, Base 0
	for _, f := range fields {
		dst = e.appendStaticOrLiteral(dst, f)
	}
	return dst, nil
}

// appendStaticOrLiteral appends f as a static indexed line, a literal with
// a static name reference, or a literal with a literal name.
func (e *Encoder) appendStaticOrLiteral(b []byte, f HeaderField) []byte {
	if !f.NeverIndex {
		if idx, ok := staticIndex[HeaderField{Name: f.Name, Value: f.Value}]; ok {
			return appendInt(b, 0xc0, 6, idx) // Section 4.5.2, T=1
		}
	}
	var n byte
	if f.NeverIndex {
		n = 0x20
	}
	if idx, ok := staticNameIndex[f.Name]; ok {
		b = appendInt(b, 0x50|n, 4, idx) // Section 4.5.4, T=1
		return appendString(b, 0, 8, f.Value)
	}
	b = appendString(b, 0x20|n>>1, 4, f.Name) // Section 4.5.6
	return appendString(b, 0, 8, f.Value)
}

// EncoderStream returns the instructions to write on the encoder stream
// and forgets them.
func (e *Encoder) EncoderStream() []byte {
	out := e.out
	e.out = nil
	return out
}

// HandleDecoderStream processes bytes received on the peer's decoder
// stream (RFC 9204, Section 4.4): Section Acknowledgment, Stream
// Cancellation and Insert Count Increment, buffering a trailing partial
// instruction. Errors are QPACK_DECODER_STREAM_ERROR *Errors.
func (e *Encoder) HandleDecoderStream(b []byte) error {
	const code = ErrCodeDecoderStreamError
	if len(e.in) > 0 {
		e.in = append(e.in, b...)
		b = e.in
	}
	for len(b) > 0 {
		c := b[0]
		var n int
		var err error
		switch {
		case c&0x80 != 0:
			_, n, err = consumeInt(b, 7, code)
		case c&0x40 != 0:
			_, n, err = consumeInt(b, 6, code)
		default:
			var inc uint64
			inc, n, err = consumeInt(b, 6, code)
			if err == nil && inc == 0 {
				err = errorf(code, "Insert Count Increment of 0")
			}
		}
		if err == errShort {
			break
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	e.in = append(e.in[:0], b...)
	if len(e.in) == 0 {
		e.in = nil
	}
	return nil
}

// StreamCancelled forgets the field sections sent on streamID that the
// peer has not acknowledged, as when the stream is reset.
func (e *Encoder) StreamCancelled(streamID uint64) {}

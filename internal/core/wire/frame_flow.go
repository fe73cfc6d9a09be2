package wire

// maxStreamsLimit is the largest Maximum Streams value a MAX_STREAMS or
// STREAMS_BLOCKED frame may carry: 2^60, beyond which stream IDs would not
// fit in a varint (RFC 9000, Sections 19.11 and 19.14).
const maxStreamsLimit = 1 << 60

// ResetStreamFrame is a RESET_STREAM frame, type 0x04
// (RFC 9000, Section 19.4).
type ResetStreamFrame struct {
	StreamID  uint64
	Code      uint64 // application protocol error code
	FinalSize uint64
}

// Type returns FrameResetStream.
func (f *ResetStreamFrame) Type() uint64 { return FrameResetStream }

// Append appends the encoded frame to b.
func (f *ResetStreamFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameResetStream))
	b = AppendVarint(b, f.StreamID)
	b = AppendVarint(b, f.Code)
	return AppendVarint(b, f.FinalSize)
}

// Len returns the encoded length of f.
func (f *ResetStreamFrame) Len() int {
	return 1 + VarintLen(f.StreamID) + VarintLen(f.Code) + VarintLen(f.FinalSize)
}

func (f *ResetStreamFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.StreamID = r.varint()
	f.Code = r.varint()
	f.FinalSize = r.varint()
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

// StopSendingFrame is a STOP_SENDING frame, type 0x05
// (RFC 9000, Section 19.5).
type StopSendingFrame struct {
	StreamID uint64
	Code     uint64 // application protocol error code
}

// Type returns FrameStopSending.
func (f *StopSendingFrame) Type() uint64 { return FrameStopSending }

// Append appends the encoded frame to b.
func (f *StopSendingFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameStopSending))
	b = AppendVarint(b, f.StreamID)
	return AppendVarint(b, f.Code)
}

// Len returns the encoded length of f.
func (f *StopSendingFrame) Len() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.Code) }

func (f *StopSendingFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.StreamID = r.varint()
	f.Code = r.varint()
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

// MaxDataFrame is a MAX_DATA frame, type 0x10 (RFC 9000, Section 19.9).
type MaxDataFrame struct {
	Max uint64
}

// Type returns FrameMaxData.
func (f *MaxDataFrame) Type() uint64 { return FrameMaxData }

// Append appends the encoded frame to b.
func (f *MaxDataFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameMaxData)), f.Max)
}

// Len returns the encoded length of f.
func (f *MaxDataFrame) Len() int { return 1 + VarintLen(f.Max) }

func (f *MaxDataFrame) parse(typ uint64, b []byte) (int, error) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, errTruncated(typ)
	}
	f.Max = v
	return n, nil
}

// MaxStreamDataFrame is a MAX_STREAM_DATA frame, type 0x11
// (RFC 9000, Section 19.10).
type MaxStreamDataFrame struct {
	StreamID uint64
	Max      uint64
}

// Type returns FrameMaxStreamData.
func (f *MaxStreamDataFrame) Type() uint64 { return FrameMaxStreamData }

// Append appends the encoded frame to b.
func (f *MaxStreamDataFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameMaxStreamData))
	b = AppendVarint(b, f.StreamID)
	return AppendVarint(b, f.Max)
}

// Len returns the encoded length of f.
func (f *MaxStreamDataFrame) Len() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.Max) }

func (f *MaxStreamDataFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.StreamID = r.varint()
	f.Max = r.varint()
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

// MaxStreamsFrame is a MAX_STREAMS frame: type 0x12 for bidirectional
// streams, 0x13 for unidirectional ones (RFC 9000, Section 19.11). Max must
// not exceed 2^60.
type MaxStreamsFrame struct {
	Bidi bool
	Max  uint64
}

// Type returns FrameMaxStreamsBidi or FrameMaxStreamsUni.
func (f *MaxStreamsFrame) Type() uint64 {
	if f.Bidi {
		return FrameMaxStreamsBidi
	}
	return FrameMaxStreamsUni
}

// Append appends the encoded frame to b.
func (f *MaxStreamsFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(f.Type())), f.Max)
}

// Len returns the encoded length of f.
func (f *MaxStreamsFrame) Len() int { return 1 + VarintLen(f.Max) }

func (f *MaxStreamsFrame) parse(typ uint64, b []byte) (int, error) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.11: more than 2^60 is a FRAME_ENCODING_ERROR.
	if v > maxStreamsLimit {
		return 0, Errorf(FrameEncodingError, typ, "Maximum Streams %d exceeds 2^60", v)
	}
	f.Bidi = typ == FrameMaxStreamsBidi
	f.Max = v
	return n, nil
}

// DataBlockedFrame is a DATA_BLOCKED frame, type 0x14
// (RFC 9000, Section 19.12).
type DataBlockedFrame struct {
	Limit uint64
}

// Type returns FrameDataBlocked.
func (f *DataBlockedFrame) Type() uint64 { return FrameDataBlocked }

// Append appends the encoded frame to b.
func (f *DataBlockedFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameDataBlocked)), f.Limit)
}

// Len returns the encoded length of f.
func (f *DataBlockedFrame) Len() int { return 1 + VarintLen(f.Limit) }

func (f *DataBlockedFrame) parse(typ uint64, b []byte) (int, error) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, errTruncated(typ)
	}
	f.Limit = v
	return n, nil
}

// StreamDataBlockedFrame is a STREAM_DATA_BLOCKED frame, type 0x15
// (RFC 9000, Section 19.13).
type StreamDataBlockedFrame struct {
	StreamID uint64
	Limit    uint64
}

// Type returns FrameStreamDataBlocked.
func (f *StreamDataBlockedFrame) Type() uint64 { return FrameStreamDataBlocked }

// Append appends the encoded frame to b.
func (f *StreamDataBlockedFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameStreamDataBlocked))
	b = AppendVarint(b, f.StreamID)
	return AppendVarint(b, f.Limit)
}

// Len returns the encoded length of f.
func (f *StreamDataBlockedFrame) Len() int { return 1 + VarintLen(f.StreamID) + VarintLen(f.Limit) }

func (f *StreamDataBlockedFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.StreamID = r.varint()
	f.Limit = r.varint()
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

// StreamsBlockedFrame is a STREAMS_BLOCKED frame: type 0x16 for
// bidirectional streams, 0x17 for unidirectional ones (RFC 9000,
// Section 19.14). Limit must not exceed 2^60.
type StreamsBlockedFrame struct {
	Bidi  bool
	Limit uint64
}

// Type returns FrameStreamsBlockedBidi or FrameStreamsBlockedUni.
func (f *StreamsBlockedFrame) Type() uint64 {
	if f.Bidi {
		return FrameStreamsBlockedBidi
	}
	return FrameStreamsBlockedUni
}

// Append appends the encoded frame to b.
func (f *StreamsBlockedFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(f.Type())), f.Limit)
}

// Len returns the encoded length of f.
func (f *StreamsBlockedFrame) Len() int { return 1 + VarintLen(f.Limit) }

func (f *StreamsBlockedFrame) parse(typ uint64, b []byte) (int, error) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.14: more than 2^60 is a STREAM_LIMIT_ERROR or
	// FRAME_ENCODING_ERROR; this package reports the latter, like
	// MAX_STREAMS.
	if v > maxStreamsLimit {
		return 0, Errorf(FrameEncodingError, typ, "Maximum Streams %d exceeds 2^60", v)
	}
	f.Bidi = typ == FrameStreamsBlockedBidi
	f.Limit = v
	return n, nil
}

package wire

// StreamFrame is a STREAM frame, types 0x08-0x0f (RFC 9000, Section 19.8).
//
// Append sets the OFF bit and writes the Offset field only when Offset is
// not 0. Offset+len(Data) must not exceed MaxVarint.
type StreamFrame struct {
	StreamID uint64
	Offset   uint64
	Data     []byte
	Fin      bool
	// OmitLen leaves out the Length field (LEN bit 0), so that the data
	// runs to the end of the packet: only the last frame of a packet may
	// set it. The zero value writes an explicit Length.
	OmitLen bool
}

// StreamFrameOverhead returns the bytes a STREAM frame takes beyond its
// data: type, Stream ID, the Offset if offset is not 0, and the Length if
// withLen is set. A packer uses it to find how much data fits in a packet.
func StreamFrameOverhead(streamID, offset uint64, dataLen int, withLen bool) int {
	n := 1 + VarintLen(streamID)
	if offset != 0 {
		n += VarintLen(offset)
	}
	if withLen {
		n += VarintLen(uint64(dataLen))
	}
	return n
}

// Type returns the frame type with its OFF, LEN and FIN bits.
func (f *StreamFrame) Type() uint64 {
	t := FrameStream
	if f.Offset != 0 {
		t |= StreamOffBit
	}
	if !f.OmitLen {
		t |= StreamLenBit
	}
	if f.Fin {
		t |= StreamFinBit
	}
	return t
}

// Append appends the encoded frame to b.
func (f *StreamFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	b = AppendVarint(b, f.StreamID)
	if f.Offset != 0 {
		b = AppendVarint(b, f.Offset)
	}
	if !f.OmitLen {
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

// Len returns the encoded length of f.
func (f *StreamFrame) Len() int {
	return StreamFrameOverhead(f.StreamID, f.Offset, len(f.Data), !f.OmitLen) + len(f.Data)
}

func (f *StreamFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.StreamID = r.varint()
	f.Offset = 0
	if typ&StreamOffBit != 0 {
		f.Offset = r.varint()
	}
	f.OmitLen = typ&StreamLenBit == 0
	if f.OmitLen {
		f.Data = r.rest()
	} else {
		f.Data = r.bytes(r.varint())
	}
	f.Fin = typ&StreamFinBit != 0
	if r.short {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.8: the end offset cannot exceed 2^62-1; the RFC
	// allows FRAME_ENCODING_ERROR or FLOW_CONTROL_ERROR.
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return 0, Errorf(FrameEncodingError, typ, "stream data ends past 2^62-1")
	}
	return r.off, nil
}

// CryptoFrame is a CRYPTO frame, type 0x06 (RFC 9000, Section 19.6).
// Offset+len(Data) must not exceed MaxVarint.
type CryptoFrame struct {
	Offset uint64
	Data   []byte
}

// CryptoFrameOverhead returns the bytes a CRYPTO frame takes beyond its
// data: type, Offset and Length.
func CryptoFrameOverhead(offset uint64, dataLen int) int {
	return 1 + VarintLen(offset) + VarintLen(uint64(dataLen))
}

// Type returns FrameCrypto.
func (f *CryptoFrame) Type() uint64 { return FrameCrypto }

// Append appends the encoded frame to b.
func (f *CryptoFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameCrypto))
	b = AppendVarint(b, f.Offset)
	b = AppendVarint(b, uint64(len(f.Data)))
	return append(b, f.Data...)
}

// Len returns the encoded length of f.
func (f *CryptoFrame) Len() int { return CryptoFrameOverhead(f.Offset, len(f.Data)) + len(f.Data) }

func (f *CryptoFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.Offset = r.varint()
	f.Data = r.bytes(r.varint())
	if r.short {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.6: the end offset cannot exceed 2^62-1; the RFC
	// allows FRAME_ENCODING_ERROR or CRYPTO_BUFFER_EXCEEDED.
	if f.Offset+uint64(len(f.Data)) > MaxVarint {
		return 0, Errorf(FrameEncodingError, typ, "crypto data ends past 2^62-1")
	}
	return r.off, nil
}

// NewTokenFrame is a NEW_TOKEN frame, type 0x07 (RFC 9000, Section 19.7).
// The token must not be empty.
type NewTokenFrame struct {
	Token []byte
}

// Type returns FrameNewToken.
func (f *NewTokenFrame) Type() uint64 { return FrameNewToken }

// Append appends the encoded frame to b.
func (f *NewTokenFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameNewToken))
	b = AppendVarint(b, uint64(len(f.Token)))
	return append(b, f.Token...)
}

// Len returns the encoded length of f.
func (f *NewTokenFrame) Len() int { return 1 + VarintLen(uint64(len(f.Token))) + len(f.Token) }

func (f *NewTokenFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.Token = r.bytes(r.varint())
	if r.short {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.7: an empty token is a FRAME_ENCODING_ERROR.
	if len(f.Token) == 0 {
		return 0, Errorf(FrameEncodingError, typ, "empty token")
	}
	return r.off, nil
}

// DatagramFrame is a DATAGRAM frame, type 0x30 or 0x31 (RFC 9221,
// Section 4). Empty datagrams are allowed.
type DatagramFrame struct {
	Data []byte
	// OmitLen selects type 0x30, without a Length field, so that the data
	// runs to the end of the packet: only the last frame of a packet may
	// set it. The zero value writes an explicit Length (type 0x31).
	OmitLen bool
}

// Type returns FrameDatagram if f omits its length and FrameDatagramLen
// otherwise.
func (f *DatagramFrame) Type() uint64 {
	if f.OmitLen {
		return FrameDatagram
	}
	return FrameDatagramLen
}

// Append appends the encoded frame to b.
func (f *DatagramFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	if !f.OmitLen {
		b = AppendVarint(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...)
}

// Len returns the encoded length of f.
func (f *DatagramFrame) Len() int {
	n := 1 + len(f.Data)
	if !f.OmitLen {
		n += VarintLen(uint64(len(f.Data)))
	}
	return n
}

func (f *DatagramFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.OmitLen = typ == FrameDatagram
	if f.OmitLen {
		f.Data = r.rest()
	} else {
		f.Data = r.bytes(r.varint())
	}
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

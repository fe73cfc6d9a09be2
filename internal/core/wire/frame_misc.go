package wire

// PaddingFrame is a run of N PADDING frames, N bytes of 0x00
// (RFC 9000, Section 19.1). FrameParser returns each run of padding bytes
// as one PaddingFrame. The count is named N because Len is the method.
type PaddingFrame struct {
	N int
}

// Type returns FramePadding.
func (f *PaddingFrame) Type() uint64 { return FramePadding }

// Append appends N zero bytes to b.
func (f *PaddingFrame) Append(b []byte) []byte {
	if f.N <= 0 {
		return b
	}
	if n := len(b) + f.N; n <= cap(b) {
		b = b[:n]
		clear(b[n-f.N:])
		return b
	}
	return append(b, make([]byte, f.N)...)
}

// Len returns N.
func (f *PaddingFrame) Len() int { return f.N }

// parse reads a run of padding. b is the input after the first PADDING
// byte; parse returns how many more PADDING bytes start it.
func (f *PaddingFrame) parse(b []byte) int {
	n := 0
	for n < len(b) && b[n] == 0 {
		n++
	}
	f.N = 1 + n
	return n
}

// PingFrame is a PING frame, type 0x01 (RFC 9000, Section 19.2).
type PingFrame struct{}

// Type returns FramePing.
func (f *PingFrame) Type() uint64 { return FramePing }

// Append appends the encoded frame to b.
func (f *PingFrame) Append(b []byte) []byte { return append(b, byte(FramePing)) }

// Len returns 1.
func (f *PingFrame) Len() int { return 1 }

// HandshakeDoneFrame is a HANDSHAKE_DONE frame, type 0x1e
// (RFC 9000, Section 19.20).
type HandshakeDoneFrame struct{}

// Type returns FrameHandshakeDone.
func (f *HandshakeDoneFrame) Type() uint64 { return FrameHandshakeDone }

// Append appends the encoded frame to b.
func (f *HandshakeDoneFrame) Append(b []byte) []byte { return append(b, byte(FrameHandshakeDone)) }

// Len returns 1.
func (f *HandshakeDoneFrame) Len() int { return 1 }

// NewConnectionIDFrame is a NEW_CONNECTION_ID frame, type 0x18
// (RFC 9000, Section 19.15). ConnID must be 1 to 20 bytes long and
// RetirePriorTo must not exceed Seq.
type NewConnectionIDFrame struct {
	Seq           uint64
	RetirePriorTo uint64
	ConnID        []byte
	ResetToken    [16]byte // stateless reset token
}

// Type returns FrameNewConnectionID.
func (f *NewConnectionIDFrame) Type() uint64 { return FrameNewConnectionID }

// Append appends the encoded frame to b.
func (f *NewConnectionIDFrame) Append(b []byte) []byte {
	b = append(b, byte(FrameNewConnectionID))
	b = AppendVarint(b, f.Seq)
	b = AppendVarint(b, f.RetirePriorTo)
	b = append(b, byte(len(f.ConnID)))
	b = append(b, f.ConnID...)
	return append(b, f.ResetToken[:]...)
}

// Len returns the encoded length of f.
func (f *NewConnectionIDFrame) Len() int {
	return 1 + VarintLen(f.Seq) + VarintLen(f.RetirePriorTo) + 1 + len(f.ConnID) + len(f.ResetToken)
}

func (f *NewConnectionIDFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.Seq = r.varint()
	f.RetirePriorTo = r.varint()
	l := r.bytes(1)
	if r.short {
		return 0, errTruncated(typ)
	}
	// RFC 9000, Section 19.15: a length below 1 or above 20 is a
	// FRAME_ENCODING_ERROR.
	if l[0] < 1 || l[0] > MaxConnIDLen {
		return 0, Errorf(FrameEncodingError, typ, "connection ID length %d", l[0])
	}
	f.ConnID = r.bytes(uint64(l[0]))
	token := r.bytes(uint64(len(f.ResetToken)))
	if r.short {
		return 0, errTruncated(typ)
	}
	copy(f.ResetToken[:], token)
	// RFC 9000, Section 19.15: Retire Prior To greater than Sequence
	// Number is a FRAME_ENCODING_ERROR.
	if f.RetirePriorTo > f.Seq {
		return 0, Errorf(FrameEncodingError, typ, "Retire Prior To %d exceeds Sequence Number %d", f.RetirePriorTo, f.Seq)
	}
	return r.off, nil
}

// RetireConnectionIDFrame is a RETIRE_CONNECTION_ID frame, type 0x19
// (RFC 9000, Section 19.16).
type RetireConnectionIDFrame struct {
	Seq uint64
}

// Type returns FrameRetireConnectionID.
func (f *RetireConnectionIDFrame) Type() uint64 { return FrameRetireConnectionID }

// Append appends the encoded frame to b.
func (f *RetireConnectionIDFrame) Append(b []byte) []byte {
	return AppendVarint(append(b, byte(FrameRetireConnectionID)), f.Seq)
}

// Len returns the encoded length of f.
func (f *RetireConnectionIDFrame) Len() int { return 1 + VarintLen(f.Seq) }

func (f *RetireConnectionIDFrame) parse(typ uint64, b []byte) (int, error) {
	v, n := ConsumeVarint(b)
	if n < 0 {
		return 0, errTruncated(typ)
	}
	f.Seq = v
	return n, nil
}

// PathChallengeFrame is a PATH_CHALLENGE frame, type 0x1a
// (RFC 9000, Section 19.17).
type PathChallengeFrame struct {
	Data [8]byte
}

// Type returns FramePathChallenge.
func (f *PathChallengeFrame) Type() uint64 { return FramePathChallenge }

// Append appends the encoded frame to b.
func (f *PathChallengeFrame) Append(b []byte) []byte {
	return append(append(b, byte(FramePathChallenge)), f.Data[:]...)
}

// Len returns 9.
func (f *PathChallengeFrame) Len() int { return 1 + len(f.Data) }

// PathResponseFrame is a PATH_RESPONSE frame, type 0x1b
// (RFC 9000, Section 19.18).
type PathResponseFrame struct {
	Data [8]byte
}

// Type returns FramePathResponse.
func (f *PathResponseFrame) Type() uint64 { return FramePathResponse }

// Append appends the encoded frame to b.
func (f *PathResponseFrame) Append(b []byte) []byte {
	return append(append(b, byte(FramePathResponse)), f.Data[:]...)
}

// Len returns 9.
func (f *PathResponseFrame) Len() int { return 1 + len(f.Data) }

// parsePathData reads the 8-byte Data field of PATH_CHALLENGE and
// PATH_RESPONSE.
func parsePathData(data *[8]byte, typ uint64, b []byte) (int, error) {
	if len(b) < len(data) {
		return 0, errTruncated(typ)
	}
	copy(data[:], b)
	return len(data), nil
}

// ConnectionCloseFrame is a CONNECTION_CLOSE frame (RFC 9000,
// Section 19.19): type 0x1c for QUIC-layer errors, or 0x1d, with App set,
// for application errors. FrameType, the type of the frame that caused the
// error, is carried only by type 0x1c; Append ignores it when App is set
// and FrameParser then leaves it 0.
type ConnectionCloseFrame struct {
	App       bool
	Code      uint64
	FrameType uint64
	Reason    []byte
}

// Type returns FrameConnectionCloseApp if App is set and
// FrameConnectionClose otherwise.
func (f *ConnectionCloseFrame) Type() uint64 {
	if f.App {
		return FrameConnectionCloseApp
	}
	return FrameConnectionClose
}

// Append appends the encoded frame to b.
func (f *ConnectionCloseFrame) Append(b []byte) []byte {
	b = append(b, byte(f.Type()))
	b = AppendVarint(b, f.Code)
	if !f.App {
		b = AppendVarint(b, f.FrameType)
	}
	b = AppendVarint(b, uint64(len(f.Reason)))
	return append(b, f.Reason...)
}

// Len returns the encoded length of f.
func (f *ConnectionCloseFrame) Len() int {
	n := 1 + VarintLen(f.Code) + VarintLen(uint64(len(f.Reason))) + len(f.Reason)
	if !f.App {
		n += VarintLen(f.FrameType)
	}
	return n
}

func (f *ConnectionCloseFrame) parse(typ uint64, b []byte) (int, error) {
	r := frameReader{b: b}
	f.App = typ == FrameConnectionCloseApp
	f.Code = r.varint()
	f.FrameType = 0
	if !f.App {
		f.FrameType = r.varint()
	}
	f.Reason = r.bytes(r.varint())
	if r.short {
		return 0, errTruncated(typ)
	}
	return r.off, nil
}

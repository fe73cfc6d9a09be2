package qpack

// Encoder encodes the field sections one connection sends (RFC 9204,
// Section 2.1). It puts repeated fields in the dynamic table when the peer
// allows one, references entries the peer has not acknowledged only while
// the number of streams that could block stays within the peer's
// SETTINGS_QPACK_BLOCKED_STREAMS, and evicts only entries that are
// acknowledged and no longer referenced by unacknowledged field sections.
type Encoder struct {
	peerMaxTableCapacity uint64
	peerMaxBlocked       uint64

	table dynamicTable
	// refs[i] counts the unacknowledged field sections' references to
	// table.entries[i].
	refs []int
	// byField and byName map a field, and a name, to the absolute index of
	// the newest entry holding it.
	byField map[HeaderField]uint64
	byName  map[string]uint64
	// knownReceived is the Known Received Count (RFC 9204, Section 2.1.4).
	knownReceived uint64
	// sections holds, per stream, the field sections with dynamic table
	// references that the peer has not acknowledged, oldest first.
	sections map[uint64][]section
	// seen remembers fields encoded once, so the second occurrence is
	// inserted; it is cleared when it reaches seenLimit entries.
	seen map[HeaderField]struct{}

	// Test hooks: index decides which fields to insert (nil: the default
	// policy) and noHuffman disables Huffman coding.
	index     func(HeaderField) bool
	noHuffman bool

	in  []byte // partial decoder stream instruction
	out []byte // pending encoder stream instructions
}

// section is one unacknowledged field section with dynamic references.
type section struct {
	ric  uint64   // its Required Insert Count
	refs []uint64 // absolute indices it references, with repeats
}

const seenLimit = 128

// indexedNames are fields worth inserting the first time they are seen:
// they usually repeat on every request or response of a connection.
var indexedNames = map[string]bool{
	":authority":      true,
	"user-agent":      true,
	"server":          true,
	"accept":          true,
	"accept-encoding": true,
	"accept-language": true,
	"content-type":    true,
	"origin":          true,
}

// NewEncoder returns an Encoder. peerMaxTableCapacity and peerMaxBlocked
// come from the peer's SETTINGS (SETTINGS_QPACK_MAX_TABLE_CAPACITY and
// SETTINGS_QPACK_BLOCKED_STREAMS); capacity is the dynamic table capacity
// this encoder uses, at most peerMaxTableCapacity (larger values are
// clamped). With capacity 0 the encoder uses only the static table and
// writes nothing on the encoder stream; otherwise its first encoder stream
// instruction, Set Dynamic Table Capacity, is pending at once.
func NewEncoder(capacity, peerMaxTableCapacity, peerMaxBlocked uint64) *Encoder {
	if peerMaxTableCapacity > maxInt {
		peerMaxTableCapacity = maxInt
	}
	if capacity > peerMaxTableCapacity {
		capacity = peerMaxTableCapacity
	}
	e := &Encoder{
		peerMaxTableCapacity: peerMaxTableCapacity,
		peerMaxBlocked:       peerMaxBlocked,
		byField:              make(map[HeaderField]uint64),
		byName:               make(map[string]uint64),
		sections:             make(map[uint64][]section),
		seen:                 make(map[HeaderField]struct{}),
	}
	if capacity > 0 {
		// RFC 9204, Section 3.2.3: the capacity starts at zero.
		e.table.capacity = capacity
		e.out = appendInt(e.out, 0x20, 5, capacity)
	}
	return e
}

// EncodeHeaders appends the encoded field section for fields, sent on
// streamID, to dst. Encoder instructions it needs accumulate until
// EncoderStream takes them; they must be written on the encoder stream
// before, or together with, the field section on its stream. The error is
// always nil; it is there for future limits.
func (e *Encoder) EncodeHeaders(dst []byte, streamID uint64, fields []HeaderField) ([]byte, error) {
	// A single-pass encoding (RFC 9204, Appendix C): the Base is the
	// Insert Count before this section; entries inserted while encoding
	// it are referenced with post-base indices.
	base := e.table.insertCount()
	// RFC 9204, Section 2.1.2: referencing an unacknowledged entry may
	// block this stream; allow it if the stream may block already or
	// another stream may still block.
	mayBlock := e.blocking(streamID) || e.blockedStreams() < e.peerMaxBlocked
	var sec section
	var lines []byte
	for _, f := range fields {
		lines = e.appendField(lines, f, base, mayBlock, &sec)
	}
	if len(sec.refs) == 0 {
		dst = append(dst, 0, 0) // Required Insert Count 0, Base 0
		return append(dst, lines...), nil
	}
	for _, abs := range sec.refs {
		if abs+1 > sec.ric {
			sec.ric = abs + 1
		}
	}
	e.sections[streamID] = append(e.sections[streamID], sec)
	// RFC 9204, Section 4.5.1.1.
	fullRange := 2 * maxEntries(e.peerMaxTableCapacity)
	dst = appendInt(dst, 0, 8, sec.ric%fullRange+1)
	// RFC 9204, Section 4.5.1.2.
	if base >= sec.ric {
		dst = appendInt(dst, 0x00, 7, base-sec.ric)
	} else {
		dst = appendInt(dst, 0x80, 7, sec.ric-base-1)
	}
	return append(dst, lines...), nil
}

// appendField appends the representation of f: an index into the static
// table or the dynamic table if one holds f, or a literal, with a name
// reference if a table holds the name. It may insert f first.
func (e *Encoder) appendField(b []byte, f HeaderField, base uint64, mayBlock bool, sec *section) []byte {
	key := HeaderField{Name: f.Name, Value: f.Value}
	if !f.NeverIndex {
		if idx, ok := staticIndex[key]; ok {
			return appendInt(b, 0xc0, 6, idx) // Section 4.5.2, T=1
		}
		if abs, ok := e.byField[key]; ok && e.usable(abs, mayBlock) {
			return e.appendIndexed(b, abs, base, sec)
		}
		if e.shouldInsert(key) {
			if abs, ok := e.insert(key); ok && e.usable(abs, mayBlock) {
				return e.appendIndexed(b, abs, base, sec)
			}
		}
	}
	var n byte
	if f.NeverIndex {
		n = 0x20
	}
	if idx, ok := staticNameIndex[f.Name]; ok {
		b = appendInt(b, 0x50|n, 4, idx) // Section 4.5.4, T=1
		return e.appendString(b, 0, 8, f.Value)
	}
	if abs, ok := e.byName[f.Name]; ok && e.usable(abs, mayBlock) {
		e.ref(abs, sec)
		if abs < base {
			b = appendInt(b, 0x40|n, 4, base-1-abs) // Section 4.5.4, T=0
		} else {
			b = appendInt(b, n>>2, 3, abs-base) // Section 4.5.5
		}
		return e.appendString(b, 0, 8, f.Value)
	}
	b = e.appendString(b, 0x20|n>>1, 4, f.Name) // Section 4.5.6
	return e.appendString(b, 0, 8, f.Value)
}

// appendIndexed appends an Indexed Field Line for dynamic entry abs.
func (e *Encoder) appendIndexed(b []byte, abs, base uint64, sec *section) []byte {
	e.ref(abs, sec)
	if abs < base {
		return appendInt(b, 0x80, 6, base-1-abs) // Section 4.5.2, T=0
	}
	return appendInt(b, 0x10, 4, abs-base) // Section 4.5.3
}

func (e *Encoder) appendString(b []byte, first byte, n uint8, s string) []byte {
	if e.noHuffman {
		b = appendInt(b, first, n-1, uint64(len(s)))
		return append(b, s...)
	}
	return appendString(b, first, n, s)
}

// usable reports whether a field section may reference entry abs: it is
// in the table, and acknowledged unless the section may block.
func (e *Encoder) usable(abs uint64, mayBlock bool) bool {
	if _, ok := e.table.entry(abs); !ok {
		return false
	}
	return abs < e.knownReceived || mayBlock
}

func (e *Encoder) ref(abs uint64, sec *section) {
	e.refs[abs-e.table.dropped]++
	sec.refs = append(sec.refs, abs)
}

// shouldInsert is the insertion policy: fields that usually repeat, and
// others the second time they are seen, if they take at most three
// quarters of the table.
func (e *Encoder) shouldInsert(f HeaderField) bool {
	if e.table.capacity == 0 || f.Size() > e.table.capacity/4*3 {
		return e.index != nil && e.index(f) && f.Size() <= e.table.capacity
	}
	if e.index != nil {
		return e.index(f)
	}
	if indexedNames[f.Name] {
		return true
	}
	if _, ok := e.seen[f]; ok {
		return true
	}
	if len(e.seen) >= seenLimit {
		clear(e.seen)
	}
	e.seen[f] = struct{}{}
	return false
}

// insert queues an Insert instruction for f, if it fits after evicting
// only evictable entries (RFC 9204, Section 2.1.1), and returns the new
// entry's absolute index. The name is referenced from the static table or
// the dynamic table when possible; a dynamic name reference to an entry
// this insertion evicts is allowed (Section 3.2.2).
func (e *Encoder) insert(f HeaderField) (uint64, bool) {
	if !e.makeRoom(f.Size()) {
		return 0, false
	}
	if idx, ok := staticNameIndex[f.Name]; ok {
		e.out = appendInt(e.out, 0xc0, 6, idx) // Section 4.3.2, T=1
	} else if abs, ok := e.byName[f.Name]; ok {
		e.out = appendInt(e.out, 0x80, 6, e.table.insertCount()-1-abs) // T=0
	} else {
		e.out = e.appendString(e.out, 0x40, 6, f.Name) // Section 4.3.3
	}
	e.out = e.appendString(e.out, 0, 8, f.Value)
	return e.add(f), true
}

// duplicate queues a Duplicate instruction (RFC 9204, Section 4.3.4) for
// entry abs, if there is room, and returns the new entry's index.
func (e *Encoder) duplicate(abs uint64) (uint64, bool) {
	f, ok := e.table.entry(abs)
	if !ok || !e.makeRoom(f.Size()) {
		return 0, false
	}
	e.out = appendInt(e.out, 0x00, 5, e.table.insertCount()-1-abs)
	return e.add(f), true
}

// makeRoom evicts the oldest entries until size more bytes fit, if they
// can all be evicted: acknowledged and without outstanding references.
func (e *Encoder) makeRoom(size uint64) bool {
	if size > e.table.capacity {
		return false
	}
	free := e.table.capacity - e.table.size
	n := 0
	for free < size {
		abs := e.table.dropped + uint64(n)
		if abs >= e.knownReceived || e.refs[n] > 0 {
			return false
		}
		free += e.table.entries[n].Size()
		n++
	}
	for i := 0; i < n; i++ {
		abs := e.table.dropped + uint64(i)
		f := e.table.entries[i]
		if e.byField[f] == abs {
			delete(e.byField, f)
		}
		if e.byName[f.Name] == abs {
			delete(e.byName, f.Name)
		}
	}
	e.table.evictTo(e.table.capacity - size) // exactly the n entries
	e.refs = e.refs[n:]
	return true
}

// add appends f to the table, which has room, and indexes it.
func (e *Encoder) add(f HeaderField) uint64 {
	e.table.add(f)
	e.refs = append(e.refs, 0)
	abs := e.table.insertCount() - 1
	e.byField[f] = abs
	e.byName[f.Name] = abs
	return abs
}

// blocking reports whether a field section on streamID could block at the
// decoder: it references an entry the peer has not acknowledged.
func (e *Encoder) blocking(streamID uint64) bool {
	for _, s := range e.sections[streamID] {
		if s.ric > e.knownReceived {
			return true
		}
	}
	return false
}

// blockedStreams counts the streams that could be blocked at the decoder.
func (e *Encoder) blockedStreams() uint64 {
	var n uint64
	for id := range e.sections {
		if e.blocking(id) {
			n++
		}
	}
	return n
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
	if len(e.in) > 0 {
		e.in = append(e.in, b...)
		b = e.in
	}
	for len(b) > 0 {
		n, err := e.instruction(b)
		if err == errShort {
			break
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	// A partial instruction is one unfinished integer: at most 10 bytes.
	e.in = append(e.in[:0], b...)
	if len(e.in) == 0 {
		e.in = nil
	}
	return nil
}

func (e *Encoder) instruction(b []byte) (int, error) {
	const code = ErrCodeDecoderStreamError
	c := b[0]
	switch {
	case c&0x80 != 0: // Section Acknowledgment, Section 4.4.1
		id, n, err := consumeInt(b, 7, code)
		if err != nil {
			return 0, err
		}
		secs := e.sections[id]
		if len(secs) == 0 {
			return 0, errorf(code, "Section Acknowledgment for stream %d with no unacknowledged field section", id)
		}
		e.release(secs[0])
		if secs[0].ric > e.knownReceived {
			e.knownReceived = secs[0].ric // Section 2.1.4
		}
		if len(secs) == 1 {
			delete(e.sections, id)
		} else {
			e.sections[id] = secs[1:]
		}
		return n, nil
	case c&0x40 != 0: // Stream Cancellation, Section 4.4.2
		id, n, err := consumeInt(b, 6, code)
		if err != nil {
			return 0, err
		}
		for _, s := range e.sections[id] {
			e.release(s)
		}
		delete(e.sections, id)
		return n, nil
	default: // Insert Count Increment, Section 4.4.3
		inc, n, err := consumeInt(b, 6, code)
		if err != nil {
			return 0, err
		}
		if inc == 0 || inc > e.table.insertCount()-e.knownReceived {
			return 0, errorf(code, "Insert Count Increment of %d with %d entries unacknowledged", inc, e.table.insertCount()-e.knownReceived)
		}
		e.knownReceived += inc
		return n, nil
	}
}

// release drops a field section's references.
func (e *Encoder) release(s section) {
	for _, abs := range s.refs {
		// Referenced entries cannot have been evicted.
		e.refs[abs-e.table.dropped]--
	}
}

// StreamCancelled tells the encoder that streamID was reset. The field
// sections sent on it keep their references until the peer's decoder
// acknowledges or cancels them on the decoder stream (RFC 9204, Sections
// 2.1.1 and 4.4.2): the peer may still decode a section it already
// received, so releasing the entries early could let them be evicted from
// under it.
func (e *Encoder) StreamCancelled(streamID uint64) {}

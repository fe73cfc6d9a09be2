package qpack

// HeaderField is one field line. NeverIndex marks a value that must not be
// put in a dynamic table by this or any intermediary's encoder (RFC 9204,
// Section 7.1.3), such as a credential; it is encoded as a literal with the
// 'N' bit set.
type HeaderField struct {
	Name, Value string
	NeverIndex  bool
}

// Size is the field's size as counted against the dynamic table capacity
// (RFC 9204, Section 3.2.1) and the field section size limit (RFC 9114,
// Section 4.2.2): the lengths of name and value plus 32.
func (f HeaderField) Size() uint64 {
	return uint64(len(f.Name)) + uint64(len(f.Value)) + entryOverhead
}

// entryOverhead is the per-entry overhead, RFC 9204, Section 3.2.1.
const entryOverhead = 32

// dynamicTable is the dynamic table (RFC 9204, Section 3.2) as both ends
// see it: entries in insertion order, the oldest first.
type dynamicTable struct {
	entries  []HeaderField // entries[i] has absolute index dropped+i
	dropped  uint64        // number of entries evicted so far
	size     uint64        // sum of the entries' sizes
	capacity uint64
}

// insertCount is the total number of insertions (RFC 9204, Section 3.2.4).
func (t *dynamicTable) insertCount() uint64 {
	return t.dropped + uint64(len(t.entries))
}

// entry returns the entry with absolute index abs, if it is in the table.
func (t *dynamicTable) entry(abs uint64) (HeaderField, bool) {
	if abs < t.dropped || abs >= t.insertCount() {
		return HeaderField{}, false
	}
	return t.entries[abs-t.dropped], true
}

// evictTo evicts the oldest entries until size <= target.
func (t *dynamicTable) evictTo(target uint64) {
	n := 0
	for t.size > target {
		t.size -= t.entries[n].Size()
		t.entries[n] = HeaderField{}
		n++
	}
	t.entries = t.entries[n:]
	t.dropped += uint64(n)
}

// add evicts as needed and inserts f, which must fit in the capacity.
func (t *dynamicTable) add(f HeaderField) {
	f.NeverIndex = false
	t.evictTo(t.capacity - f.Size())
	t.entries = append(t.entries, f)
	t.size += f.Size()
}

// setCapacity sets the capacity, evicting entries that no longer fit.
func (t *dynamicTable) setCapacity(c uint64) {
	t.capacity = c
	t.evictTo(c)
}

// maxEntries is MaxEntries of RFC 9204, Section 4.5.1.1, for a maximum
// table capacity.
func maxEntries(maxCapacity uint64) uint64 { return maxCapacity / entryOverhead }

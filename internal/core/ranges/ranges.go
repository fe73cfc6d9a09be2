// Package ranges implements a set of uint64 values stored as sorted,
// disjoint half-open intervals. The connection core uses it for the packet
// numbers it has received (to build ACK frames, RFC 9000, Section 13.2) and
// for the byte ranges of stream data that have been received, acknowledged
// or lost.
package ranges

import "sort"

// A Range is the half-open interval [Start, End). A Range with End <= Start
// is empty.
type Range struct {
	Start, End uint64
}

// Len returns the number of values in r.
func (r Range) Len() uint64 {
	if r.End <= r.Start {
		return 0
	}
	return r.End - r.Start
}

// A Set is a set of uint64 values held as ranges that are sorted in
// ascending order, non-empty, disjoint and not adjacent: two ranges that
// touch are merged into one.
//
// The ranges live in one slice that is reused: once it has grown to the
// number of ranges the set needs, no method allocates. Adding at or after
// the end of the set, the common case for packet numbers and in-order
// stream data, takes constant time. Other updates use a binary search and
// shift the ranges after the insertion point.
//
// The zero Set is empty and ready to use. A Set must not be copied after
// first use.
type Set struct {
	r []Range
}

// Len returns the number of ranges in s.
func (s *Set) Len() int { return len(s.r) }

// At returns the i-th range in ascending order, 0 <= i < s.Len().
func (s *Set) At(i int) Range { return s.r[i] }

// Ranges returns the ranges of s in ascending order. The slice is a view
// into s: the caller must not modify it, and it is valid only until the
// next call that modifies s.
func (s *Set) Ranges() []Range { return s.r }

// Min returns the smallest value in s, or 0 if s is empty.
func (s *Set) Min() uint64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[0].Start
}

// Max returns one more than the largest value in s (the End of the last
// range), or 0 if s is empty.
func (s *Set) Max() uint64 {
	if len(s.r) == 0 {
		return 0
	}
	return s.r[len(s.r)-1].End
}

// Clear removes every value from s and keeps the memory for reuse.
func (s *Set) Clear() { s.r = s.r[:0] }

// Contains reports whether v is in s.
func (s *Set) Contains(v uint64) bool {
	i := s.firstEndAfter(v)
	return i < len(s.r) && s.r[i].Start <= v
}

// ContainsRange reports whether every value of [start, end) is in s. An
// empty range is contained in any set.
func (s *Set) ContainsRange(start, end uint64) bool {
	if start >= end {
		return true
	}
	i := s.firstEndAfter(start)
	return i < len(s.r) && s.r[i].Start <= start && s.r[i].End >= end
}

// Adjoins reports whether [start, end) overlaps or touches a range of s,
// that is, whether Add(start, end) would extend an existing range rather
// than insert a new one. It reports false for an empty range.
func (s *Set) Adjoins(start, end uint64) bool {
	if start >= end {
		return false
	}
	i := s.firstEndAtOrAfter(start)
	return i < len(s.r) && s.r[i].Start <= end
}

// Add inserts the values [start, end) into s. It does nothing if
// start >= end.
func (s *Set) Add(start, end uint64) {
	if start >= end {
		return
	}
	// Fast paths: append after the last range or extend it.
	if n := len(s.r); n == 0 || start > s.r[n-1].End {
		s.r = append(s.r, Range{start, end})
		return
	} else if last := &s.r[n-1]; start >= last.Start {
		last.End = max(last.End, end)
		return
	}
	// Ranges i..j-1 overlap or touch [start, end): those with End >= start
	// and Start <= end.
	i := s.firstEndAtOrAfter(start)
	j := i + sort.Search(len(s.r)-i, func(k int) bool { return s.r[i+k].Start > end })
	if i == j {
		s.r = append(s.r, Range{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = Range{start, end}
		return
	}
	s.r[i] = Range{min(start, s.r[i].Start), max(end, s.r[j-1].End)}
	s.r = append(s.r[:i+1], s.r[j:]...)
}

// Remove deletes the values [start, end) from s, splitting a range in two
// if the interval lies inside it. It does nothing if start >= end.
func (s *Set) Remove(start, end uint64) {
	if start >= end {
		return
	}
	// Ranges i..j-1 overlap [start, end): those with End > start and
	// Start < end.
	i := s.firstEndAfter(start)
	j := i + sort.Search(len(s.r)-i, func(k int) bool { return s.r[i+k].Start >= end })
	if i == j {
		return
	}
	first, last := s.r[i], s.r[j-1]
	keepLeft := first.Start < start
	keepRight := last.End > end
	switch {
	case keepLeft && keepRight && i+1 == j:
		// [start, end) is strictly inside one range: split it.
		s.r = append(s.r, Range{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i].End = start
		s.r[i+1].Start = end
		return
	case keepLeft && keepRight:
		s.r[i].End = start
		s.r[j-1].Start = end
		s.r = append(s.r[:i+1], s.r[j-1:]...)
	case keepLeft:
		s.r[i].End = start
		s.r = append(s.r[:i+1], s.r[j:]...)
	case keepRight:
		s.r[j-1].Start = end
		s.r = append(s.r[:i], s.r[j-1:]...)
	default:
		s.r = append(s.r[:i], s.r[j:]...)
	}
}

// RemoveBelow deletes every value smaller than v from s.
func (s *Set) RemoveBelow(v uint64) {
	i := s.firstEndAfter(v)
	if i > 0 {
		s.r = s.r[:copy(s.r, s.r[i:])]
	}
	if len(s.r) > 0 && s.r[0].Start < v {
		s.r[0].Start = v
	}
}

// firstEndAfter returns the index of the first range with End > v, or
// s.Len() if there is none: the only range that can contain v.
func (s *Set) firstEndAfter(v uint64) int {
	return sort.Search(len(s.r), func(i int) bool { return s.r[i].End > v })
}

// firstEndAtOrAfter returns the index of the first range with End >= v, or
// s.Len() if there is none: the first range that contains or touches v.
func (s *Set) firstEndAtOrAfter(v uint64) int {
	return sort.Search(len(s.r), func(i int) bool { return s.r[i].End >= v })
}

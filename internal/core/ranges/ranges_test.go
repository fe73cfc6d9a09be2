package ranges

import (
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// op is one step applied to a Set in a test: Add, Remove or RemoveBelow.
type op struct {
	kind       byte // 'a' Add, 'r' Remove, 'b' RemoveBelow (uses start)
	start, end uint64
}

func apply(s *Set, ops []op) {
	for _, o := range ops {
		switch o.kind {
		case 'a':
			s.Add(o.start, o.end)
		case 'r':
			s.Remove(o.start, o.end)
		case 'b':
			s.RemoveBelow(o.start)
		}
	}
}

func add(start, end uint64) op    { return op{'a', start, end} }
func remove(start, end uint64) op { return op{'r', start, end} }
func below(v uint64) op           { return op{'b', v, 0} }

func TestSet(t *testing.T) {
	tests := []struct {
		name string
		ops  []op
		want []Range
	}{
		{"empty", nil, nil},
		{"empty add ignored", []op{add(5, 5), add(7, 3)}, nil},
		{"one", []op{add(1, 3)}, []Range{{1, 3}}},
		{"in order disjoint", []op{add(1, 3), add(5, 7)}, []Range{{1, 3}, {5, 7}}},
		{"in order adjacent merges", []op{add(1, 3), add(3, 7)}, []Range{{1, 7}}},
		{"in order overlapping", []op{add(1, 5), add(3, 7)}, []Range{{1, 7}}},
		{"inside last", []op{add(1, 9), add(3, 4)}, []Range{{1, 9}}},
		{"before first", []op{add(5, 7), add(1, 3)}, []Range{{1, 3}, {5, 7}}},
		{"adjacent before first", []op{add(5, 7), add(1, 5)}, []Range{{1, 7}}},
		{"gap filled", []op{add(1, 3), add(5, 7), add(3, 5)}, []Range{{1, 7}}},
		{"insert in middle", []op{add(1, 3), add(9, 11), add(5, 7)}, []Range{{1, 3}, {5, 7}, {9, 11}}},
		{"covers many", []op{add(2, 3), add(5, 6), add(8, 9), add(11, 12), add(1, 10)},
			[]Range{{1, 10}, {11, 12}}},
		{"covers all", []op{add(2, 3), add(5, 6), add(8, 9), add(0, 100)}, []Range{{0, 100}}},
		{"extends first left and right", []op{add(5, 6), add(10, 12), add(3, 8)},
			[]Range{{3, 8}, {10, 12}}},
		{"touches two", []op{add(1, 3), add(5, 7), add(9, 11), add(3, 9)}, []Range{{1, 11}}},
		{"max uint64", []op{add(1<<64-2, 1<<64-1), add(0, 1)}, []Range{{0, 1}, {1<<64 - 2, 1<<64 - 1}}},

		{"remove none", []op{add(1, 3), remove(5, 7)}, []Range{{1, 3}}},
		{"remove empty", []op{add(1, 3), remove(2, 2)}, []Range{{1, 3}}},
		{"remove all", []op{add(1, 3), remove(0, 9)}, nil},
		{"remove exact", []op{add(1, 3), add(5, 7), remove(1, 3)}, []Range{{5, 7}}},
		{"remove split", []op{add(1, 9), remove(3, 5)}, []Range{{1, 3}, {5, 9}}},
		{"remove split middle of many", []op{add(0, 1), add(2, 9), add(10, 11), remove(3, 5)},
			[]Range{{0, 1}, {2, 3}, {5, 9}, {10, 11}}},
		{"remove left part", []op{add(1, 9), remove(0, 4)}, []Range{{4, 9}}},
		{"remove right part", []op{add(1, 9), remove(4, 20)}, []Range{{1, 4}}},
		{"remove across", []op{add(1, 3), add(5, 7), add(9, 11), remove(2, 10)},
			[]Range{{1, 2}, {10, 11}}},
		{"remove across whole inner", []op{add(1, 3), add(5, 7), add(9, 11), remove(3, 9)},
			[]Range{{1, 3}, {9, 11}}},
		{"remove keep left only", []op{add(1, 3), add(5, 7), remove(2, 7)}, []Range{{1, 2}}},
		{"remove keep right only", []op{add(1, 3), add(5, 7), remove(0, 6)}, []Range{{6, 7}}},
		{"remove in gap", []op{add(1, 3), add(5, 7), remove(3, 5)}, []Range{{1, 3}, {5, 7}}},

		{"below nothing", []op{add(5, 7), below(3)}, []Range{{5, 7}}},
		{"below at start", []op{add(5, 7), below(5)}, []Range{{5, 7}}},
		{"below clips", []op{add(5, 7), below(6)}, []Range{{6, 7}}},
		{"below at end drops", []op{add(5, 7), add(9, 10), below(7)}, []Range{{9, 10}}},
		{"below drops many", []op{add(1, 2), add(3, 4), add(5, 7), add(9, 10), below(6)},
			[]Range{{6, 7}, {9, 10}}},
		{"below all", []op{add(1, 2), add(3, 4), below(100)}, nil},
		{"reuse after below", []op{add(1, 2), add(3, 4), below(100), add(200, 201)},
			[]Range{{200, 201}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Set
			apply(&s, tt.ops)
			if diff := cmp.Diff(tt.want, s.Ranges(), cmpEmpty); diff != "" {
				t.Errorf("ranges (-want +got):\n%s", diff)
			}
			if s.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", s.Len(), len(tt.want))
			}
			for i, r := range tt.want {
				if got := s.At(i); got != r {
					t.Errorf("At(%d) = %v, want %v", i, got, r)
				}
			}
			var wantMin, wantMax uint64
			if len(tt.want) > 0 {
				wantMin, wantMax = tt.want[0].Start, tt.want[len(tt.want)-1].End
			}
			if s.Min() != wantMin || s.Max() != wantMax {
				t.Errorf("Min, Max = %d, %d, want %d, %d", s.Min(), s.Max(), wantMin, wantMax)
			}
		})
	}
}

// cmpEmpty treats nil and empty slices as equal.
var cmpEmpty = cmp.Comparer(func(a, b []Range) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
})

func TestQueries(t *testing.T) {
	var s Set
	s.Add(10, 20)
	s.Add(30, 40)
	tests := []struct {
		start, end            uint64
		contains, containsRng bool // Contains(start), ContainsRange(start, end)
		adjoins               bool
	}{
		{0, 5, false, false, false},
		{5, 10, false, false, true},
		{9, 10, false, false, true},
		{10, 11, true, true, true},
		{10, 20, true, true, true},
		{10, 21, true, false, true},
		{15, 35, true, false, true},
		{19, 20, true, true, true},
		{20, 21, false, false, true},
		{21, 29, false, false, false},
		{21, 30, false, false, true},
		{39, 40, true, true, true},
		{40, 41, false, false, true},
		{41, 50, false, false, false},
		{12, 12, true, true, false}, // empty range
	}
	for _, tt := range tests {
		if got := s.Contains(tt.start); got != tt.contains {
			t.Errorf("Contains(%d) = %v, want %v", tt.start, got, tt.contains)
		}
		if got := s.ContainsRange(tt.start, tt.end); got != tt.containsRng {
			t.Errorf("ContainsRange(%d, %d) = %v, want %v", tt.start, tt.end, got, tt.containsRng)
		}
		if got := s.Adjoins(tt.start, tt.end); got != tt.adjoins {
			t.Errorf("Adjoins(%d, %d) = %v, want %v", tt.start, tt.end, got, tt.adjoins)
		}
	}
	var empty Set
	if empty.Contains(0) || empty.ContainsRange(0, 1) || empty.Adjoins(0, 1) {
		t.Errorf("empty set reports containing something")
	}
	if !empty.ContainsRange(3, 3) {
		t.Errorf("empty set does not contain the empty range")
	}
}

// model is a bitmap over [0, modelSize) used to check Set.
const modelSize = 200

type model [modelSize]bool

func (m *model) ranges() []Range {
	var r []Range
	for i := 0; i < modelSize; i++ {
		if !m[i] {
			continue
		}
		if n := len(r); n > 0 && r[n-1].End == uint64(i) {
			r[n-1].End++
		} else {
			r = append(r, Range{uint64(i), uint64(i) + 1})
		}
	}
	return r
}

func (m *model) apply(o op) {
	switch o.kind {
	case 'a':
		for i := o.start; i < o.end; i++ {
			m[i] = true
		}
	case 'r':
		for i := o.start; i < o.end; i++ {
			m[i] = false
		}
	case 'b':
		for i := uint64(0); i < o.start; i++ {
			m[i] = false
		}
	}
}

// checkAgainstModel applies ops to a Set and a model and compares them after
// every step.
func checkAgainstModel(t *testing.T, ops []op) {
	t.Helper()
	var s Set
	var m model
	for i, o := range ops {
		apply(&s, []op{o})
		m.apply(o)
		if diff := cmp.Diff(m.ranges(), s.Ranges(), cmpEmpty); diff != "" {
			t.Fatalf("after %d ops, last %c[%d,%d) (-want +got):\n%s", i+1, o.kind, o.start, o.end, diff)
		}
		for v := uint64(0); v < modelSize; v++ {
			if s.Contains(v) != m[v] {
				t.Fatalf("after %d ops: Contains(%d) = %v, want %v", i+1, v, s.Contains(v), m[v])
			}
		}
	}
}

func TestSetRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 200; iter++ {
		ops := make([]op, 50)
		for i := range ops {
			a, b := rng.Uint64N(modelSize), rng.Uint64N(modelSize)
			if a > b {
				a, b = b, a
			}
			switch k := rng.IntN(10); {
			case k < 6:
				ops[i] = add(a, min(b, a+rng.Uint64N(20)))
			case k < 9:
				ops[i] = remove(a, min(b, a+rng.Uint64N(20)))
			default:
				ops[i] = below(a / 4)
			}
		}
		checkAgainstModel(t, ops)
	}
}

func FuzzSet(f *testing.F) {
	f.Add([]byte{0, 1, 5, 0, 9, 3, 1, 2, 2, 2, 4, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ops []op
		for ; len(b) >= 3; b = b[3:] {
			a, c := uint64(b[1])%modelSize, uint64(b[2])%modelSize
			if a > c {
				a, c = c, a
			}
			ops = append(ops, op{"arb"[b[0]%3], a, c})
		}
		checkAgainstModel(t, ops)
	})
}

func TestAllocs(t *testing.T) {
	var s Set
	// Warm up: grow the slice to hold the ranges the loops below create.
	for i := uint64(0); i < 64; i++ {
		s.Add(2*i, 2*i+1)
	}
	s.Clear()
	var pn uint64
	tests := []struct {
		name string
		f    func()
	}{
		{"add in order", func() { s.Add(pn, pn+1); pn++ }},
		{"add with gap and remove below", func() {
			s.Add(pn+1, pn+2) // leaves a hole at pn
			s.RemoveBelow(pn - 8)
			pn += 2
		}},
		{"add out of order and remove", func() {
			s.Add(pn+4, pn+5)
			s.Add(pn, pn+1)
			s.Add(pn+2, pn+3)
			s.Remove(pn+2, pn+3)
			s.RemoveBelow(pn)
			pn += 6
		}},
	}
	for _, tt := range tests {
		pn += 100
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
}

func BenchmarkAddInOrder(b *testing.B) {
	var s Set
	var pn uint64
	for b.Loop() {
		s.Add(pn, pn+1)
		pn++
		if pn%2 == 0 {
			pn++ // a hole every other packet: the worst case for ACK ranges
		}
		if s.Len() > 32 {
			s.RemoveBelow(s.At(s.Len() - 32).Start)
		}
	}
}

package streambuf

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// recvStep is one step of a RecvBuffer scenario: an insert of pattern
// bytes [offset, offset+n) with fin, expecting error code wantErr (or none),
// or a read of up to n bytes expecting the readable count before it and the
// read result.
type recvStep struct {
	read     bool
	offset   uint64
	n        int
	fin      bool
	wantErr  *wire.ErrorCode
	readable int        // for reads: Readable() before reading
	want     readResult // for reads
}

type readResult struct {
	Offset uint64 // ReadOffset before the read
	N      int
	Fin    bool
}

func ins(off uint64, n int, fin bool) recvStep {
	return recvStep{offset: off, n: n, fin: fin}
}

func insErr(off uint64, n int, fin bool, code wire.ErrorCode) recvStep {
	return recvStep{offset: off, n: n, fin: fin, wantErr: &code}
}

func rd(max, readable int, off uint64, n int, fin bool) recvStep {
	return recvStep{read: true, n: max, readable: readable, want: readResult{off, n, fin}}
}

func TestRecvBuffer(t *testing.T) {
	tests := []struct {
		name  string
		steps []recvStep
	}{{
		name:  "empty",
		steps: []recvStep{rd(10, 0, 0, 0, false)},
	}, {
		name: "in order",
		steps: []recvStep{
			ins(0, 10, false), ins(10, 10, false),
			rd(15, 20, 0, 15, false),
			ins(20, 5, true),
			rd(100, 10, 15, 10, true),
			rd(100, 0, 25, 0, true),
		},
	}, {
		name: "reordered",
		steps: []recvStep{
			ins(20, 10, true), ins(10, 10, false),
			rd(100, 0, 0, 0, false),
			ins(0, 10, false),
			rd(100, 30, 0, 30, true),
		},
	}, {
		name: "duplicated",
		steps: []recvStep{
			ins(0, 10, false), ins(0, 10, false),
			rd(5, 10, 0, 5, false),
			ins(0, 10, false), // partly read already
			rd(100, 5, 5, 5, false),
			ins(0, 10, false), // all read already
			rd(100, 0, 10, 0, false),
		},
	}, {
		name: "overlapping",
		steps: []recvStep{
			ins(10, 10, false), ins(30, 10, false),
			ins(5, 40, false),
			ins(0, 8, false),
			rd(100, 45, 0, 45, false),
		},
	}, {
		name: "empty fin",
		steps: []recvStep{
			ins(0, 0, true),
			rd(10, 0, 0, 0, true),
		},
	}, {
		name: "fin alone after data",
		steps: []recvStep{
			ins(0, 10, false),
			rd(100, 10, 0, 10, false),
			ins(10, 0, true),
			rd(100, 0, 10, 0, true),
		},
	}, {
		name: "fin before data read",
		steps: []recvStep{
			ins(10, 0, true),
			rd(100, 0, 0, 0, false),
			ins(0, 10, false),
			rd(100, 10, 0, 10, true),
		},
	}, {
		name:  "same fin twice",
		steps: []recvStep{ins(0, 10, true), ins(5, 5, true), ins(0, 10, true)},
	}, {
		name:  "data below final size after fin",
		steps: []recvStep{ins(5, 5, true), ins(0, 5, false), rd(100, 10, 0, 10, true)},
	}, {
		name:  "final size changed up",
		steps: []recvStep{ins(0, 10, true), insErr(0, 11, true, wire.FinalSizeError)},
	}, {
		name:  "final size changed down",
		steps: []recvStep{ins(0, 10, true), insErr(0, 9, true, wire.FinalSizeError)},
	}, {
		name:  "data beyond final size",
		steps: []recvStep{ins(0, 10, true), insErr(10, 1, false, wire.FinalSizeError)},
	}, {
		name:  "empty frame beyond final size",
		steps: []recvStep{ins(0, 10, true), insErr(11, 0, false, wire.FinalSizeError)},
	}, {
		name:  "fin below data received",
		steps: []recvStep{ins(0, 20, false), insErr(0, 10, true, wire.FinalSizeError)},
	}, {
		name:  "fin below data read",
		steps: []recvStep{ins(0, 20, false), rd(20, 20, 0, 20, false), insErr(0, 10, true, wire.FinalSizeError)},
	}, {
		name:  "beyond 2^62-1",
		steps: []recvStep{insErr(wire.MaxVarint, 1, false, wire.FrameEncodingError)},
	}, {
		name: "up to 2^62-1",
		steps: []recvStep{
			ins(wire.MaxVarint-3, 3, true),
			rd(10, 0, 0, 0, false),
		},
	}, {
		name: "across chunks",
		steps: []recvStep{
			ins(chunkSize-100, 3*chunkSize, false),
			ins(0, chunkSize-100, false),
			rd(2*chunkSize, 4*chunkSize-100, 0, 2*chunkSize, false),
			ins(4*chunkSize-100, 100, true),
			rd(4*chunkSize, 2*chunkSize, 2*chunkSize, 2*chunkSize, true),
		},
	}, {
		name: "far out of order",
		steps: []recvStep{
			ins(10*chunkSize+5, 10, false),
			ins(0, 10, false),
			rd(100, 10, 0, 10, false),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b RecvBuffer
			for i, s := range tt.steps {
				runRecvStep(t, &b, s, fmt.Sprintf("step %d", i))
			}
		})
	}
}

func runRecvStep(t *testing.T, b *RecvBuffer, s recvStep, where string) {
	t.Helper()
	if !s.read {
		err := b.Insert(s.offset, pattern(s.offset, s.n), s.fin)
		var te *wire.TransportError
		switch {
		case s.wantErr == nil && err != nil:
			t.Fatalf("%s: Insert(%d, %d bytes, %v) = %v, want nil", where, s.offset, s.n, s.fin, err)
		case s.wantErr != nil && !errors.As(err, &te):
			t.Fatalf("%s: Insert(%d, %d bytes, %v) = %v, want %v", where, s.offset, s.n, s.fin, err, *s.wantErr)
		case s.wantErr != nil && te.Code != *s.wantErr:
			t.Fatalf("%s: Insert(%d, %d bytes, %v) = %v, want %v", where, s.offset, s.n, s.fin, err, *s.wantErr)
		}
		return
	}
	if got := b.Readable(); got != s.readable {
		t.Fatalf("%s: Readable() = %d, want %d", where, got, s.readable)
	}
	off := b.ReadOffset()
	p := make([]byte, s.n)
	n, fin := b.Read(p)
	if diff := cmp.Diff(s.want, readResult{off, n, fin}); diff != "" {
		t.Fatalf("%s: Read (-want +got):\n%s", where, diff)
	}
	if !bytes.Equal(p[:n], pattern(off, n)) {
		t.Fatalf("%s: Read returned wrong bytes", where)
	}
}

func TestRecvBufferKeepsFirstCopy(t *testing.T) {
	var b RecvBuffer
	for _, f := range []struct {
		off  uint64
		data string
	}{
		{2, "aaaa"},
		{0, "bbbbbbbb"},
		{7, "cccc"},
		{5, "dddddddddd"},
	} {
		if err := b.Insert(f.off, []byte(f.data), false); err != nil {
			t.Fatal(err)
		}
	}
	p := make([]byte, 100)
	n, _ := b.Read(p)
	if got, want := string(p[:n]), "bbaaaabbcccdddd"; got != want {
		t.Errorf("Read = %q, want %q", got, want)
	}
}

func TestRecvBufferOffsets(t *testing.T) {
	var b RecvBuffer
	mustInsert(t, &b, 100, 10, false)
	mustInsert(t, &b, 0, 50, false)
	b.Read(make([]byte, 20))
	size, known := b.FinalSize()
	got := []uint64{b.ReadOffset(), b.HighestOffset(), size, boolInt(known)}
	if diff := cmp.Diff([]uint64{20, 110, 0, 0}, got); diff != "" {
		t.Errorf("ReadOffset, HighestOffset, FinalSize (-want +got):\n%s", diff)
	}
	mustInsert(t, &b, 110, 5, true)
	size, known = b.FinalSize()
	got = []uint64{b.ReadOffset(), b.HighestOffset(), size, boolInt(known)}
	if diff := cmp.Diff([]uint64{20, 115, 115, 1}, got); diff != "" {
		t.Errorf("after fin: ReadOffset, HighestOffset, FinalSize (-want +got):\n%s", diff)
	}
}

func boolInt(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func mustInsert(t *testing.T, b *RecvBuffer, off uint64, n int, fin bool) {
	t.Helper()
	if err := b.Insert(off, pattern(off, n), fin); err != nil {
		t.Fatalf("Insert(%d, %d bytes, %v) = %v", off, n, fin, err)
	}
}

func TestRecvBufferSetFinalSize(t *testing.T) {
	tests := []struct {
		name    string
		setup   []recvStep
		size    uint64
		wantErr bool
	}{
		{"nothing received", nil, 0, false},
		{"above data", []recvStep{ins(0, 10, false)}, 20, false},
		{"at data", []recvStep{ins(5, 5, false)}, 10, false},
		{"below data", []recvStep{ins(5, 5, false)}, 9, true},
		{"same as fin", []recvStep{ins(0, 10, true)}, 10, false},
		{"differs from fin", []recvStep{ins(0, 10, true)}, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b RecvBuffer
			for i, s := range tt.setup {
				runRecvStep(t, &b, s, fmt.Sprintf("setup %d", i))
			}
			err := b.SetFinalSize(tt.size)
			if tt.wantErr != errors.Is(err, &wire.TransportError{Code: wire.FinalSizeError}) || (err != nil) != tt.wantErr {
				t.Fatalf("SetFinalSize(%d) = %v, want error %v", tt.size, err, tt.wantErr)
			}
			if size, known := b.FinalSize(); !tt.wantErr && (size != tt.size || !known) {
				t.Errorf("FinalSize() = %d, %v, want %d, true", size, known, tt.size)
			}
		})
	}
}

func TestRecvBufferFragmentCap(t *testing.T) {
	var b RecvBuffer
	// One byte every other byte from offset 1: MaxFragments ranges, each
	// behind a hole.
	for i := range MaxFragments {
		mustInsert(t, &b, uint64(2*i+1), 1, false)
	}
	next := uint64(2*MaxFragments + 1)
	err := b.Insert(next, pattern(next, 1), false)
	if !errors.Is(err, &wire.TransportError{Code: wire.ProtocolViolation}) {
		t.Fatalf("Insert of fragment %d = %v, want PROTOCOL_VIOLATION", MaxFragments+1, err)
	}
	if b.HighestOffset() != next-1 {
		t.Errorf("failed Insert changed HighestOffset to %d", b.HighestOffset())
	}
	// Data that touches an existing range, or fills a hole, is still fine.
	mustInsert(t, &b, next-1, 1, false)
	mustInsert(t, &b, 0, 1, false)
	mustInsert(t, &b, 2, 1, false)
	if got := b.Readable(); got != 4 {
		t.Fatalf("Readable() = %d, want 4", got)
	}
	// Reading frees fragments: the holes left are below the cap again.
	b.Read(make([]byte, 4))
	mustInsert(t, &b, next+10, 1, false)
}

// TestRecvBufferRandom shuffles and duplicates the frames of a 1 MB stream
// and checks that the bytes read are the bytes sent.
func TestRecvBufferRandom(t *testing.T) {
	const size = 1 << 20
	stream := pattern(0, size)
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			type frame struct {
				off, end int
			}
			var frames []frame
			for off := 0; off < size; {
				n := min(1+rng.IntN(3000), size-off)
				frames = append(frames, frame{off, off + n})
				// Sometimes a duplicate or an overlapping retransmission.
				if rng.IntN(4) == 0 {
					s := max(0, off-rng.IntN(2000))
					frames = append(frames, frame{s, min(size, s+rng.IntN(5000)+1)})
				}
				off += n
			}
			// Shuffle within a sliding window so the number of holes stays
			// below MaxFragments, as a real network's reordering does.
			const window = 500
			for i := range frames {
				j := i + rng.IntN(min(window, len(frames)-i))
				frames[i], frames[j] = frames[j], frames[i]
			}
			var b RecvBuffer
			var got []byte
			p := make([]byte, 7000)
			for _, f := range frames {
				if err := b.Insert(uint64(f.off), stream[f.off:f.end], f.end == size); err != nil {
					t.Fatalf("Insert(%d, %d bytes) = %v", f.off, f.end-f.off, err)
				}
				if rng.IntN(3) == 0 {
					n, _ := b.Read(p[:rng.IntN(len(p))])
					got = append(got, p[:n]...)
				}
			}
			for {
				n, fin := b.Read(p)
				got = append(got, p[:n]...)
				if fin {
					break
				}
				if n == 0 {
					t.Fatalf("stream stuck at offset %d of %d", b.ReadOffset(), size)
				}
			}
			if !bytes.Equal(got, stream) {
				t.Fatalf("read %d bytes that differ from the %d sent", len(got), size)
			}
			if len(b.chunks) != 0 {
				t.Errorf("holding %d chunks after reading everything", len(b.chunks))
			}
		})
	}
}

func TestRecvBufferNextConsume(t *testing.T) {
	var b RecvBuffer
	mustInsert(t, &b, 0, chunkSize+10, true)
	var got []byte
	for {
		p := b.Next()
		if len(p) == 0 {
			break
		}
		got = append(got, p[:min(len(p), 1000)]...)
		b.Consume(min(len(p), 1000))
	}
	if !bytes.Equal(got, pattern(0, chunkSize+10)) {
		t.Errorf("Next/Consume returned wrong bytes")
	}
	if _, fin := b.Read(nil); !fin {
		t.Errorf("Read after consuming everything: fin = false")
	}
	b.Consume(10) // nothing readable: no effect
	if b.ReadOffset() != chunkSize+10 {
		t.Errorf("ReadOffset() = %d after over-consuming", b.ReadOffset())
	}
	b.Release()
	if b.ReadOffset() != 0 || b.Readable() != 0 {
		t.Errorf("Release left data behind")
	}
}

func TestRecvBufferAllocs(t *testing.T) {
	var b RecvBuffer
	in := pattern(0, 1200)
	out := make([]byte, 1200)
	var off uint64
	round := func() {
		if err := b.Insert(off, in, false); err != nil {
			t.Fatal(err)
		}
		off += uint64(len(in))
		b.Read(out)
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Errorf("%v allocations per in-order insert and read, want 0", n)
	}
}

func BenchmarkRecvBuffer(b *testing.B) {
	const frame = 1200
	in := pattern(0, frame)
	out := make([]byte, 4*frame)
	var buf RecvBuffer
	var off uint64
	b.SetBytes(frame)
	for b.Loop() {
		// Frames arrive in order; the reader drains them.
		if err := buf.Insert(off, in, false); err != nil {
			b.Fatal(err)
		}
		off += frame
		buf.Read(out)
	}
}

func BenchmarkRecvBufferReordered(b *testing.B) {
	const frame = 1200
	in := pattern(0, frame)
	out := make([]byte, 4*frame)
	var buf RecvBuffer
	var off uint64
	b.SetBytes(2 * frame)
	for b.Loop() {
		// Each pair of frames arrives swapped.
		if err := buf.Insert(off+frame, in, false); err != nil {
			b.Fatal(err)
		}
		if err := buf.Insert(off, in, false); err != nil {
			b.Fatal(err)
		}
		off += 2 * frame
		buf.Read(out)
	}
}

// FuzzRecvBuffer feeds arbitrary frames of one consistent stream, with
// arbitrary FIN bits, and checks that nothing panics, errors are transport
// errors, and whatever is read matches the stream.
func FuzzRecvBuffer(f *testing.F) {
	f.Add([]byte{0, 10, 0, 5, 10, 1, 20, 3, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		var b RecvBuffer
		p := make([]byte, 64)
		for ; len(in) >= 3; in = in[3:] {
			off := uint64(in[0]) * uint64(in[0]&7+1) * 100
			n := int(in[1])
			fin := in[2]&1 != 0
			err := b.Insert(off, pattern(off, n), fin)
			var te *wire.TransportError
			if err != nil && !errors.As(err, &te) {
				t.Fatalf("Insert = %v, not a *wire.TransportError", err)
			}
			if in[2]&2 != 0 {
				start := b.ReadOffset()
				n, _ := b.Read(p)
				if !bytes.Equal(p[:n], pattern(start, n)) {
					t.Fatalf("Read at %d returned wrong bytes", start)
				}
			}
			if b.received.Len() > MaxFragments {
				t.Fatalf("%d fragments", b.received.Len())
			}
		}
	})
}

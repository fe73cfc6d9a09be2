package streambuf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pattern returns n bytes of the test stream starting at offset.
func pattern(offset uint64, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		o := offset + uint64(i)
		p[i] = byte(o*7 + o>>8 + o>>16)
	}
	return p
}

// chunkOut is what NextSend returned, minus the data, which is checked
// against pattern.
type chunkOut struct {
	Offset uint64
	Len    int
	Fin    bool
	OK     bool
}

// sendStep is one step of a SendBuffer scenario.
type sendStep struct {
	kind     string // "write", "fin", "send", "ack", "lost", "check"
	offset   uint64
	n        int
	fin      bool
	max      int
	limit    uint64
	want     chunkOut // for "send"
	pending  bool     // for "check"
	allAcked bool     // for "check"
	buffered int      // for "check"
}

func write(n int) sendStep { return sendStep{kind: "write", n: n} }
func setFin() sendStep     { return sendStep{kind: "fin"} }

// send calls NextSend(max, limit), expects want, and marks it sent.
func send(max int, limit uint64, off uint64, n int, fin bool) sendStep {
	return sendStep{kind: "send", max: max, limit: limit, want: chunkOut{off, n, fin, true}}
}

// sendNone expects NextSend(max, limit) to report nothing to send.
func sendNone(max int, limit uint64) sendStep {
	return sendStep{kind: "send", max: max, limit: limit}
}

func ack(off uint64, n int, fin bool) sendStep {
	return sendStep{kind: "ack", offset: off, n: n, fin: fin}
}

func lost(off uint64, n int, fin bool) sendStep {
	return sendStep{kind: "lost", offset: off, n: n, fin: fin}
}

func check(pending, allAcked bool, buffered int) sendStep {
	return sendStep{kind: "check", pending: pending, allAcked: allAcked, buffered: buffered}
}

const noLimit = 1 << 62

func TestSendBuffer(t *testing.T) {
	tests := []struct {
		name  string
		steps []sendStep
	}{{
		name:  "empty",
		steps: []sendStep{check(false, false, 0), sendNone(100, noLimit)},
	}, {
		name: "in order in pieces",
		steps: []sendStep{
			write(100),
			check(true, false, 100),
			send(40, noLimit, 0, 40, false),
			send(40, noLimit, 40, 40, false),
			send(40, noLimit, 80, 20, false),
			sendNone(40, noLimit),
			check(false, false, 100),
			ack(0, 40, false), ack(40, 40, false), ack(80, 20, false),
			check(false, false, 0),
			setFin(),
			check(true, false, 0),
			send(40, noLimit, 100, 0, true), // FIN alone
			sendNone(40, noLimit),
			check(false, false, 0),
			ack(100, 0, true),
			check(false, true, 0),
		},
	}, {
		name: "fin with data",
		steps: []sendStep{
			write(50), setFin(),
			send(100, noLimit, 0, 50, true),
			sendNone(100, noLimit),
			ack(0, 50, true),
			check(false, true, 0),
		},
	}, {
		name: "fin on last piece only",
		steps: []sendStep{
			write(50), setFin(),
			send(30, noLimit, 0, 30, false),
			send(30, noLimit, 30, 20, true),
			ack(30, 20, true),
			check(false, false, 50),
			ack(0, 30, false),
			check(false, true, 0),
		},
	}, {
		name: "empty stream fin only",
		steps: []sendStep{
			setFin(),
			send(0, 0, 0, 0, true), // no room for data, no flow-control credit
			ack(0, 0, true),
			check(false, true, 0),
		},
	}, {
		name: "lost data first",
		steps: []sendStep{
			write(100),
			send(40, noLimit, 0, 40, false),
			send(40, noLimit, 40, 40, false),
			lost(40, 40, false),
			write(20),
			send(100, noLimit, 40, 40, false), // lost data before new data
			send(100, noLimit, 80, 40, false),
			lost(0, 40, false),
			send(30, noLimit, 0, 30, false),
			send(30, noLimit, 30, 10, false),
			sendNone(30, noLimit),
		},
	}, {
		name: "lost data lowest offset first",
		steps: []sendStep{
			write(90),
			send(30, noLimit, 0, 30, false),
			send(30, noLimit, 30, 30, false),
			send(30, noLimit, 60, 30, false),
			lost(60, 30, false),
			lost(0, 30, false),
			send(100, noLimit, 0, 30, false),
			send(100, noLimit, 60, 30, false),
		},
	}, {
		name: "retransmission ignores flow control",
		steps: []sendStep{
			write(100),
			send(100, 50, 0, 50, false),
			sendNone(100, 50),
			check(true, false, 100), // new data waits for credit
			lost(0, 50, false),
			send(100, 0, 0, 50, false),
			send(100, 100, 50, 50, false),
		},
	}, {
		name: "ack out of order",
		steps: []sendStep{
			write(100),
			send(25, noLimit, 0, 25, false),
			send(25, noLimit, 25, 25, false),
			send(25, noLimit, 50, 25, false),
			send(25, noLimit, 75, 25, false),
			ack(50, 25, false),
			ack(25, 25, false),
			check(false, false, 100),
			ack(0, 25, false),
			check(false, false, 25),
			lost(50, 25, false), // acked already: ignored
			lost(75, 25, false),
			send(100, noLimit, 75, 25, false),
			ack(75, 25, false),
			check(false, false, 0),
		},
	}, {
		name: "lost data partly acked",
		steps: []sendStep{
			write(100),
			send(50, noLimit, 0, 50, false),
			send(50, noLimit, 50, 50, false),
			lost(0, 50, false),
			send(20, noLimit, 0, 20, false),
			ack(0, 20, false),
			ack(30, 10, false), // the original packet arrived after all
			send(100, noLimit, 20, 10, false),
			send(100, noLimit, 40, 10, false),
			sendNone(100, noLimit),
		},
	}, {
		name: "lost after retransmission acked",
		steps: []sendStep{
			write(60),
			send(60, noLimit, 0, 60, false),
			ack(20, 20, false),
			lost(0, 60, false), // only [0,20) and [40,60) need resending
			send(100, noLimit, 0, 20, false),
			send(100, noLimit, 40, 20, false),
			sendNone(100, noLimit),
		},
	}, {
		name: "spurious loss then ack",
		steps: []sendStep{
			write(10),
			send(10, noLimit, 0, 10, false),
			lost(0, 10, false),
			ack(0, 10, false),
			sendNone(100, noLimit),
			check(false, false, 0),
		},
	}, {
		name: "fin alone lost",
		steps: []sendStep{
			write(10),
			send(100, noLimit, 0, 10, false),
			setFin(),
			send(100, noLimit, 10, 0, true),
			sendNone(100, noLimit),
			lost(10, 0, true),
			check(true, false, 10),
			send(100, noLimit, 10, 0, true),
			ack(0, 10, false),
			check(false, false, 0),
			ack(10, 0, true),
			check(false, true, 0),
		},
	}, {
		name: "fin lost with data",
		steps: []sendStep{
			write(10), setFin(),
			send(100, noLimit, 0, 10, true),
			lost(0, 10, true),
			send(100, noLimit, 0, 10, true),
			sendNone(100, noLimit),
			ack(0, 10, true),
			check(false, true, 0),
		},
	}, {
		name: "fin acked, data lost",
		steps: []sendStep{
			write(20), setFin(),
			send(10, noLimit, 0, 10, false),
			send(10, noLimit, 10, 10, true),
			ack(10, 10, true),
			lost(0, 10, false),
			send(100, noLimit, 0, 10, false),
			ack(0, 10, false),
			check(false, true, 0),
		},
	}, {
		name: "fin set after data lost",
		steps: []sendStep{
			write(10),
			send(100, noLimit, 0, 10, false),
			lost(0, 10, false),
			setFin(),
			send(100, noLimit, 0, 10, true), // retransmission carries the FIN
			sendNone(100, noLimit),
		},
	}, {
		name: "flow control blocks then resumes",
		steps: []sendStep{
			write(100),
			send(1000, 60, 0, 60, false),
			sendNone(1000, 60),
			check(true, false, 100),
			send(1000, 100, 60, 40, false),
		},
	}, {
		name: "zero max sends nothing but fin",
		steps: []sendStep{
			write(10),
			sendNone(0, noLimit),
			send(10, noLimit, 0, 10, false),
			lost(0, 10, false),
			sendNone(0, noLimit),
		},
	}, {
		name: "write after fin ignored",
		steps: []sendStep{
			write(10), setFin(), write(10),
			send(100, noLimit, 0, 10, true),
		},
	}, {
		name: "chunk boundaries",
		steps: []sendStep{
			write(chunkSize + 100),
			send(chunkSize+100, noLimit, 0, chunkSize, false),
			send(chunkSize+100, noLimit, chunkSize, 100, false),
			lost(chunkSize-10, 110, false),
			send(1000, noLimit, chunkSize-10, 10, false),
			send(1000, noLimit, chunkSize, 100, false),
			ack(0, chunkSize+100, false),
			check(false, false, 0),
			write(3 * chunkSize),
			send(2*chunkSize, noLimit, chunkSize+100, chunkSize-100, false),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b SendBuffer
			for i, s := range tt.steps {
				runSendStep(t, &b, s, fmt.Sprintf("step %d (%s)", i, s.kind))
			}
		})
	}
}

func runSendStep(t *testing.T, b *SendBuffer, s sendStep, where string) {
	t.Helper()
	switch s.kind {
	case "write":
		if n := b.Write(pattern(b.Written(), s.n)); n != s.n && !b.fin {
			t.Fatalf("%s: Write returned %d, want %d", where, n, s.n)
		}
	case "fin":
		b.SetFin()
	case "send":
		off, data, fin, ok := b.NextSend(s.max, s.limit)
		got := chunkOut{off, len(data), fin, ok}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("%s: NextSend(%d, %d) (-want +got):\n%s", where, s.max, s.limit, diff)
		}
		if !bytes.Equal(data, pattern(off, len(data))) {
			t.Fatalf("%s: NextSend returned wrong bytes at offset %d", where, off)
		}
		if ok {
			b.MarkSent(off, len(data), fin)
		}
	case "ack":
		b.OnAcked(s.offset, s.n, s.fin)
	case "lost":
		b.OnLost(s.offset, s.n, s.fin)
	case "check":
		got := []any{b.HasPending(), b.AllAcked(), b.Buffered()}
		want := []any{s.pending, s.allAcked, s.buffered}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s: HasPending, AllAcked, Buffered (-want +got):\n%s", where, diff)
		}
	}
}

func TestSendBufferFreesChunks(t *testing.T) {
	var b SendBuffer
	b.Write(pattern(0, 4*chunkSize))
	for {
		off, data, fin, ok := b.NextSend(1200, noLimit)
		if !ok {
			break
		}
		b.MarkSent(off, len(data), fin)
	}
	if len(b.chunks) != 4 {
		t.Fatalf("holding %d chunks, want 4", len(b.chunks))
	}
	b.OnAcked(chunkSize, chunkSize, false) // out of order: frees nothing yet
	if len(b.chunks) != 4 {
		t.Fatalf("after out-of-order ack: holding %d chunks, want 4", len(b.chunks))
	}
	b.OnAcked(0, 10, false)
	if len(b.chunks) != 4 || b.Buffered() != 4*chunkSize-10 {
		t.Fatalf("after partial ack: holding %d chunks, %d bytes; want 4, %d", len(b.chunks), b.Buffered(), 4*chunkSize-10)
	}
	b.OnAcked(0, chunkSize+1, false) // fills the gap: the first two chunks go
	if len(b.chunks) != 2 || b.Buffered() != 2*chunkSize {
		t.Fatalf("after ack: holding %d chunks, %d bytes; want 2, %d", len(b.chunks), b.Buffered(), 2*chunkSize)
	}
	b.OnAcked(2*chunkSize, 2*chunkSize, false)
	if len(b.chunks) != 0 || b.Buffered() != 0 {
		t.Fatalf("after acking all: holding %d chunks, %d bytes; want 0, 0", len(b.chunks), b.Buffered())
	}
	b.Write(pattern(4*chunkSize, 10))
	if off, data, _, _ := b.NextSend(100, noLimit); off != 4*chunkSize || !bytes.Equal(data, pattern(off, 10)) {
		t.Fatalf("after reuse: NextSend = %d, %x", off, data)
	}
	b.Release()
	if b.HasPending() || b.Written() != 0 {
		t.Fatalf("after Release: buffer not empty")
	}
}

func TestSendBufferAllocs(t *testing.T) {
	var b SendBuffer
	p := make([]byte, 1200)
	// Warm up: enough rounds to grow the chunk list and the range sets.
	round := func() {
		b.Write(p)
		for lose := true; ; lose = !lose {
			off, data, fin, ok := b.NextSend(1200, noLimit)
			if !ok {
				break
			}
			b.MarkSent(off, len(data), fin)
			if lose {
				b.OnLost(off, len(data), fin)
			} else {
				b.OnAcked(off, len(data), fin)
			}
		}
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Errorf("%v allocations per write/send/lose/resend/ack round, want 0", n)
	}
}

func BenchmarkSendBuffer(b *testing.B) {
	const frame = 1200
	p := pattern(0, frame)
	var buf SendBuffer
	b.SetBytes(frame)
	for b.Loop() {
		buf.Write(p)
		for {
			off, data, fin, ok := buf.NextSend(frame, noLimit)
			if !ok {
				break
			}
			buf.MarkSent(off, len(data), fin)
		}
		// Keep a window of 16 frames in flight and ack them in order.
		if buf.Buffered() > 16*frame {
			buf.OnAcked(buf.acked, frame, false)
		}
	}
}

func TestSendBufferUnsend(t *testing.T) {
	var b SendBuffer
	b.Write([]byte("hello, world"))
	b.SetFin()
	off, data, fin, _ := b.NextSend(5, 100)
	b.MarkSent(off, len(data), fin)
	b.OnLost(off, len(data), fin)
	off, data, fin, _ = b.NextSend(100, 100)
	b.MarkSent(off, len(data), fin)
	b.Unsend()
	if b.MaxSent() != 0 {
		t.Fatalf("MaxSent after Unsend = %d; want 0", b.MaxSent())
	}
	// Everything is new data again, held back by the limit.
	off, data, fin, ok := b.NextSend(100, 4)
	if !ok || off != 0 || string(data) != "hell" || fin {
		t.Fatalf("NextSend = %d, %q, %v, %v; want 0, \"hell\", false, true", off, data, fin, ok)
	}
	b.MarkSent(off, len(data), fin)
	off, data, fin, _ = b.NextSend(100, 100)
	if off != 4 || string(data) != "o, world" || !fin {
		t.Fatalf("NextSend = %d, %q, %v; want 4, \"o, world\", true", off, data, fin)
	}
}

package streambuf

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// inFlight is a frame between a SendBuffer and a RecvBuffer.
type inFlight struct {
	off  uint64
	data []byte
	fin  bool
}

// window is the receiver's flow-control window. It is small enough that
// no pattern of frames can open MaxFragments holes in it.
const window = 2 * MaxFragments

// transfer moves stream through a network that loses, reorders and
// duplicates frames, from a SendBuffer to a RecvBuffer, and checks that the
// receiver reads the stream and the sender sees it all acknowledged.
// decide draws the network's choices; it returns values in [0, n).
func transfer(t *testing.T, stream []byte, decide func(n int) int) {
	t.Helper()
	var (
		sb      SendBuffer
		rb      RecvBuffer
		flight  []inFlight
		got     []byte
		p       = make([]byte, 3000)
		limit   = uint64(window)
		written = 0
	)
	if len(stream) == 0 {
		sb.SetFin()
	}
	for step := 0; !sb.AllAcked(); step++ {
		if step > 1_000_000 {
			t.Fatalf("no progress: written %d, read %d", written, len(got))
		}
		switch k := decide(10); {
		case k < 3 && written < len(stream): // the application writes
			n := min(len(stream)-written, 1+decide(3000))
			sb.Write(stream[written : written+n])
			written += n
			if written == len(stream) {
				sb.SetFin()
			}
		case k < 6: // a frame is sent
			off, data, fin, ok := sb.NextSend(1+decide(1500), limit)
			if ok {
				sb.MarkSent(off, len(data), fin)
				flight = append(flight, inFlight{off, bytes.Clone(data), fin})
			}
		case k < 9 && len(flight) > 0: // a frame arrives, is lost or duplicated
			i := decide(len(flight))
			f := flight[i]
			switch decide(10) {
			case 0:
				sb.OnLost(f.off, len(f.data), f.fin)
			case 1:
				if err := rb.Insert(f.off, f.data, f.fin); err != nil {
					t.Fatal(err)
				}
				continue // stays in flight: a duplicate arrives later
			default:
				if err := rb.Insert(f.off, f.data, f.fin); err != nil {
					t.Fatal(err)
				}
				sb.OnAcked(f.off, len(f.data), f.fin)
			}
			flight = append(flight[:i], flight[i+1:]...)
		default: // the application reads; credit follows what it read
			n, _ := rb.Read(p[:decide(len(p))])
			got = append(got, p[:n]...)
			limit = rb.ReadOffset() + window
		}
		if !sb.HasPending() && len(flight) == 0 && written == len(stream) && !sb.AllAcked() {
			t.Fatalf("stalled: nothing pending, nothing in flight, not all acked")
		}
	}
	for {
		n, fin := rb.Read(p)
		got = append(got, p[:n]...)
		if fin || n == 0 {
			break
		}
	}
	if !bytes.Equal(got, stream) {
		t.Fatalf("received %d bytes differing from the %d sent", len(got), len(stream))
	}
	if sb.Buffered() != 0 || len(sb.chunks) != 0 || len(rb.chunks) != 0 {
		t.Errorf("memory held at the end: send %d bytes in %d chunks, recv %d chunks",
			sb.Buffered(), len(sb.chunks), len(rb.chunks))
	}
}

func TestTransferRandom(t *testing.T) {
	for _, size := range []int{0, 1, 1000, 100_000} {
		for seed := range uint64(5) {
			t.Run(fmt.Sprintf("%d bytes seed %d", size, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, uint64(size)))
				transfer(t, pattern(0, size), rng.IntN)
			})
		}
	}
}

func FuzzTransfer(f *testing.F) {
	f.Add([]byte{0, 200, 1, 3, 4, 5, 6, 9, 7, 7, 8, 2, 9})
	f.Fuzz(func(t *testing.T, choices []byte) {
		// Once the fuzzer's choices run out, fall back to a fixed sequence
		// so that every input finishes.
		rng := rand.New(rand.NewPCG(uint64(len(choices)), 1))
		decide := func(n int) int {
			if len(choices) > 0 {
				c := int(choices[0])
				choices = choices[1:]
				return c % n
			}
			return rng.IntN(n)
		}
		transfer(t, pattern(0, 5000), decide)
	})
}

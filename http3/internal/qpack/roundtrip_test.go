package qpack

import (
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTripStatic(t *testing.T) {
	fields := []HeaderField{
		{Name: ":method", Value: "GET"},
		{Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "example.org"},
		{Name: ":path", Value: "/index.html"},
		{Name: "user-agent", Value: "quince"},
		{Name: "x-custom", Value: "Value With Caps"},
		{Name: "authorization", Value: "secret", NeverIndex: true},
		{Name: "x-secret", Value: "s", NeverIndex: true},
		{Name: "empty", Value: ""},
	}
	e := NewEncoder(0, 0, 0)
	d := NewDecoder(0, 0, 0)
	block, err := e.EncodeHeaders(nil, 0, fields)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.DecodeHeaders(0, block)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fields, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if s := e.EncoderStream(); len(s) != 0 {
		t.Errorf("encoder stream = %x, want nothing", s)
	}
}

// TestRoundTripRandom encodes random field sections on many streams with
// the dynamic table on, delivers encoder stream data, field sections and
// decoder stream data in a random (seeded) order, and checks that every
// section decodes to its fields, blocked ones once their entries arrive.
func TestRoundTripRandom(t *testing.T) {
	var total exchangeStats
	for seed := int64(1); seed <= 40; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 0))
		capacity := []uint64{0, 64, 220, 1024, 4096}[rng.IntN(5)]
		maxBlocked := uint64(rng.IntN(4))
		e := NewEncoder(capacity, capacity, maxBlocked)
		d := NewDecoder(capacity, maxBlocked, 0)
		st := randomExchange(t, rng, e, d, 200)
		total.blocked += st.blocked
		total.dynamic += st.dynamic
		total.evicted += e.table.dropped
		total.cancelled += st.cancelled
	}
	// The exchanges must have exercised the dynamic table, blocking and
	// eviction, or the test proves little.
	if total.blocked == 0 || total.dynamic == 0 || total.evicted == 0 {
		t.Errorf("exchanges had %d blocked decodes, %d sections with dynamic references, %d evictions; want all > 0", total.blocked, total.dynamic, total.evicted)
	}
	t.Logf("%+v", total)
}

type exchangeStats struct{ blocked, dynamic, evicted, cancelled uint64 }

// randomExchange runs n field sections from e to d.
func randomExchange(t *testing.T, rng *rand.Rand, e *Encoder, d *Decoder, n int) (st exchangeStats) {
	t.Helper()
	type pending struct {
		stream uint64
		block  []byte
		want   []HeaderField
	}
	var (
		encStream []byte    // encoder stream bytes in flight
		decStream []byte    // decoder stream bytes in flight
		inflight  []pending // field sections in flight
		blocked   = map[uint64]pending{}
		decoded   int
	)
	names := []string{":authority", ":path", "user-agent", "accept", "x-trace", "cookie", "x-a", "x-b", "content-type", ":method"}
	values := []string{"", "a", "GET", "example.com", "www.example.org", "/index.html", "text/html", "Mozilla/5.0 (X11; Linux x86_64)", "q=0.9, *;q=0.1"}
	decode := func(p pending) {
		got, err := d.DecodeHeaders(p.stream, p.block)
		if err == ErrBlocked {
			st.blocked++
			blocked[p.stream] = p
			return
		}
		if err != nil {
			t.Fatalf("DecodeHeaders(stream %d): %v", p.stream, err)
		}
		if diff := cmp.Diff(p.want, got); diff != "" {
			t.Fatalf("stream %d (-want +got):\n%s", p.stream, diff)
		}
		decoded++
	}
	stream := uint64(0)
	for i := 0; i < n || len(inflight) > 0 || len(encStream) > 0 || len(decStream) > 0; {
		switch rng.IntN(5) {
		case 0: // encode a section
			if i >= n {
				continue
			}
			i++
			var fields []HeaderField
			for j := rng.IntN(8); j >= 0; j-- {
				f := HeaderField{Name: names[rng.IntN(len(names))], Value: values[rng.IntN(len(values))]}
				if rng.IntN(20) == 0 {
					f.Value += strconv.Itoa(rng.IntN(1000))
					f.NeverIndex = rng.IntN(2) == 0
				}
				fields = append(fields, f)
			}
			block, err := e.EncodeHeaders(nil, stream, fields)
			if err != nil {
				t.Fatal(err)
			}
			if block[0] != 0 {
				st.dynamic++
			}
			encStream = append(encStream, e.EncoderStream()...)
			inflight = append(inflight, pending{stream, block, fields})
			stream += 4
		case 1: // deliver a random field section
			if len(inflight) == 0 {
				continue
			}
			k := rng.IntN(len(inflight))
			p := inflight[k]
			inflight = append(inflight[:k], inflight[k+1:]...)
			decode(p)
		case 2: // deliver part of the encoder stream
			if len(encStream) == 0 {
				continue
			}
			m := 1 + rng.IntN(len(encStream))
			unblocked, err := d.HandleEncoderStream(encStream[:m])
			if err != nil {
				t.Fatalf("HandleEncoderStream: %v", err)
			}
			encStream = encStream[m:]
			for _, id := range unblocked {
				p, ok := blocked[id]
				if !ok {
					t.Fatalf("stream %d reported unblocked, was not blocked", id)
				}
				delete(blocked, id)
				decode(p)
			}
		case 3: // deliver part of the decoder stream
			decStream = append(decStream, d.DecoderStream()...)
			if len(decStream) == 0 {
				continue
			}
			m := 1 + rng.IntN(len(decStream))
			if err := e.HandleDecoderStream(decStream[:m]); err != nil {
				t.Fatalf("HandleDecoderStream: %v", err)
			}
			decStream = decStream[m:]
		case 4: // the stream of a section in flight or blocked is reset
			if rng.IntN(4) != 0 {
				continue
			}
			if len(inflight) > 0 && rng.IntN(2) == 0 {
				k := rng.IntN(len(inflight))
				d.StreamCancelled(inflight[k].stream)
				inflight = append(inflight[:k], inflight[k+1:]...)
				st.cancelled++
			} else if len(blocked) > 0 {
				id := slices.Sorted(maps.Keys(blocked))[0]
				d.StreamCancelled(id)
				delete(blocked, id)
				st.cancelled++
			}
		}
		if uint64(len(blocked)) > d.maxBlocked {
			t.Fatalf("%d streams blocked, limit %d", len(blocked), d.maxBlocked)
		}
	}
	if len(blocked) != 0 || decoded+int(st.cancelled) != n {
		t.Fatalf("%d sections decoded, %d cancelled, %d still blocked, want %d in all and 0 blocked", decoded, st.cancelled, len(blocked), n)
	}
	if err := e.HandleDecoderStream(d.DecoderStream()); err != nil {
		t.Fatalf("HandleDecoderStream: %v", err)
	}
	// Every reference was released by an acknowledgment or cancellation.
	for i, r := range e.refs {
		if r != 0 {
			t.Fatalf("entry %d has %d references left", e.table.dropped+uint64(i), r)
		}
	}
	if len(e.sections) != 0 {
		t.Fatalf("encoder still tracks sections on %d streams", len(e.sections))
	}
	return st
}

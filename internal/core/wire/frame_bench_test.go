package wire

import "testing"

func benchmarkParse(b *testing.B, f Frame) {
	buf := f.Append(nil)
	var p FrameParser
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Next(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkAppend(b *testing.B, f Frame) {
	buf := make([]byte, 0, f.Len())
	b.SetBytes(int64(f.Len()))
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0])
	}
}

var (
	benchStream = &StreamFrame{StreamID: 4, Offset: 1 << 20, Data: make([]byte, 1200)}
	benchAck1   = &AckFrame{Ranges: []AckRange{{Smallest: 1000, Largest: 1 << 20}}, AckDelay: 100}
	benchAck32  = &AckFrame{Ranges: manyAckRanges(32, 1<<20), AckDelay: 100, HasECN: true, ECT0: 1 << 20}
)

func BenchmarkParseStream1200(b *testing.B)  { benchmarkParse(b, benchStream) }
func BenchmarkAppendStream1200(b *testing.B) { benchmarkAppend(b, benchStream) }
func BenchmarkParseAck1(b *testing.B)        { benchmarkParse(b, benchAck1) }
func BenchmarkAppendAck1(b *testing.B)       { benchmarkAppend(b, benchAck1) }
func BenchmarkParseAck32(b *testing.B)       { benchmarkParse(b, benchAck32) }
func BenchmarkAppendAck32(b *testing.B)      { benchmarkAppend(b, benchAck32) }

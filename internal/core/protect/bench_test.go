package protect

import (
	"testing"

	"github.com/quince-go/quic/internal/core/wire"
)

// benchPacketSize is the size of the protected 1-RTT packets benchmarked.
const benchPacketSize = 1200

// BenchmarkSeal measures Keys.Seal (AEAD and header protection) of a
// 1,200-byte 1-RTT packet.
func BenchmarkSeal(b *testing.B) {
	for _, ts := range testSuites {
		b.Run(ts.name, func(b *testing.B) {
			k := mustNewKeys(b, ts.id, wire.Version1, testSecret(b, ts.id))
			plain, pnOffset := shortPacket(benchPacketSize, false, 1, 2)
			buf := make([]byte, 0, benchPacketSize)
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			pn := uint64(0)
			for b.Loop() {
				pn++
				k.Seal(append(buf[:0], plain...), pnOffset, 2, pn)
			}
		})
	}
}

// BenchmarkOpen measures HeaderKey.RemoveHeaderProtection followed by
// PacketKey.Open of a 1,200-byte 1-RTT packet.
func BenchmarkOpen(b *testing.B) {
	for _, ts := range testSuites {
		b.Run(ts.name, func(b *testing.B) {
			secret := testSecret(b, ts.id)
			plain, pnOffset := shortPacket(benchPacketSize, false, 1, 2)
			sealed := mustNewKeys(b, ts.id, wire.Version1, secret).Seal(plain, pnOffset, 2, 1)
			k := mustNewKeys(b, ts.id, wire.Version1, secret)
			in := make([]byte, benchPacketSize)
			b.SetBytes(benchPacketSize)
			b.ReportAllocs()
			for b.Loop() {
				copy(in, sealed)
				pnLen, err := k.Header.RemoveHeaderProtection(in, pnOffset)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := k.Packet.Open(in, pnOffset+pnLen, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

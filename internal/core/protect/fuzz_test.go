package protect

import (
	"crypto/tls"
	"testing"

	"github.com/quince-go/quic/internal/core/wire"
)

// FuzzUnprotect feeds arbitrary datagrams to the receive path: it must
// report errors, never panic, and never accept a forgery.
func FuzzUnprotect(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add(unhex(f, v.clientPacket), 18, uint8(0))
		f.Add(unhex(f, v.serverPacket), 18, uint8(0))
		f.Add(unhex(f, v.chachaPacket), 1, uint8(2))
	}
	f.Add([]byte{}, 0, uint8(1))
	f.Add(make([]byte, 21), 1, uint8(2))
	secrets := make(map[uint16][]byte)
	for _, ts := range testSuites {
		secrets[ts.id] = testSecret(f, ts.id)
	}
	f.Fuzz(func(t *testing.T, pkt []byte, pnOffset int, suiteIndex uint8) {
		ts := testSuites[int(suiteIndex)%len(testSuites)]
		k := mustNewKeys(t, ts.id, wire.Version1, secrets[ts.id])
		if ts.id == tls.TLS_AES_128_GCM_SHA256 && suiteIndex%2 == 1 {
			k, _ = InitialKeys(wire.Version2, sampleDCID)
		}
		pnLen, err := k.Header.RemoveHeaderProtection(pkt, pnOffset)
		if err != nil {
			return
		}
		if pnLen < 1 || pnLen > 4 {
			t.Fatalf("pnLen = %d", pnLen)
		}
		if _, err := k.Packet.Open(pkt, pnOffset+pnLen, uint64(pnOffset)); err == nil {
			t.Fatalf("random packet authenticated")
		}
	})
}

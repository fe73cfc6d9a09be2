package quic

import (
	"io"
	"runtime"
	"testing"
)

// TestTransferAllocs checks that a steady transfer allocates next to
// nothing per datagram, on both sides together: the mux's buffers come
// from a pool, the session loop reuses its send buffer, and Read and Write
// reuse their ops.
func TestTransferAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	r := testing.Benchmark(BenchmarkTransfer)
	perDatagram := r.Extra["allocs/datagram"]
	t.Logf("%v allocs/datagram, %d allocs/op", perDatagram, r.AllocsPerOp())
	if perDatagram > 0.05 {
		t.Errorf("%v allocations per received datagram, want at most 0.05", perDatagram)
	}
}

// BenchmarkTransfer sends 1 MiB per iteration on one stream over loopback
// and reports, besides allocations per MiB, the allocations per datagram
// that the two sides received (allocs/datagram), which the pooled
// datagram path keeps near zero.
func BenchmarkTransfer(b *testing.B) { benchmarkTransfer(b, nil) }

// benchmarkTransfer is BenchmarkTransfer with conf on both sides.
func benchmarkTransfer(b *testing.B, conf *Config) {
	const chunk = 1 << 20
	l := listen(b, conf)
	c, s := pair(b, l, conf)
	st, err := c.OpenStream(testCtx(b))
	if err != nil {
		b.Fatal(err)
	}
	st.Write([]byte{0})
	sst, err := s.AcceptStream(testCtx(b))
	if err != nil {
		b.Fatal(err)
	}
	sst.Read(make([]byte, 1))
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 64<<10)
		_, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{sst}, buf)
		done <- err
	}()
	data := make([]byte, chunk)
	// Warm the pools and windows up.
	for range 8 {
		st.Write(data)
	}
	received := func() uint64 { return l.mux.Stats().Received + c.mux.Stats().Received }
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	d0 := received()
	b.SetBytes(chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := st.Write(data); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	if n := received() - d0; n > 0 {
		b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(n), "allocs/datagram")
	}
	st.CloseWrite()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

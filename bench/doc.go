// Package bench measures quince against quic-go on the same machine.
//
// Its Go benchmarks count allocations per packet on each stack's public API:
// BenchmarkSend uploads and BenchmarkReceive downloads over loopback, with
// the peer, a perf server of the same stack, in a child process so that only
// the measured side's allocations are counted. One op is 1,200 bytes of
// stream data, so allocs/op is allocations per 1,200-byte packet; where the
// stack counts its packets (quic-go does), allocs/pkt divides by the real
// count instead.
//
//	go test -run '^$' -bench . -benchtime 20000x
//
// cmd/perf is the perf protocol tool and cmd/compare runs the whole
// comparison and writes RESULTS.md and results.png.
package bench

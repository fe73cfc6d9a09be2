package mux

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestNewGrowsSocketBuffers checks that New asks for SocketBufferSize of
// receive and send buffer, as far as net.core.rmem_max and wmem_max allow
// (Linux reports twice the size granted, for its bookkeeping).
func TestNewGrowsSocketBuffers(t *testing.T) {
	sysctl := func(name string) int {
		b, err := os.ReadFile("/proc/sys/net/core/" + name)
		if err != nil {
			t.Skipf("reading %s: %v", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Skipf("parsing %s: %v", name, err)
		}
		return n
	}
	wantRd := 2 * min(SocketBufferSize, sysctl("rmem_max"))
	wantWr := 2 * min(SocketBufferSize, sysctl("wmem_max"))
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	rd0, wr0 := socketBuffers(uc)
	m, err := New(uc, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rd, wr := socketBuffers(uc)
	if rd < max(rd0, wantRd) || wr < max(wr0, wantWr) {
		t.Errorf("buffers after New: receive %d, send %d; want at least %d, %d", rd, wr, max(rd0, wantRd), max(wr0, wantWr))
	}
}

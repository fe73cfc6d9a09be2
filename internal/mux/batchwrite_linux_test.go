//go:build linux && (amd64 || arm64)

package mux

import (
	"net"
	"syscall"
	"testing"
)

// TestBatchDontFragment checks that a Batch sets its socket not to
// fragment, for IPv4 and, on an IPv6 socket, for both families.
func TestBatchDontFragment(t *testing.T) {
	tests := []struct {
		network string
		ip      net.IP
		opts    [][2]int // level, option
	}{
		{"udp4", net.IPv4(127, 0, 0, 1), [][2]int{{syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER}}},
		{"udp6", net.IPv6loopback, [][2]int{
			{syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER},
			{syscall.IPPROTO_IPV6, syscall.IPV6_MTU_DISCOVER},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.network, func(t *testing.T) {
			conn, err := net.ListenUDP(tt.network, &net.UDPAddr{IP: tt.ip})
			if err != nil {
				t.Skipf("no %s loopback: %v", tt.network, err)
			}
			m, err := New(conn, Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			m.NewBatch()
			rc, err := conn.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range tt.opts {
				var v int
				rc.Control(func(fd uintptr) {
					v, err = syscall.GetsockoptInt(int(fd), o[0], o[1])
				})
				if err != nil || v != syscall.IP_PMTUDISC_PROBE {
					t.Errorf("getsockopt(%d, %d) = %d, %v; want %d (PMTUDISC_PROBE)", o[0], o[1], v, err, syscall.IP_PMTUDISC_PROBE)
				}
			}
		})
	}
}

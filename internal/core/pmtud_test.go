package core

import (
	"testing"
	"time"
)

// TestPMTUDiscovery checks that datagrams grow to the largest probe size the
// link carries, that lost probes cost no congestion response, and that a
// link that carries only 1,200 bytes keeps the connection at 1,200.
func TestPMTUDiscovery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mtu      int // 0: no limit
		localMax int // Config.MaxDatagramSize; 0: default
		want     int
	}{
		{"unlimited", 0, 0, 1452},
		{"mtu1400", 1400, 0, 1400},
		{"mtu1350", 1350, 0, 1350},
		{"mtu1300", 1300, 0, 1280},
		{"mtu1200", 1200, 0, 1200},
		{"disabled", 0, 1200, 1200},
		{"local1400", 0, 1400, 1400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &Config{MaxDatagramSize: tc.localMax}
			p := newTestPair(t, 3, linkConfig{delay: 10 * time.Millisecond, mtu: tc.mtu}, cfg, &Config{MaxDatagramSize: tc.localMax})
			p.handshake()
			tr := newTransfer(p, []int{4 << 20}, 1)
			if !p.run(10*time.Minute, tr.done) {
				t.Fatalf("transfer did not finish: %v %v", p.client.Err(), p.serverErr())
			}
			tr.check(t)
			// A side that sends little data finishes its search later:
			// lost probes are found by the time threshold and the PTO.
			p.run(20*time.Second, func() bool { return p.client.pmtu.done && p.server.pmtu.done })
			for _, c := range []*Conn{p.client, p.server} {
				st := c.Stats()
				if st.MaxDatagramSize != tc.want {
					t.Errorf("client=%v: datagram size %d; want %d", c.IsClient(), st.MaxDatagramSize, tc.want)
				}
				if st.PacketsLost != 0 {
					t.Errorf("client=%v: %d packets counted lost on a lossless link; lost probes must not count", c.IsClient(), st.PacketsLost)
				}
			}
			if tc.mtu > 0 && p.dropped == 0 && tc.want < 1452 && tc.localMax == 0 {
				t.Errorf("no probe was dropped by the %d-byte link; the test proves nothing", tc.mtu)
			}
		})
	}
}

// TestPMTUDWaits checks that the search waits a few round trips after the
// handshake: a handshake and a 1 KB exchange send no probe, which such a
// short connection has no use for.
func TestPMTUDWaits(t *testing.T) {
	p := newTestPair(t, 3, linkConfig{delay: 10 * time.Millisecond}, nil, nil)
	largest := 0
	p.onDatagram = func(_ bool, d []byte) bool {
		largest = max(largest, len(d))
		return true
	}
	p.handshake()
	tr := newTransfer(p, []int{1024}, 1)
	if !p.run(time.Minute, tr.done) {
		t.Fatalf("transfer did not finish: %v %v", p.client.Err(), p.serverErr())
	}
	tr.check(t)
	if largest > minDatagramSize {
		t.Errorf("a %d-byte datagram during a short exchange; want no PMTU probe yet", largest)
	}
	// Traffic later on does probe.
	tr = newTransfer(p, []int{1 << 20}, 1)
	if !p.run(time.Minute, tr.done) {
		t.Fatalf("second transfer did not finish: %v %v", p.client.Err(), p.serverErr())
	}
	if got := p.server.Stats().MaxDatagramSize; got != 1452 {
		t.Errorf("datagram size %d after a 1 MB transfer; want 1452", got)
	}
}

package congestion

import (
	"math"
	"testing"
	"time"
)

// With 1200-byte datagrams, cwnd 12000 and smoothed RTT 100ms the rate is
// 1.25 * 12000 / 100ms = 150 bytes per millisecond: one datagram per 8ms.
const (
	mds      = 1200
	paceCwnd = 12000
	paceRTT  = 100 * time.Millisecond
	interval = 8 * time.Millisecond
)

// sendBurst sends packets while the pacer allows them at now, and returns
// how many it sent (at most limit).
func sendBurst(p *Pacer, now time.Time, cwnd int, srtt time.Duration, limit int) int {
	n := 0
	for n < limit && p.NextSendTime(now, mds, cwnd, srtt).Equal(now) {
		p.OnPacketSent(now, mds, cwnd, srtt)
		n++
	}
	return n
}

func TestPacerBurstThenSpacing(t *testing.T) {
	p := NewPacer(mds)
	now := base
	if n := sendBurst(&p, now, paceCwnd, paceRTT, 100); n != PacerBurstPackets {
		t.Fatalf("initial burst = %d packets; want %d", n, PacerBurstPackets)
	}
	for i := range 50 {
		next := p.NextSendTime(now, mds, paceCwnd, paceRTT)
		if got := next.Sub(now); got != interval {
			t.Fatalf("packet %d after the burst: wait %v; want %v", i, got, interval)
		}
		// Asking again just before the time gives the same answer.
		if again := p.NextSendTime(next.Add(-time.Nanosecond), mds, paceCwnd, paceRTT); !again.Equal(next) {
			t.Fatalf("packet %d: NextSendTime 1ns early = %v; want %v", i, again.Sub(base), next.Sub(base))
		}
		now = next
		p.OnPacketSent(now, mds, paceCwnd, paceRTT)
	}
}

// TestPacerRate checks the spacing after the burst against
// interval = (smoothed_rtt * packet_size / congestion_window) / 1.25
// (RFC 9002, Section 7.7).
func TestPacerRate(t *testing.T) {
	tests := []struct {
		cwnd  int
		srtt  time.Duration
		bytes int
		want  time.Duration
	}{
		{12000, 100 * time.Millisecond, 1200, 8 * time.Millisecond},
		{24000, 100 * time.Millisecond, 1200, 4 * time.Millisecond},
		{12000, 50 * time.Millisecond, 1200, 4 * time.Millisecond},
		{120000, 10 * time.Millisecond, 1200, 80 * time.Microsecond},
		{12000, 100 * time.Millisecond, 600, 4 * time.Millisecond},
		// 100ms * 1200 / 7000 / 1.25 = 13.714285...ms, rounded up.
		{7000, 100 * time.Millisecond, 1200, 13714286 * time.Nanosecond},
		// A window below one datagram paces as if it were one.
		{100, 100 * time.Millisecond, 1200, 80 * time.Millisecond},
	}
	for _, tt := range tests {
		p := NewPacer(mds)
		// Empty the bucket at base: at a high rate it holds more than
		// PacerBurstPackets datagrams, but never more than the window.
		p.OnPacketSent(base, max(PacerBurstPackets*mds, tt.cwnd), tt.cwnd, tt.srtt)
		got := p.NextSendTime(base, tt.bytes, tt.cwnd, tt.srtt).Sub(base)
		if got != tt.want {
			t.Errorf("cwnd %d, srtt %v, %d bytes: wait %v; want %v", tt.cwnd, tt.srtt, tt.bytes, got, tt.want)
		}
		// The packet is allowed exactly then.
		when := base.Add(got)
		if next := p.NextSendTime(when, tt.bytes, tt.cwnd, tt.srtt); !next.Equal(when) {
			t.Errorf("cwnd %d, srtt %v: at the promised time, wait %v more", tt.cwnd, tt.srtt, next.Sub(when))
		}
	}
}

func TestPacerIdleCredit(t *testing.T) {
	tests := []struct {
		idle      time.Duration
		wantBurst int
	}{
		{0, 0},
		{interval - 1, 0},
		{interval, 1},
		{5 * interval, 5},
		{10 * interval, 10},
		{11 * interval, 10},
		{time.Hour, 10},
		{100 * 365 * 24 * time.Hour, 10},
	}
	for _, tt := range tests {
		p := NewPacer(mds)
		sendBurst(&p, base, paceCwnd, paceRTT, 100)
		now := base.Add(tt.idle)
		if got := sendBurst(&p, now, paceCwnd, paceRTT, 100); got != tt.wantBurst {
			t.Errorf("after %v idle: burst of %d packets; want %d", tt.idle, got, tt.wantBurst)
		}
		// Whatever the idle time, the next packet then waits for
		// credit at the normal rate (or less, if credit was partial).
		if wait := p.NextSendTime(now, mds, paceCwnd, paceRTT).Sub(now); wait <= 0 || wait > interval {
			t.Errorf("after %v idle and burst: next wait %v; want in (0, %v]", tt.idle, wait, interval)
		}
	}
}

func TestPacerUnpaced(t *testing.T) {
	// Without an RTT estimate there is no rate: never wait.
	for _, srtt := range []time.Duration{0, -time.Millisecond} {
		p := NewPacer(mds)
		for i := range 100 {
			if next := p.NextSendTime(base, mds, paceCwnd, srtt); !next.Equal(base) {
				t.Fatalf("srtt %v, packet %d: NextSendTime = base+%v; want base", srtt, i, next.Sub(base))
			}
			p.OnPacketSent(base, mds, paceCwnd, srtt)
		}
	}
}

func TestPacerOversizedPacket(t *testing.T) {
	// A packet larger than the bucket needs a full bucket, not forever.
	p := NewPacer(mds)
	big := 20 * mds
	if next := p.NextSendTime(base, big, paceCwnd, paceRTT); !next.Equal(base) {
		t.Fatalf("full bucket: oversized packet waits %v", next.Sub(base))
	}
	p.OnPacketSent(base, big, paceCwnd, paceRTT)
	if got, want := p.NextSendTime(base, big, paceCwnd, paceRTT).Sub(base), 10*interval; got != want {
		t.Errorf("empty bucket: oversized packet waits %v; want %v", got, want)
	}
}

func TestPacerSetMaxDatagramSize(t *testing.T) {
	p := NewPacer(1500)
	p.SetMaxDatagramSize(1200)
	if n := sendBurst(&p, base, paceCwnd, paceRTT, 100); n != PacerBurstPackets {
		t.Errorf("burst after shrinking datagrams = %d packets; want %d", n, PacerBurstPackets)
	}
}

func TestPacerExtremes(t *testing.T) {
	// Nothing panics or overflows into a time in the past.
	cwnds := []int{math.MinInt, -1, 0, 1, math.MaxInt}
	rtts := []time.Duration{math.MinInt64, 0, 1, math.MaxInt64}
	sizes := []int{math.MinInt, 0, 1, math.MaxInt}
	for _, cwnd := range cwnds {
		for _, srtt := range rtts {
			for _, size := range sizes {
				p := NewPacer(mds)
				for i, now := range []time.Time{base, base.Add(-time.Hour), base.Add(time.Nanosecond), base.Add(math.MaxInt64)} {
					if next := p.NextSendTime(now, size, cwnd, srtt); next.Before(now) {
						t.Errorf("cwnd %d, srtt %d, size %d, call %d: NextSendTime before now", cwnd, srtt, size, i)
					}
					p.OnPacketSent(now, size, cwnd, srtt)
				}
			}
		}
	}
}

func TestPacerAllocs(t *testing.T) {
	p := NewPacer(mds)
	now := base
	allocs := testing.AllocsPerRun(100, func() {
		now = p.NextSendTime(now, mds, paceCwnd, paceRTT)
		p.OnPacketSent(now, mds, paceCwnd, paceRTT)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v; want 0", allocs)
	}
}

// TestPacerBurstGrowsWithRate checks that at high rates the bucket holds
// pacerBurstInterval of sending (so batches can be large), capped by the
// window, and at low rates PacerBurstPackets datagrams.
func TestPacerBurstGrowsWithRate(t *testing.T) {
	for _, tt := range []struct {
		cwnd int
		srtt time.Duration
		want int
	}{
		{12000, 100 * time.Millisecond, PacerBurstPackets * mds},
		{1200000, 10 * time.Millisecond, 300000},   // 1.25 * 1.2 MB/10ms * 2ms
		{120000, time.Millisecond, 120000},         // capped by the window
		{120000, 500 * time.Microsecond, 120000},   // still the window
		{12000000, 100 * time.Millisecond, 300000}, // 1.25 * 12 MB/100ms * 2ms
	} {
		p := NewPacer(mds)
		if got := p.available(base, tt.cwnd, tt.srtt); got != tt.want {
			t.Errorf("cwnd %d, srtt %v: burst %d; want %d", tt.cwnd, tt.srtt, got, tt.want)
		}
	}
}

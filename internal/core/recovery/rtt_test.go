package recovery

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const ms = time.Millisecond

func TestNewRTT(t *testing.T) {
	tests := []struct {
		initial time.Duration
		want    RTT
	}{
		// RFC 9002, Section 5.3: smoothed_rtt = kInitialRtt, rttvar = kInitialRtt/2.
		{InitialRTT, RTT{Smoothed: 333 * ms, Var: 166500 * time.Microsecond}},
		{0, RTT{Smoothed: 333 * ms, Var: 166500 * time.Microsecond}},
		{-1, RTT{Smoothed: 333 * ms, Var: 166500 * time.Microsecond}},
		// A remembered RTT (Section 6.2.2).
		{50 * ms, RTT{Smoothed: 50 * ms, Var: 25 * ms}},
	}
	for _, tt := range tests {
		got := NewRTT(tt.initial)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(RTT{})); diff != "" {
			t.Errorf("NewRTT(%v) mismatch (-want +got):\n%s", tt.initial, diff)
		}
		if got.HasSample() {
			t.Errorf("NewRTT(%v).HasSample() = true", tt.initial)
		}
	}
}

// TestRTTUpdate checks the estimator against values worked by hand from the
// formulas of RFC 9002, Section 5.3:
//
//	adjusted = latest - ack_delay  if latest >= min_rtt + ack_delay, else latest
//	rttvar   = 3/4 rttvar + 1/4 |smoothed - adjusted|
//	smoothed = 7/8 smoothed + 1/8 adjusted
func TestRTTUpdate(t *testing.T) {
	type sample struct {
		latest, ackDelay, maxAckDelay time.Duration
		confirmed                     bool
	}
	// After this first sample: Latest=Min=Smoothed=100ms, Var=50ms.
	first := sample{100 * ms, 10 * ms, 25 * ms, false}
	tests := []struct {
		name    string
		samples []sample
		want    RTT
	}{{
		name:    "first sample ignores ack delay",
		samples: []sample{first},
		want:    RTT{Latest: 100 * ms, Min: 100 * ms, Smoothed: 100 * ms, Var: 50 * ms, hasSample: true},
	}, {
		// adjusted = 120-10 = 110; var = (150+10)/4 = 40; smoothed = (700+110)/8.
		name:    "ack delay subtracted",
		samples: []sample{first, {120 * ms, 10 * ms, 25 * ms, false}},
		want:    RTT{Latest: 120 * ms, Min: 100 * ms, Smoothed: 101250 * time.Microsecond, Var: 40 * ms, hasSample: true},
	}, {
		// 105-10 < min 100, so adjusted = 105; var = (150+5)/4; smoothed = (700+105)/8.
		name:    "ack delay not subtracted below min_rtt",
		samples: []sample{first, {105 * ms, 10 * ms, 25 * ms, false}},
		want:    RTT{Latest: 105 * ms, Min: 100 * ms, Smoothed: 100625 * time.Microsecond, Var: 38750 * time.Microsecond, hasSample: true},
	}, {
		// 100 = min + 0 exactly: the boundary subtracts.
		name:    "ack delay subtracted down to exactly min_rtt",
		samples: []sample{first, {110 * ms, 10 * ms, 25 * ms, false}},
		want:    RTT{Latest: 110 * ms, Min: 100 * ms, Smoothed: 100 * ms, Var: 37500 * time.Microsecond, hasSample: true},
	}, {
		// Not confirmed: ack delay 80 used whole; adjusted = 120;
		// var = (150+20)/4 = 42.5; smoothed = (700+120)/8 = 102.5.
		name:    "max_ack_delay ignored before confirmation",
		samples: []sample{first, {200 * ms, 80 * ms, 25 * ms, false}},
		want:    RTT{Latest: 200 * ms, Min: 100 * ms, Smoothed: 102500 * time.Microsecond, Var: 42500 * time.Microsecond, hasSample: true},
	}, {
		// Confirmed: ack delay capped to 25; adjusted = 175;
		// var = (150+75)/4 = 56.25; smoothed = (700+175)/8 = 109.375.
		name:    "ack delay capped by max_ack_delay after confirmation",
		samples: []sample{first, {200 * ms, 80 * ms, 25 * ms, true}},
		want:    RTT{Latest: 200 * ms, Min: 100 * ms, Smoothed: 109375 * time.Microsecond, Var: 56250 * time.Microsecond, hasSample: true},
	}, {
		// min drops to 80; 80-10 < 80 so adjusted = 80;
		// var = (150+20)/4 = 42.5; smoothed = (700+80)/8 = 97.5.
		name:    "new minimum",
		samples: []sample{first, {80 * ms, 10 * ms, 25 * ms, true}},
		want:    RTT{Latest: 80 * ms, Min: 80 * ms, Smoothed: 97500 * time.Microsecond, Var: 42500 * time.Microsecond, hasSample: true},
	}, {
		name:    "huge ack delay before confirmation does not overflow",
		samples: []sample{first, {120 * ms, math.MaxInt64, 25 * ms, false}},
		want:    RTT{Latest: 120 * ms, Min: 100 * ms, Smoothed: 102500 * time.Microsecond, Var: 42500 * time.Microsecond, hasSample: true},
	}, {
		name:    "negative ack delay treated as zero",
		samples: []sample{first, {120 * ms, -5 * ms, 25 * ms, true}},
		want:    RTT{Latest: 120 * ms, Min: 100 * ms, Smoothed: 102500 * time.Microsecond, Var: 42500 * time.Microsecond, hasSample: true},
	}, {
		// Second: adjusted 110, var 40, smoothed 101.25.
		// Third: 100-10 is below min 100, so adjusted = 100;
		// var = (120 + 1.25)/4 = 30.3125; smoothed = (708.75+100)/8 = 101.09375.
		name: "three samples",
		samples: []sample{first,
			{120 * ms, 10 * ms, 25 * ms, true},
			{100 * ms, 10 * ms, 25 * ms, true}},
		want: RTT{Latest: 100 * ms, Min: 100 * ms, Smoothed: 101093750 * time.Nanosecond, Var: 30312500 * time.Nanosecond, hasSample: true},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRTT(InitialRTT)
			for _, s := range tt.samples {
				r.Update(s.latest, s.ackDelay, s.maxAckDelay, s.confirmed)
			}
			if diff := cmp.Diff(tt.want, r, cmp.AllowUnexported(RTT{})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if !r.HasSample() {
				t.Error("HasSample() = false after Update")
			}
		})
	}
}

func TestRTTResetMin(t *testing.T) {
	r := NewRTT(InitialRTT)
	r.ResetMin() // no sample: no effect
	if r.Min != 0 {
		t.Fatalf("ResetMin before any sample: Min = %v; want 0", r.Min)
	}
	r.Update(50*ms, 0, 0, true)
	r.Update(200*ms, 0, 0, true)
	r.ResetMin()
	if r.Min != 200*ms {
		t.Errorf("Min after ResetMin = %v; want 200ms", r.Min)
	}
}

func TestRTTPTO(t *testing.T) {
	tests := []struct {
		name        string
		rtt         RTT
		maxAckDelay time.Duration
		want        time.Duration
	}{
		// 333 + 4*166.5 = 999ms: the 1 second handshake PTO of Section 6.2.2.
		{"initial, handshake space", NewRTT(InitialRTT), 0, 999 * ms},
		{"initial, application space", NewRTT(InitialRTT), 25 * ms, 1024 * ms},
		{"sampled", RTT{Smoothed: 100 * ms, Var: 40 * ms}, 25 * ms, 285 * ms},
		// max(4*0.1ms, 1ms) = 1ms.
		{"granularity floor", RTT{Smoothed: 10 * ms, Var: 100 * time.Microsecond}, 0, 11 * ms},
		{"zero rtt still at least granularity", RTT{}, 0, Granularity},
		{"negative max_ack_delay ignored", RTT{Smoothed: 100 * ms, Var: 40 * ms}, -25 * ms, 260 * ms},
	}
	for _, tt := range tests {
		if got := tt.rtt.PTO(tt.maxAckDelay); got != tt.want {
			t.Errorf("%s: PTO(%v) = %v; want %v", tt.name, tt.maxAckDelay, got, tt.want)
		}
	}
}

func TestRTTPersistentCongestionDuration(t *testing.T) {
	// RFC 9002, Section 7.6.1: 3 * (smoothed + max(4*var, 1ms) + max_ack_delay).
	r := RTT{Smoothed: 100 * ms, Var: 40 * ms}
	if got, want := r.PersistentCongestionDuration(25*ms), 855*ms; got != want {
		t.Errorf("PersistentCongestionDuration(25ms) = %v; want %v", got, want)
	}
}

func TestRTTLossDelay(t *testing.T) {
	tests := []struct {
		smoothed, latest time.Duration
		want             time.Duration
	}{
		{100 * ms, 80 * ms, 112500 * time.Microsecond}, // 9/8 * smoothed
		{100 * ms, 120 * ms, 135 * ms},                 // 9/8 * latest
		{800 * time.Microsecond, 0, Granularity},       // floor: 0.9ms < 1ms
		{0, 0, Granularity},                            // floor
		{333 * ms, 0, 374625 * time.Microsecond},       // initial state
		{8 * time.Microsecond, 9 * time.Microsecond, Granularity},
	}
	for _, tt := range tests {
		r := RTT{Smoothed: tt.smoothed, Latest: tt.latest}
		if got := r.LossDelay(); got != tt.want {
			t.Errorf("LossDelay(smoothed %v, latest %v) = %v; want %v", tt.smoothed, tt.latest, got, tt.want)
		}
	}
}

func TestRTTAllocs(t *testing.T) {
	r := NewRTT(InitialRTT)
	var sink time.Duration
	allocs := testing.AllocsPerRun(100, func() {
		r.Update(30*ms, 2*ms, 25*ms, true)
		sink += r.PTO(25 * ms)
		sink += r.LossDelay()
		sink += r.PersistentCongestionDuration(25 * ms)
	})
	if allocs != 0 {
		t.Errorf("allocations per run = %v; want 0", allocs)
	}
	_ = sink
}

package flow

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRecvWindowViolation(t *testing.T) {
	tests := []struct {
		name     string
		received []uint64 // OnReceived calls; the last one is checked
		wantErr  bool
	}{
		{"nothing", []uint64{0}, false},
		{"below limit", []uint64{999}, false},
		{"at limit", []uint64{1000}, false},
		{"beyond limit", []uint64{1001}, true},
		{"far beyond limit", []uint64{wire.MaxVarint}, true},
		{"going back is fine", []uint64{900, 100}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewRecvWindow(1000, 4000)
			var err error
			for _, r := range tt.received {
				err = w.OnReceived(r)
			}
			if got := errors.Is(err, &wire.TransportError{Code: wire.FlowControlError}); got != tt.wantErr || (err != nil) != tt.wantErr {
				t.Fatalf("OnReceived = %v, want FLOW_CONTROL_ERROR: %v", err, tt.wantErr)
			}
			if w.Limit() != 1000 {
				t.Errorf("Limit() = %d, want 1000", w.Limit())
			}
		})
	}

	// After an update, the new limit is the one enforced.
	w := NewRecvWindow(1000, 1000)
	w.OnConsumed(600, t0, 0)
	w.Update(t0, 0)
	if err := w.OnReceived(1600); err != nil {
		t.Errorf("OnReceived(1600) after update to %d = %v", w.Limit(), err)
	}
	if err := w.OnReceived(1601); err == nil {
		t.Errorf("OnReceived(1601) after update to %d = nil", w.Limit())
	}
}

func TestRecvWindowUpdateThreshold(t *testing.T) {
	const rtt = 10 * time.Millisecond
	tests := []struct {
		name      string
		consumed  uint64
		want      bool
		wantLimit uint64 // after Update, long after (no auto-tuning)
	}{
		{"nothing consumed", 0, false, 1000},
		{"below half", 499, false, 1499}, // Update raises the limit when asked anyway
		{"half", 500, true, 1500},
		{"most", 999, true, 1999},
		{"all", 1000, true, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewRecvWindow(1000, 1000)
			w.OnReceived(tt.consumed)
			w.OnConsumed(tt.consumed, t0, rtt)
			if got := w.ShouldUpdate(); got != tt.want {
				t.Errorf("ShouldUpdate() = %v, want %v", got, tt.want)
			}
			if got := w.Update(t0.Add(time.Second), rtt); got != tt.wantLimit || w.Limit() != tt.wantLimit {
				t.Errorf("Update() = %d, Limit() = %d, want %d", got, w.Limit(), tt.wantLimit)
			}
			if w.ShouldUpdate() {
				t.Errorf("ShouldUpdate() = true right after Update")
			}
		})
	}
}

// TestRecvWindowAutoTune consumes a window's worth in steps, updating
// whenever due, and checks the window after each update.
func TestRecvWindowAutoTune(t *testing.T) {
	const rtt = 10 * time.Millisecond
	tests := []struct {
		name       string
		initial    uint64
		max        uint64
		interval   time.Duration // time between consumption steps
		wantWindow []uint64      // window after each of the first updates
	}{
		{
			name:       "fast reader grows to cap",
			initial:    1000,
			max:        3000,
			interval:   time.Millisecond,
			wantWindow: []uint64{2000, 3000, 3000, 3000},
		},
		{
			// At 100 bytes/ms, half a 4000-byte window lasts 2 RTTs: the
			// window stops being the bottleneck there.
			name:       "fast reader grows until window is not the bottleneck",
			initial:    1000,
			max:        1 << 20,
			interval:   time.Millisecond,
			wantWindow: []uint64{2000, 4000, 4000, 4000, 4000},
		},
		{
			name:       "slow reader keeps window",
			initial:    1000,
			max:        5000,
			interval:   20 * time.Millisecond,
			wantWindow: []uint64{1000, 1000, 1000, 1000, 1000},
		},
		{
			name:       "max below initial",
			initial:    1000,
			max:        10,
			interval:   time.Millisecond,
			wantWindow: []uint64{1000, 1000, 1000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewRecvWindow(tt.initial, tt.max)
			now := t0
			var got []uint64
			for len(got) < len(tt.wantWindow) {
				// The peer sends everything it may; the application reads
				// 100 bytes per interval.
				if err := w.OnReceived(w.Limit()); err != nil {
					t.Fatal(err)
				}
				now = now.Add(tt.interval)
				w.OnConsumed(100, now, rtt)
				if w.ShouldUpdate() {
					limit := w.Update(now, rtt)
					if want := w.Consumed() + w.Window(); limit != want {
						t.Fatalf("Update() = %d, want consumed+window = %d", limit, want)
					}
					got = append(got, w.Window())
				}
			}
			if diff := cmp.Diff(tt.wantWindow, got); diff != "" {
				t.Errorf("window after each update (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecvWindowNoRTT(t *testing.T) {
	// Without an RTT estimate there is no basis to grow the window.
	w := NewRecvWindow(1000, 8000)
	w.OnConsumed(600, t0, 0)
	w.Update(t0, 0)
	w.OnConsumed(600, t0, 0)
	w.Update(t0, 0)
	if w.Window() != 1000 {
		t.Errorf("Window() = %d, want 1000", w.Window())
	}
}

func TestRecvWindowEnsureWindow(t *testing.T) {
	w := NewRecvWindow(1000, 8000)
	w.EnsureWindow(500)
	if w.Window() != 1000 {
		t.Errorf("EnsureWindow(500): Window() = %d, want 1000", w.Window())
	}
	w.EnsureWindow(3000)
	if w.Window() != 3000 {
		t.Errorf("EnsureWindow(3000): Window() = %d, want 3000", w.Window())
	}
	w.EnsureWindow(1 << 40)
	if w.Window() != 8000 {
		t.Errorf("EnsureWindow(1<<40): Window() = %d, want the cap 8000", w.Window())
	}
	// The limit stays what was advertised until the next update.
	if w.Limit() != 1000 {
		t.Errorf("Limit() = %d, want 1000", w.Limit())
	}
	if !w.ShouldUpdate() {
		t.Errorf("ShouldUpdate() = false with remaining credit under half the new window")
	}
	if got := w.Update(t0, 0); got != 8000 {
		t.Errorf("Update() = %d, want 8000", got)
	}
}

func TestRecvWindowCappedAtMaxVarint(t *testing.T) {
	w := NewRecvWindow(wire.MaxVarint-10, wire.MaxVarint)
	w.OnConsumed(wire.MaxVarint-10, t0, 0)
	if got := w.Update(t0.Add(time.Hour), time.Millisecond); got != wire.MaxVarint {
		t.Errorf("Update() = %d, want 2^62-1", got)
	}
	if w.ShouldUpdate() {
		t.Errorf("ShouldUpdate() = true at the largest limit")
	}
}

func TestSendWindow(t *testing.T) {
	w := NewSendWindow(1000)
	type state struct {
		Limit     uint64
		Available uint64
		Blocked   bool
	}
	get := func(sent uint64) state {
		_, blocked := w.ShouldSendBlocked(sent)
		return state{w.Limit(), w.Available(sent), blocked}
	}
	steps := []struct {
		name string
		do   func()
		sent uint64
		want state
	}{
		{"initial", func() {}, 0, state{1000, 1000, false}},
		{"partly used", func() {}, 400, state{1000, 600, false}},
		{"at limit", func() {}, 1000, state{1000, 0, true}},
		{"blocked sent", func() { w.OnBlockedSent(1000) }, 1000, state{1000, 0, false}},
		{"blocked lost", func() { w.OnBlockedLost(1000) }, 1000, state{1000, 0, true}},
		{"blocked resent", func() { w.OnBlockedSent(1000) }, 1000, state{1000, 0, false}},
		{"smaller limit ignored", func() { w.SetLimit(500) }, 1000, state{1000, 0, false}},
		{"same limit ignored", func() { w.SetLimit(1000) }, 1000, state{1000, 0, false}},
		{"raised", func() { w.SetLimit(3000) }, 1000, state{3000, 2000, false}},
		{"old blocked frame lost", func() { w.OnBlockedLost(1000) }, 1000, state{3000, 2000, false}},
		{"stale sent record", func() { w.OnBlockedSent(1000) }, 3000, state{3000, 0, true}},
		{"blocked at new limit", func() { w.OnBlockedSent(3000) }, 3000, state{3000, 0, false}},
		{"raised again", func() { w.SetLimit(4000) }, 3000, state{4000, 1000, false}},
	}
	for _, s := range steps {
		s.do()
		if diff := cmp.Diff(s.want, get(s.sent)); diff != "" {
			t.Fatalf("%s: (-want +got):\n%s", s.name, diff)
		}
	}
	if limit, _ := w.ShouldSendBlocked(4000); limit != 4000 {
		t.Errorf("ShouldSendBlocked limit = %d, want 4000", limit)
	}
	var zero SendWindow
	if _, blocked := zero.ShouldSendBlocked(0); zero.Available(0) != 0 || !blocked {
		t.Errorf("zero SendWindow: Available = %d, blocked = %v; want 0, true", zero.Available(0), blocked)
	}
}

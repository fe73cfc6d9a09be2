package mux

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wantToken is the core's derivation (internal/core/connid.go, tokenFor).
func wantToken(key *[32]byte, id []byte) []byte {
	m := hmac.New(sha256.New, key[:])
	m.Write(id)
	return m.Sum(nil)[:16]
}

func TestStatelessReset(t *testing.T) {
	key := &[32]byte{1, 2, 3}
	tests := []struct {
		trigger, want int // datagram sizes; want 0: no reset
	}{
		{trigger: 1200, want: 43},
		{trigger: 45, want: 43},
		{trigger: 44, want: 43},
		{trigger: 43, want: 42},
		{trigger: 30, want: 29},
		{trigger: 22, want: 21},
		// RFC 9000, Section 10.3: a reset smaller than 21 bytes is not
		// valid, and it must be smaller than its trigger.
		{trigger: 21, want: 0},
		{trigger: 12, want: 0},
	}
	for _, tt := range tests {
		h := newHarness(t, Config{StatelessResetKey: key})
		id := cid(byte(tt.trigger), 8)
		h.send(shortPacket(id, tt.trigger))
		h.sync()
		if tt.want == 0 {
			h.noReply()
			if got := h.m.Stats().Unroutable; got != 1 {
				t.Errorf("trigger %d: Unroutable = %d, want 1", tt.trigger, got)
			}
			continue
		}
		r := h.reply() // written before the barrier was handled
		if len(r) != tt.want {
			t.Errorf("trigger %d: reset is %d bytes, want %d", tt.trigger, len(r), tt.want)
			continue
		}
		if r[0]&0xc0 != 0x40 {
			t.Errorf("trigger %d: first byte %#x, want 0b01xxxxxx", tt.trigger, r[0])
		}
		if diff := cmp.Diff(wantToken(key, id), r[len(r)-16:]); diff != "" {
			t.Errorf("trigger %d: token (-want +got):\n%s", tt.trigger, diff)
		}
		if got := h.m.Stats().StatelessResets; got != 1 {
			t.Errorf("trigger %d: StatelessResets = %d", tt.trigger, got)
		}
	}
}

func TestNoResetWithoutFixedBit(t *testing.T) {
	h := newHarness(t, Config{})
	b := shortPacket(cid(1, 8), 100)
	b[0] = 0x01 // not QUIC: no reply
	h.send(b)
	h.sync()
	h.noReply()
}

func TestStatelessResetKeyDefault(t *testing.T) {
	h := newHarness(t, Config{})
	key := h.m.StatelessResetKey()
	if *key == ([32]byte{}) {
		t.Fatal("default key is zero")
	}
	id := cid(9, 8)
	h.send(shortPacket(id, 100))
	r := h.reply()
	if len(r) != 43 {
		t.Fatalf("reset of %d bytes", len(r))
	}
	if diff := cmp.Diff(wantToken(key, id), r[len(r)-16:]); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
}

func TestReplyRateLimit(t *testing.T) {
	h := newHarness(t, Config{Server: true, ReplyBurst: 3, ReplyRate: 2})
	for i := range 10 {
		h.send(shortPacket(cid(byte(i), 8), 60))
	}
	h.send(unknownVersionPacket(0x1a2a3a4a, cid(1, 8), nil, 1200))
	h.sync()
	for range 3 {
		if r := h.reply(); len(r) != 43 {
			t.Errorf("reply of %d bytes, want a 43-byte reset", len(r))
		}
	}
	h.noReply()
	want := Stats{Received: 12, Delivered: 1, StatelessResets: 3, RateLimited: 8}
	if diff := cmp.Diff(want, h.m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}

	// Half a second gives one token back at 2 per second.
	h.clock.advance(500 * time.Millisecond)
	h.send(shortPacket(cid(1, 8), 60))
	h.send(shortPacket(cid(2, 8), 60))
	h.sync()
	h.reply()
	h.noReply()
	if got := h.m.Stats().RateLimited; got != 9 {
		t.Errorf("RateLimited = %d, want 9", got)
	}
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := newTokenBucket(10, 2, t0)
	steps := []struct {
		at   time.Duration
		want bool
	}{
		{0, true}, {0, true}, {0, false},
		{50 * time.Millisecond, false}, // half a token
		{100 * time.Millisecond, true},
		{100 * time.Millisecond, false},
		{time.Hour, true}, {time.Hour, true}, {time.Hour, false}, // capped at burst
		{time.Hour - time.Second, false}, // time going back changes nothing
	}
	for i, s := range steps {
		if got := b.allow(t0.Add(s.at)); got != s.want {
			t.Errorf("step %d (at %v): allow = %v, want %v", i, s.at, got, s.want)
		}
	}
}

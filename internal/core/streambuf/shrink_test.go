package streambuf

import (
	"bytes"
	"testing"
)

func TestShrink(t *testing.T) {
	data := bytes.Repeat([]byte("crypto"), 300) // 1,800 bytes
	tests := []struct {
		name       string
		run        func(t *testing.T) (held int)
		wantBefore int // chunks held before Shrink
	}{
		{
			name: "send, all acknowledged",
			run: func(t *testing.T) int {
				var b SendBuffer
				b.Write(data)
				off, d, _, _ := b.NextSend(len(data), 1<<62)
				b.MarkSent(off, len(d), false)
				b.OnAcked(off, len(d), false)
				before := b.Footprint() / chunkSize
				b.Shrink()
				if after := b.Footprint() / chunkSize; after != 0 {
					t.Errorf("after Shrink: %d chunks held, want 0", after)
				}
				// Offsets carry on where they were.
				b.Write(data[:10])
				if off, d, _, _ := b.NextSend(100, 1<<62); off != uint64(len(data)) || !bytes.Equal(d, data[:10]) {
					t.Errorf("after Shrink: next send at %d (%q), want %d", off, d, len(data))
				}
				return before
			},
			wantBefore: 1,
		},
		{
			name: "send, data unacknowledged",
			run: func(t *testing.T) int {
				var b SendBuffer
				b.Write(data)
				before := b.Footprint() / chunkSize
				b.Shrink()
				if _, d, _, _ := b.NextSend(len(data), 1<<62); !bytes.Equal(d, data) {
					t.Errorf("after Shrink: sent %d bytes, want the %d written", len(d), len(data))
				}
				return before
			},
			wantBefore: 1,
		},
		{
			name: "recv, all read",
			run: func(t *testing.T) int {
				var b RecvBuffer
				b.Insert(0, data, false)
				b.Consume(len(data))
				before := b.Footprint() / chunkSize
				b.Shrink()
				if after := b.Footprint() / chunkSize; after != 0 {
					t.Errorf("after Shrink: %d chunks held, want 0", after)
				}
				b.Insert(uint64(len(data)), data[:10], false)
				if got := b.Next(); b.ReadOffset() != uint64(len(data)) || !bytes.Equal(got, data[:10]) {
					t.Errorf("after Shrink: read %q at %d, want %q at %d", got, b.ReadOffset(), data[:10], len(data))
				}
				return before
			},
			wantBefore: 1,
		},
		{
			name: "recv, data unread",
			run: func(t *testing.T) int {
				var b RecvBuffer
				b.Insert(0, data, false)
				before := b.Footprint() / chunkSize
				b.Shrink()
				if got := b.Next(); !bytes.Equal(got, data) {
					t.Errorf("after Shrink: %d bytes readable, want %d", len(got), len(data))
				}
				return before
			},
			wantBefore: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.run(t); got != tt.wantBefore {
				t.Errorf("before Shrink: %d chunks held, want %d", got, tt.wantBefore)
			}
		})
	}
}

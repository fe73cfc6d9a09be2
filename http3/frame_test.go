package http3

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/wire"
)

// readAllFrames reads every frame of b as a request stream would, reading
// DATA payloads, and returns a description of each.
func readAllFrames(b []byte, maxHeaders uint64) ([]frame, error) {
	fr := newFrameReader(bytes.NewReader(b), maxHeaders)
	var out []frame
	for {
		f, err := fr.next()
		if err != nil {
			return out, err
		}
		if f.typ == frameData {
			data, err := io.ReadAll(dataOnly{fr})
			if err != nil {
				return out, err
			}
			f.payload = data
		}
		out = append(out, f)
	}
}

// dataOnly reads the payload of the current DATA frame to its end.
type dataOnly struct{ fr *frameReader }

func (d dataOnly) Read(p []byte) (int, error) {
	if d.fr.dataLeft == 0 {
		return 0, io.EOF
	}
	return d.fr.readData(p)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestFrameReader(t *testing.T) {
	hdr := func(typ, n uint64) []byte { return appendFrameHeader(nil, typ, n) }
	tests := []struct {
		name  string
		in    []byte
		want  []frame
		code  ErrCode // 0: io.EOF expected
		limit uint64
	}{{
		name: "data and headers",
		in:   cat(appendFrame(nil, frameHeaders, []byte("hdr")), appendFrame(nil, frameData, []byte("body"))),
		want: []frame{{typ: frameHeaders, length: 3, payload: []byte("hdr")}, {typ: frameData, length: 4, payload: []byte("body")}},
	}, {
		name: "unknown and grease skipped",
		in:   cat(appendFrame(nil, 0x21, []byte("xx")), appendFrame(nil, 0x3fff, nil), appendFrame(nil, frameGoAway, []byte{4})),
		want: []frame{{typ: frameGoAway, length: 1, payload: []byte{4}}},
	}, {
		name: "empty data",
		in:   appendFrame(nil, frameData, nil),
		want: []frame{{typ: frameData, payload: []byte{}}},
	}, {
		name: "HTTP/2 PRIORITY",
		in:   appendFrame(nil, 0x02, []byte{1}),
		code: ErrCodeFrameUnexpected,
	}, {
		name: "truncated type",
		in:   []byte{0x40},
		code: ErrCodeFrameError,
	}, {
		name: "truncated length",
		in:   []byte{0x01},
		code: ErrCodeFrameError,
	}, {
		name: "truncated headers payload",
		in:   cat(hdr(frameHeaders, 5), []byte("abc")),
		code: ErrCodeFrameError,
	}, {
		name: "truncated data payload",
		in:   cat(hdr(frameData, 5), []byte("abc")),
		code: ErrCodeFrameError,
	}, {
		name: "truncated unknown payload",
		in:   cat(hdr(0x21, 5), []byte("abc")),
		code: ErrCodeFrameError,
	}, {
		name:  "oversized headers",
		in:    cat(hdr(frameHeaders, 11), make([]byte, 11)),
		limit: 10,
		code:  ErrCodeExcessiveLoad,
	}, {
		name: "oversized settings",
		in:   hdr(frameSettings, maxControlFrame+1),
		code: ErrCodeExcessiveLoad,
	}, {
		name: "huge unknown frame ending early",
		in:   cat(hdr(0x21, wire.MaxVarint), []byte("abc")),
		code: ErrCodeFrameError,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = 1 << 16
			}
			got, err := readAllFrames(tt.in, limit)
			if tt.code == 0 {
				if err != io.EOF {
					t.Fatalf("err = %v, want io.EOF", err)
				}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(frame{})); diff != "" {
					t.Errorf("frames (-want +got):\n%s", diff)
				}
				return
			}
			var h3err *Error
			if !errors.As(err, &h3err) || h3err.Code != tt.code || !h3err.Connection {
				t.Fatalf("err = %v, want connection error %v", err, tt.code)
			}
		})
	}
}

func TestParseSettings(t *testing.T) {
	set := func(kv ...uint64) []byte {
		var b []byte
		for _, v := range kv {
			b = wire.AppendVarint(b, v)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want settings
		code ErrCode
	}{{
		name: "empty",
	}, {
		name: "all known and unknown",
		in:   set(1, 4096, 6, 16384, 7, 100, 0x21, 5, 0x1234, 9),
		want: settings{qpackMaxTableCapacity: 4096, maxFieldSectionSize: 16384, qpackBlockedStreams: 100},
	}, {
		name: "duplicate",
		in:   set(1, 1, 1, 2),
		code: ErrCodeSettingsError,
	}, {
		name: "HTTP/2 setting",
		in:   set(2, 1),
		code: ErrCodeSettingsError,
	}, {
		name: "truncated value",
		in:   set(1),
		code: ErrCodeFrameError,
	}, {
		name: "truncated varint",
		in:   []byte{0x40},
		code: ErrCodeFrameError,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSettings(tt.in)
			if tt.code != 0 {
				var h3err *Error
				if !errors.As(err, &h3err) || h3err.Code != tt.code {
					t.Fatalf("err = %v, want %v", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(settings{})); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	s := settings{qpackMaxTableCapacity: 4096, qpackBlockedStreams: 16, maxFieldSectionSize: 1 << 20}
	frames, err := readAllFrames(appendSettingsFrame(nil, s, 7), 1<<16)
	if err != io.EOF || len(frames) != 1 || frames[0].typ != frameSettings {
		t.Fatalf("frames %v, err %v", frames, err)
	}
	got, err := parseSettings(frames[0].payload)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got, cmp.AllowUnexported(settings{})); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestParseIDFrame(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want uint64
		ok   bool
	}{
		{in: []byte{4}, want: 4, ok: true},
		{in: wire.AppendVarint(nil, 1<<40), want: 1 << 40, ok: true},
		{in: nil},
		{in: []byte{4, 0}},
		{in: []byte{0x40}},
	} {
		got, err := parseIDFrame(frameGoAway, tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("parseIDFrame(%x) = %d, %v", tt.in, got, err)
		}
	}
}

func TestGrease(t *testing.T) {
	for n := uint64(0); n < 100; n++ {
		if !isGrease(greaseValue(n)) {
			t.Fatalf("greaseValue(%d) = %#x is not reserved", n, greaseValue(n))
		}
	}
	for _, v := range []uint64{0, 1, 0x20, 0x22, 0x3f} {
		if isGrease(v) {
			t.Errorf("isGrease(%#x)", v)
		}
	}
}

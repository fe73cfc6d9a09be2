package http3

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func fl(kv ...string) []field {
	var fs []field
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, field{Name: kv[i], Value: kv[i+1]})
	}
	return fs
}

func TestParseRequestFields(t *testing.T) {
	base := []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"}
	with := func(kv ...string) []field { return fl(append(append([]string(nil), base...), kv...)...) }
	tests := []struct {
		name   string
		fields []field
		ok     bool
		header http.Header
	}{
		{name: "minimal", fields: with(), ok: true, header: http.Header{}},
		{name: "cookies joined", fields: with("cookie", "a=1", "cookie", "b=2", "x-y", "z"), ok: true,
			header: http.Header{"Cookie": {"a=1; b=2"}, "X-Y": {"z"}}},
		{name: "te trailers", fields: with("te", "trailers"), ok: true, header: http.Header{"Te": {"trailers"}}},
		{name: "host only", fields: fl(":method", "GET", ":scheme", "https", ":path", "/", "host", "h"), ok: true, header: http.Header{"Host": {"h"}}},
		{name: "CONNECT", fields: fl(":method", "CONNECT", ":authority", "h:1"), ok: true, header: http.Header{}},
		{name: "OPTIONS *", fields: fl(":method", "OPTIONS", ":scheme", "https", ":authority", "h", ":path", "*"), ok: true, header: http.Header{}},
		{name: "uppercase name", fields: with("X-Upper", "v")},
		{name: "connection header", fields: with("connection", "close")},
		{name: "transfer-encoding", fields: with("transfer-encoding", "chunked")},
		{name: "keep-alive", fields: with("keep-alive", "1")},
		{name: "upgrade", fields: with("upgrade", "h2c")},
		{name: "te gzip", fields: with("te", "gzip")},
		{name: "pseudo after regular", fields: fl(":method", "GET", "x", "y", ":scheme", "https", ":authority", "h", ":path", "/")},
		{name: "duplicate pseudo", fields: with(":path", "/again")},
		{name: "unknown pseudo", fields: with(":protocol", "websocket")},
		{name: "response pseudo", fields: with(":status", "200")},
		{name: "missing path", fields: fl(":method", "GET", ":scheme", "https", ":authority", "h")},
		{name: "missing method", fields: fl(":scheme", "https", ":authority", "h", ":path", "/")},
		{name: "relative path", fields: fl(":method", "GET", ":scheme", "https", ":authority", "h", ":path", "x")},
		{name: "no authority", fields: fl(":method", "GET", ":scheme", "https", ":path", "/")},
		{name: "authority and host differ", fields: with("host", "other")},
		{name: "CONNECT with path", fields: fl(":method", "CONNECT", ":authority", "h:1", ":path", "/")},
		{name: "newline in value", fields: with("x", "a\nb")},
		{name: "NUL in value", fields: with("x", "a\x00b")},
		{name: "space in name", fields: with("x y", "v")},
		{name: "bad content-length", fields: with("content-length", "-1")},
		{name: "conflicting content-length", fields: with("content-length", "1", "content-length", "2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseFields(tt.fields, requestSection)
			if !tt.ok {
				var h3err *Error
				if !errors.As(err, &h3err) || h3err.Code != ErrCodeMessageError || h3err.Connection {
					t.Fatalf("err = %v, want stream error H3_MESSAGE_ERROR", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.header, m.header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseResponseAndTrailerFields(t *testing.T) {
	tests := []struct {
		name   string
		kind   int
		fields []field
		status int
		ok     bool
	}{
		{name: "200", kind: responseSection, fields: fl(":status", "200", "content-length", "5"), status: 200, ok: true},
		{name: "103", kind: responseSection, fields: fl(":status", "103"), status: 103, ok: true},
		{name: "missing status", kind: responseSection, fields: fl("x", "y")},
		{name: "bad status", kind: responseSection, fields: fl(":status", "20")},
		{name: "status 099", kind: responseSection, fields: fl(":status", "099")},
		{name: "request pseudo", kind: responseSection, fields: fl(":status", "200", ":path", "/")},
		{name: "trailer", kind: trailerSection, fields: fl("x-sum", "1"), ok: true},
		{name: "pseudo in trailer", kind: trailerSection, fields: fl(":status", "200")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseFields(tt.fields, tt.kind)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
			if err == nil && m.status != tt.status {
				t.Errorf("status %d, want %d", m.status, tt.status)
			}
		})
	}
}

func TestRequestFields(t *testing.T) {
	req, _ := http.NewRequest("POST", "https://example.com:8443/a/b?c=d", nil)
	req.Header.Set("Connection", "keep-alive")
	req.Header.Set("X-Custom", "v")
	req.ContentLength = 0
	fields, err := requestFields(req)
	if err != nil {
		t.Fatal(err)
	}
	want := fl(":method", "POST", ":scheme", "https", ":authority", "example.com:8443", ":path", "/a/b?c=d",
		"x-custom", "v", "content-length", "0")
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	// What the client sends, the server accepts.
	if _, err := parseFields(fields, requestSection); err != nil {
		t.Error(err)
	}
	req.Header.Set("Bad Name", "v")
	if _, err := requestFields(req); err == nil {
		t.Error("invalid header name accepted")
	}
}

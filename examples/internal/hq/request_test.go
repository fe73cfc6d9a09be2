package hq

import (
	"errors"
	"strings"
	"testing"
)

func TestReadRequest(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "GET /\r\n", want: "/"},
		{in: "GET /1MB\r\n", want: "/1MB"},
		{in: "GET /a/b.txt\n", want: "/a/b.txt"},
		{in: "GET /%20x\r\n", want: "/%20x"},
		{in: "", wantErr: true},
		{in: "GET /x", wantErr: true},
		{in: "GET /x\r\nmore", wantErr: true},
		{in: "GET /x\r\n\r\n", wantErr: true},
		{in: "POST /x\r\n", wantErr: true},
		{in: "GET x\r\n", wantErr: true},
		{in: "GET /x HTTP/1.1\r\n", wantErr: true},
		{in: "get /x\r\n", wantErr: true},
		{in: "GET /" + strings.Repeat("a", maxRequest) + "\r\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ReadRequest(strings.NewReader(tt.in))
		if tt.wantErr {
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("ReadRequest(%.40q) = %q, %v; want ErrBadRequest", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ReadRequest(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestAppendRequestRoundTrip(t *testing.T) {
	for _, path := range []string{"/", "/1KB", "/dir/file.bin"} {
		req := AppendRequest(nil, path)
		got, err := ReadRequest(strings.NewReader(string(req)))
		if err != nil || got != path {
			t.Errorf("ReadRequest(AppendRequest(%q)) = %q, %v", path, got, err)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
	"github.com/quince-go/quic/http3"
)

// TestServeBothProtocols serves the demo files and fetches them with
// HTTP/3 and with hq-interop from the same Listener.
func TestServeBothProtocols(t *testing.T) {
	tlsConf, err := tlsConfig("", "")
	if err != nil {
		t.Fatal(err)
	}
	l, err := quic.Listen("udp", "127.0.0.1:0", tlsConf, serverConfig(false, true))
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int64{"1KB": 1 << 10, "1MB": 1 << 20}
	files := hq.DemoFS(sizes)
	log := slog.New(slog.DiscardHandler)
	h3 := &http3.Server{Handler: filesHandler(files)}
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), l, &hq.Server{FS: files, Logger: log}, h3, log) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		h3.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := "https://" + l.Addr().String()
	clientTLS := &tls.Config{InsecureSkipVerify: true}

	tr := &http3.Transport{TLSClientConfig: clientTLS}
	defer tr.Close()
	hc := &http.Client{Transport: tr}
	hqc := &hq.Client{TLSConfig: clientTLS}
	defer hqc.Close()

	tests := []struct {
		path     string
		status   int
		contains string // for the index
		size     int64  // for a file
	}{
		{"/", http.StatusOK, "quince demo files", 0},
		{"/1KB", http.StatusOK, "", 1 << 10},
		{"/1MB", http.StatusOK, "", 1 << 20},
		{"/missing", http.StatusNotFound, "", 0},
	}
	for _, tt := range tests {
		want := func(got []byte) {
			t.Helper()
			if tt.contains != "" && !bytes.Contains(got, []byte(tt.contains)) {
				t.Errorf("%s: %q does not contain %q", tt.path, got, tt.contains)
			}
			if tt.size > 0 {
				var w bytes.Buffer
				hq.Generate(&w, tt.path[1:], tt.size)
				if !bytes.Equal(got, w.Bytes()) {
					t.Errorf("%s: %d bytes, not the %d served", tt.path, len(got), tt.size)
				}
			}
		}
		// HTTP/3.
		resp, err := hc.Get(base + tt.path)
		if err != nil {
			t.Fatalf("h3 %s: %v", tt.path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status {
			t.Errorf("h3 %s: status %d, %v; want %d", tt.path, resp.StatusCode, err, tt.status)
		}
		if tt.status == http.StatusOK {
			want(body)
		}
		// hq-interop.
		r, err := hqc.Get(ctx, base+tt.path)
		if err != nil {
			t.Fatalf("hq %s: %v", tt.path, err)
		}
		body, err = io.ReadAll(r)
		r.Close()
		if tt.status == http.StatusOK {
			if err != nil {
				t.Errorf("hq %s: %v", tt.path, err)
			}
			want(body)
		} else if err == nil {
			t.Errorf("hq %s: no error", tt.path)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
	"github.com/quince-go/quic/http3"
)

// startServer runs the example server's code on 127.0.0.1:0 and returns its
// address and a PEM file of its certificate for -cacert.
func startServer(t *testing.T, files map[string]int64) (addr, caFile string) {
	t.Helper()
	return startServerConf(t, files, &quic.Config{Versions: []uint32{quic.Version2, quic.Version1}})
}

// startServerConf is startServer with conf.
func startServerConf(t *testing.T, files map[string]int64, conf *quic.Config) (addr, caFile string) {
	t.Helper()
	cert, err := hq.SelfSigned("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := quic.Listen("udp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{hq.ALPN},
	}, conf)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&hq.Server{FS: hq.DemoFS(files)}).Serve(context.Background(), l)
	}()
	t.Cleanup(func() { l.Close(); <-done })
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	return l.Addr().String(), caFile
}

// TestRunOut fetches several files into a directory, trusting the server
// with -cacert, and checks each file's bytes.
func TestRunOut(t *testing.T) {
	files := map[string]int64{"1KB": 1 << 10, "3MB": 3 << 20}
	addr, ca := startServer(t, files)
	for _, v2 := range []bool{false, true} {
		out := t.TempDir()
		urls := []string{"https://" + addr + "/1KB", "https://" + addr + "/3MB", "https://" + addr + "/"}
		if err := run(urls, options{out: out, caCert: ca, v2: v2}); err != nil {
			t.Fatalf("run (v2 %v): %v", v2, err)
		}
		for name, size := range files {
			got, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			hq.Generate(&want, name, size)
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s: %d bytes, not the %d served", name, len(got), size)
			}
		}
		if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
			t.Errorf("index.html: %v", err)
		}
	}
}

// TestRunErrors checks failures that must end in an error: a missing file
// (whose partial file is removed), an untrusted certificate.
func TestRunErrors(t *testing.T) {
	addr, ca := startServer(t, map[string]int64{"1KB": 1 << 10})
	out := t.TempDir()
	err := run([]string{"https://" + addr + "/1KB", "https://" + addr + "/missing"}, options{out: out, caCert: ca})
	if _, ok := errors.AsType[*hq.NotFoundError](err); !ok {
		t.Errorf("missing file: %v, want a *hq.NotFoundError", err)
	}
	if _, err := os.Stat(filepath.Join(out, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing file's output exists: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "1KB")); err != nil {
		t.Errorf("the other file: %v", err)
	}
	if err := run([]string{"https://" + addr + "/1KB"}, options{out: t.TempDir()}); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
}

// TestKeyUpdateRetryLine fetches from a server that sends Retry, with
// -keyupdate, and checks the connection line on standard error.
func TestKeyUpdateRetryLine(t *testing.T) {
	addr, ca := startServerConf(t, map[string]int64{"1MB": 1 << 20}, &quic.Config{RequireRetry: true})
	got, err := runStderr(t, []string{"https://" + addr + "/1MB"}, options{out: t.TempDir(), caCert: ca, keyUpdate: true})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := "connection 1: version=v1 resumed=false 0rtt=none key_updates=1 retry=true\n"
	if !strings.Contains(got, want) {
		t.Errorf("standard error:\n%s\nwant a line %q", got, want)
	}
}

// runStderr calls run and returns what it wrote to standard error.
func runStderr(t *testing.T, urls []string, o options) (string, error) {
	t.Helper()
	stderr, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = stderr
	err = run(urls, o)
	os.Stderr = saved
	got, _ := os.ReadFile(stderr.Name())
	return string(got), err
}

// TestResumeAnd0RTT fetches the first URL on one connection and the rest
// on a second that resumes it, with and without 0-RTT, from servers that
// accept and refuse 0-RTT, and checks the files and the connection lines.
func TestResumeAnd0RTT(t *testing.T) {
	files := map[string]int64{"1KB": 1 << 10, "2MB": 2 << 20}
	tests := []struct {
		name      string
		allow0RTT bool // the server's; false is -no0rtt
		o         options
		want      string // the second connection's line
	}{
		{"resume", true, options{resume: true}, "connection 2: version=v1 resumed=true 0rtt=none key_updates=0 retry=false"},
		{"0rtt", true, options{zeroRTT: true}, "connection 2: version=v1 resumed=true 0rtt=accepted key_updates=0 retry=false"},
		{"0rtt refused", false, options{zeroRTT: true}, "connection 2: version=v1 resumed=true 0rtt=none key_updates=0 retry=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, ca := startServerConf(t, files, &quic.Config{Allow0RTT: tt.allow0RTT})
			o := tt.o
			o.out, o.caCert = t.TempDir(), ca
			got, err := runStderr(t, []string{"https://" + addr + "/1KB", "https://" + addr + "/2MB", "https://" + addr + "/"}, o)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, got)
			}
			for name, size := range files {
				b, err := os.ReadFile(filepath.Join(o.out, name))
				var want bytes.Buffer
				hq.Generate(&want, name, size)
				if err != nil || !bytes.Equal(b, want.Bytes()) {
					t.Errorf("%s: %d bytes, %v; want the %d served", name, len(b), err, size)
				}
			}
			for _, want := range []string{"connection 1: version=v1 resumed=false 0rtt=none key_updates=0 retry=false\n", tt.want + "\n"} {
				if !strings.Contains(got, want) {
					t.Errorf("standard error:\n%s\nwant a line %q", got, want)
				}
			}
			if strings.Contains(got, "connection 3") {
				t.Errorf("more than two connections:\n%s", got)
			}
		})
	}
	if err := run([]string{"https://127.0.0.1:1/1KB"}, options{resume: true}); err == nil {
		t.Error("-resume with one URL: no error")
	}
}

func TestFileNames(t *testing.T) {
	tests := []struct {
		urls    []string
		unique  bool
		want    []string
		wantErr bool
	}{
		{urls: []string{"https://h:1/a", "https://h:1/d/b", "https://h:1/", "https://h:1"}, unique: true, want: []string{"a", "b", "index.html", "index.html"}, wantErr: true},
		{urls: []string{"https://h:1/a", "https://h:1/d/b", "https://h:1/d/"}, unique: true, want: []string{"a", "b", "index.html"}},
		{urls: []string{"https://h:1/a", "https://h:2/a"}, unique: true, wantErr: true},
		{urls: []string{"https://h:1/a", "https://h:2/a"}, want: []string{"a", "a"}},
		{urls: []string{"http://h:1/a"}, wantErr: true},
		{urls: []string{"h:1/a"}, wantErr: true},
	}
	for _, tt := range tests {
		got, err := fileNames(tt.urls, tt.unique)
		if tt.wantErr {
			if err == nil {
				t.Errorf("fileNames(%q) = %q, want an error", tt.urls, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("fileNames(%q): %v", tt.urls, err)
		} else if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("fileNames(%q) (-want +got):\n%s", tt.urls, diff)
		}
	}
}

// TestQlogDir checks that the client honours QLOGDIR: one trace per
// connection.
func TestQlogDir(t *testing.T) {
	addr, ca := startServer(t, map[string]int64{"1KB": 1 << 10})
	dir := t.TempDir()
	t.Setenv("QLOGDIR", dir)
	if err := run([]string{"https://" + addr + "/1KB", "https://" + addr + "/"}, options{out: t.TempDir(), caCert: ca, resume: true}); err != nil {
		t.Fatal(err)
	}
	// Close has flushed each trace up to the close.
	traces, _ := filepath.Glob(filepath.Join(dir, "*_client.sqlog"))
	if len(traces) != 2 {
		t.Errorf("traces in QLOGDIR: %q, want one per connection (2)", traces)
	}
	for _, name := range traces {
		if b, err := os.ReadFile(name); err != nil || !bytes.Contains(b, []byte(`"quic:connection_state_updated"`)) {
			t.Errorf("%s: %d bytes, %v; want connection states", name, len(b), err)
		}
	}
}

// TestH3 fetches files, and a missing one, with -h3 from an HTTP/3 server.
func TestH3(t *testing.T) {
	files := map[string]int64{"1KB": 1 << 10, "2MB": 2 << 20}
	cert, err := hq.SelfSigned("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := quic.Listen("udp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{http3.NextProtoH3}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	demo := hq.DemoFS(files)
	srv := &http3.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := demo.Open(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		io.Copy(w, f)
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); l.Close(); <-done })
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	base := "https://" + l.Addr().String()

	out := t.TempDir()
	if err := run([]string{base + "/1KB", base + "/2MB"}, options{out: out, caCert: caFile, h3: true}); err != nil {
		t.Fatalf("run: %v", err)
	}
	for name, size := range files {
		got, err := os.ReadFile(filepath.Join(out, name))
		var want bytes.Buffer
		hq.Generate(&want, name, size)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s: %d bytes, %v; want the %d served", name, len(got), err, size)
		}
	}
	if err := run([]string{base + "/missing"}, options{out: t.TempDir(), caCert: caFile, h3: true}); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing file: %v, want a 404 error", err)
	}
	if err := run([]string{base + "/1KB", base + "/2MB"}, options{caCert: caFile, h3: true, resume: true}); err == nil {
		t.Error("-h3 with -resume: no error")
	}
}

package interop

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gtlsFetch runs gtlsclient against 127.0.0.1:port for paths, saving the
// bodies into dir (named by their last path element), with extra options
// before the host. It returns gtlsclient's output.
func gtlsFetch(ctx context.Context, port int, dir string, extra []string, paths ...string) (string, error) {
	p := strconv.Itoa(port)
	args := []string{"-q", "--timeout=10s", "--exit-on-all-streams-close", "--download=" + dir}
	args = append(args, extra...)
	args = append(args, "127.0.0.1", p)
	for _, path := range paths {
		args = append(args, "https://localhost:"+p+path)
	}
	var out syncBuffer
	cmd := exec.CommandContext(ctx, gtlsClient, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("gtlsclient: %w; output: %s", err, tail(out.String(), 300))
	}
	return out.String(), nil
}

// checkDownload checks that dir holds f, saved under its last path element.
func checkDownload(dir string, f File) error {
	fh, err := os.Open(filepath.Join(dir, filepath.Base(f.Path)))
	if err != nil {
		return fmt.Errorf("gtlsclient saved no %s: %w", f.Path, err)
	}
	defer fh.Close()
	return CheckBody(fh, f)
}

// ngtcp2ToQuinceH3 runs gtlsclient against a fresh quince http3.Server.
// fetch runs the client and checks its downloads in dir.
func ngtcp2ToQuinceH3(t *testing.T, fetch func(ctx context.Context, port int, dir string, srv *H3Server) (string, error)) (string, error) {
	srv, err := StartQuinceH3(testCerts(t, false).ServerTLS("h3"))
	if err != nil {
		return "", err
	}
	holdConcurrent(srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	detail, err := fetch(ctx, srv.Addr.Port, t.TempDir(), srv)
	if cerr := srv.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if l := strings.TrimSpace(srv.Log.String()); l != "" {
			err = fmt.Errorf("%w; quince server log: %s", err, tail(l, 300))
		}
	}
	return detail, err
}

var ngtcp2ClientCases = []struct {
	name  string
	fetch func(ctx context.Context, port int, dir string, srv *H3Server) (string, error)
}{
	{h3Small, func(ctx context.Context, port int, dir string, srv *H3Server) (string, error) {
		f := NewFile("ng-1k", kB)
		if _, err := gtlsFetch(ctx, port, dir, nil, f.Path); err != nil {
			return "", err
		}
		return "", checkDownload(dir, f)
	}},
	{h3Large, func(ctx context.Context, port int, dir string, srv *H3Server) (string, error) {
		f := NewFile("ng-10m", 10*mB)
		start := time.Now()
		if _, err := gtlsFetch(ctx, port, dir, nil, f.Path); err != nil {
			return "", err
		}
		d := time.Since(start)
		return mbps(10*mB, d), checkDownload(dir, f)
	}},
	{h3Upload, func(ctx context.Context, port int, dir string, srv *H3Server) (string, error) {
		f := NewFile("ng-upload-10m", 10*mB)
		data := filepath.Join(dir, "upload-body")
		if err := writeFile(data, f); err != nil {
			return "", err
		}
		out := filepath.Join(dir, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			return "", err
		}
		start := time.Now()
		if _, err := gtlsFetch(ctx, port, out, []string{"--http-method=POST", "--data=" + data}, "/upload"); err != nil {
			return "", err
		}
		d := time.Since(start)
		got, err := os.ReadFile(filepath.Join(out, "upload"))
		if err != nil {
			return "", fmt.Errorf("gtlsclient saved no response: %w", err)
		}
		if want := UploadAnswer(f); string(got) != want {
			return "", fmt.Errorf("server answered %q, want %q (SHA-256 and size of the upload)", got, want)
		}
		return mbps(10*mB, d), nil
	}},
	{h3Concurrency, func(ctx context.Context, port int, dir string, srv *H3Server) (string, error) {
		var files []File
		var paths []string
		for i := range h3Concurrent {
			f := NewFile(fmt.Sprintf("ng-conc-%03d", i), 8*kB)
			files = append(files, f)
			paths = append(paths, f.Path)
		}
		start := time.Now()
		if _, err := gtlsFetch(ctx, port, dir, nil, paths...); err != nil {
			return "", err
		}
		d := time.Since(start)
		for _, f := range files {
			if err := checkDownload(dir, f); err != nil {
				return "", err
			}
		}
		return checkConcurrency(srv, d)
	}},
}

// writeFile writes f's content to path.
func writeFile(path string, f File) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fh, f.Reader()); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// gtlsH3Server is gtlsserver serving htdocs behind a relay.
type gtlsH3Server struct {
	relay *Relay
	cmd   *exec.Cmd
	out   *syncBuffer
}

// gtlsProbe is the file fetched until gtlsserver answers.
var gtlsProbe = NewFile("probe", 16)

// startGtlsServer writes files and gtlsProbe under a directory (at their
// paths) and starts gtlsserver on it behind a relay.
func startGtlsServer(t *testing.T, files []File) (*gtlsH3Server, error) {
	htdocs := t.TempDir()
	for _, f := range append(files, gtlsProbe) {
		if err := writeFile(filepath.Join(htdocs, filepath.FromSlash(f.Path)), f); err != nil {
			return nil, err
		}
	}
	keyFile, certFile, err := testCerts(t, false).WriteFiles(t.TempDir())
	if err != nil {
		return nil, err
	}
	port := freeUDPPort(t)
	s := &gtlsH3Server{out: &syncBuffer{}}
	s.cmd = exec.Command(gtlsServer, "-q", "--timeout=10s", "--htdocs="+htdocs,
		"127.0.0.1", strconv.Itoa(port), keyFile, certFile)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.relay, err = NewRelay("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, RelayConfig{Seed: seedOf(t.Name())})
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close stops gtlsserver and the relay.
func (s *gtlsH3Server) Close() {
	if s.relay != nil {
		s.relay.Close()
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

// quinceToNgtcp2H3 runs a case with quince's Transport against gtlsserver
// serving files. gtlsProbe is fetched first, on a client of its own, until
// gtlsserver has bound its socket; run gets a fresh client.
func quinceToNgtcp2H3(t *testing.T, files []File, run func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error)) (string, error) {
	s, err := startGtlsServer(t, files)
	if err != nil {
		return "", err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := fmt.Sprintf("https://localhost:%d", s.relay.Addr().Port)
	clientTLS := testCerts(t, false).ClientTLS("h3")
	for {
		hc, closeClient := QuinceH3Client(clientTLS)
		pctx, pcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err = H3Get(pctx, hc, base, gtlsProbe)
		pcancel()
		closeClient()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("gtlsserver never answered: %w; its output: %s", err, tail(s.out.String(), 300))
		}
	}
	hc, closeClient := QuinceH3Client(clientTLS)
	defer closeClient()
	detail, err := run(ctx, hc, base, s)
	if err != nil {
		err = fmt.Errorf("%w; gtlsserver: %s", err, tail(s.out.String(), 300))
	}
	return detail, err
}

var ngtcp2ServerCases = []struct {
	name  string
	files []File
	run   func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error)
}{
	{h3Small, []File{NewFile("ng-1k", kB)}, func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error) {
		return "", H3Get(ctx, hc, base, NewFile("ng-1k", kB))
	}},
	{h3Large, []File{NewFile("ng-10m", 10*mB)}, func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error) {
		start := time.Now()
		if err := H3Get(ctx, hc, base, NewFile("ng-10m", 10*mB)); err != nil {
			return "", err
		}
		return mbps(10*mB, time.Since(start)), nil
	}},
	{h3Upload, []File{NewFile("ng-ack", kB)}, func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error) {
		// gtlsserver reads a request's body to its end before it answers
		// with the file at the path; it keeps no record of the body, so
		// the relay checks that the upload crossed it.
		ack := NewFile("ng-ack", kB)
		before := s.relay.Stats().Up.Bytes
		start := time.Now()
		got, err := H3Post(ctx, hc, base, ack.Path, NewFile("ng-upload-10m", 10*mB))
		if err != nil {
			return "", err
		}
		d := time.Since(start)
		if err := CheckBody(strings.NewReader(got), ack); err != nil {
			return "", err
		}
		if up := s.relay.Stats().Up.Bytes - before; up < 10*mB {
			return "", fmt.Errorf("the relay carried only %d bytes from the client", up)
		}
		return mbps(10*mB, d) + "; gtlsserver discards the body, the relay counted it", nil
	}},
	{h3Concurrency, ngConcFiles(), func(ctx context.Context, hc *http.Client, base string, s *gtlsH3Server) (string, error) {
		before := s.relay.Stats().Up.Packets[PacketInitial]
		start := time.Now()
		if err := getConcurrently(ctx, hc, base, "ng-conc", h3Concurrent); err != nil {
			return "", err
		}
		d := time.Since(start)
		// One handshake sends a few Initial datagrams (a ClientHello of
		// two with ML-KEM, then ACKs); one per request would be 100.
		n := s.relay.Stats().Up.Packets[PacketInitial] - before
		if n > 4 {
			return "", fmt.Errorf("the client sent %d Initial datagrams: more than one handshake", n)
		}
		return fmt.Sprintf("%d requests in %s; one handshake (%d client Initial datagrams at the relay)", h3Concurrent, d.Round(time.Millisecond), n), nil
	}},
}

func ngConcFiles() []File {
	var files []File
	for i := range h3Concurrent {
		files = append(files, NewFile(fmt.Sprintf("ng-conc-%03d", i), 8*kB))
	}
	return files
}

func testH3Ngtcp2(t *testing.T) {
	for _, c := range ngtcp2ClientCases {
		t.Run(c.name+"/ngtcp2-quince", func(t *testing.T) {
			if m := ngtcp2Missing(gtlsClient); m != "" {
				addH3Result(t, "ngtcp2", "quince", c.name, "", errNotApplicable(m))
			}
			detail, err := ngtcp2ToQuinceH3(t, c.fetch)
			addH3Result(t, "ngtcp2", "quince", c.name, detail, err)
		})
	}
	for _, c := range ngtcp2ServerCases {
		t.Run(c.name+"/quince-ngtcp2", func(t *testing.T) {
			if m := ngtcp2Missing(gtlsServer); m != "" {
				addH3Result(t, "quince", "ngtcp2", c.name, "", errNotApplicable(m))
			}
			detail, err := quinceToNgtcp2H3(t, c.files, c.run)
			addH3Result(t, "quince", "ngtcp2", c.name, detail, err)
		})
	}
}

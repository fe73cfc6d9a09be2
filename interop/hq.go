package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// ALPN is hq-interop's application protocol name.
const ALPN = "hq-interop"

// maxRequest bounds an hq-interop request line.
const maxRequest = 4096

// hqStream is a bidirectional stream of either stack.
type hqStream interface {
	io.Reader
	io.Writer
	// CloseWrite sends a FIN after the data written so far.
	CloseWrite() error
}

// serveStream answers one hq-interop request on st: it reads "GET /path",
// up to the client's FIN, and writes the file and a FIN.
func serveStream(st hqStream) error {
	req, err := io.ReadAll(io.LimitReader(st, maxRequest))
	if err != nil {
		return fmt.Errorf("reading request: %w", err)
	}
	line, _, _ := bytes.Cut(req, []byte("\n"))
	path, ok := strings.CutPrefix(strings.TrimRight(string(line), "\r"), "GET ")
	if !ok {
		return fmt.Errorf("bad request %q", line)
	}
	f, err := ParsePath(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(st, 64<<10)
	if _, err := io.Copy(w, f.Reader()); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return st.CloseWrite()
}

// fetchStream requests f on st and checks the length and SHA-256 of what
// arrives.
func fetchStream(st hqStream, f File) error {
	if _, err := io.WriteString(st, "GET "+f.Path+"\r\n"); err != nil {
		return fmt.Errorf("%s: writing request: %w", f.Path, err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("%s: closing request: %w", f.Path, err)
	}
	h := sha256.New()
	n, err := io.Copy(h, st)
	if err != nil {
		return fmt.Errorf("%s: reading after %d bytes: %w", f.Path, n, err)
	}
	if n != int64(f.Size) {
		return fmt.Errorf("%s: got %d bytes, want %d", f.Path, n, f.Size)
	}
	if want := f.Sum(); !bytes.Equal(h.Sum(nil), want[:]) {
		return fmt.Errorf("%s: SHA-256 mismatch", f.Path)
	}
	return nil
}

// ClientOptions configure one client connection.
type ClientOptions struct {
	Network  string // "udp", "udp4" or "udp6"
	TLS      *tls.Config
	Versions []uint32 // nil: the stack's default
}

// ConnInfo describes a completed handshake.
type ConnInfo struct {
	Version     uint32
	CipherSuite uint16
	ALPN        string
}

// A Client opens one connection to addr, fetches files over it
// concurrently, checks each one's SHA-256, and closes the connection with
// application error code 0.
type Client func(ctx context.Context, addr string, opts ClientOptions, files []File) (ConnInfo, error)

// ServerOptions configure a server.
type ServerOptions struct {
	Network  string // "udp", "udp4" or "udp6"
	Addr     string // listen address, such as "127.0.0.1:0"
	TLS      *tls.Config
	Versions []uint32 // nil: the stack's default
}

// A Server serves hq-interop until closed.
type Server interface {
	Addr() *net.UDPAddr
	// Conns returns the connections whose handshakes completed so far.
	Conns() []ConnInfo
	// Err returns the first error a stream or connection hit, other than
	// the peer closing the connection.
	Err() error
	Close() error
}

// fetchAll runs fetch for every file at once and returns the errors joined.
func fetchAll(files []File, fetch func(File) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	for i, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fetch(f)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// serverLog collects a server's completed handshakes and first error.
type serverLog struct {
	mu    sync.Mutex
	conns []ConnInfo
	err   error
}

func (l *serverLog) addConn(ci ConnInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns = append(l.conns, ci)
}

func (l *serverLog) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

func (l *serverLog) Conns() []ConnInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ConnInfo(nil), l.conns...)
}

func (l *serverLog) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

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
	"sync/atomic"
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
// up to the client's FIN, and writes the file and a FIN. prog, which may
// be nil, counts the file's bytes as they are written.
func serveStream(st hqStream, prog *progress) error {
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
	if _, err := io.Copy(w, io.TeeReader(f.Reader(), prog)); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", f.Path, err)
	}
	return st.CloseWrite()
}

// fetchStream requests f on st and checks the length and SHA-256 of what
// arrives. prog, which may be nil, counts the bytes as they arrive.
func fetchStream(st hqStream, f File, prog *progress) error {
	if _, err := io.WriteString(st, "GET "+f.Path+"\r\n"); err != nil {
		return fmt.Errorf("%s: writing request: %w", f.Path, err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("%s: closing request: %w", f.Path, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(h, prog), st)
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
	Network string // "udp", "udp4" or "udp6"
	// TLS may hold a ClientSessionCache shared by a run's connections,
	// so that later ones resume the first.
	TLS      *tls.Config
	Versions []uint32 // nil: the stack's default
	// Early dials for 0-RTT: when the session cache holds a ticket that
	// allows early data, the requests go out before the handshake
	// completes (RFC 9001, Section 4.6).
	Early bool
	// Action is done once ActionAfter bytes of the files have arrived.
	Action      Action
	ActionAfter int64
	// CountKeyUpdates makes quic-go count key updates in ConnInfo (from
	// its qlog events, which cost time on every packet); quince always
	// counts them.
	CountKeyUpdates bool
	// BeforeClose, if set, is called once the files have arrived, before
	// the client closes the connection: a run that resumes waits there
	// for the server's session ticket, which comes after the handshake
	// and could otherwise lose the race with a short exchange.
	BeforeClose func(context.Context)
}

// An Action is something an endpoint does in the middle of a transfer.
type Action int

const (
	NoAction Action = iota
	// ActionKeyUpdate starts a 1-RTT key update (RFC 9001, Section 6).
	ActionKeyUpdate
	// ActionMigrate moves a client to a new local socket (RFC 9000,
	// Section 9.2) and waits until the new path is validated.
	ActionMigrate
)

// errActionUnsupported is an Action a stack cannot do from its public API.
var errActionUnsupported = errors.New("action not supported by this stack")

// ConnInfo describes a connection: its handshake, and what it did by the
// end of the transfer.
type ConnInfo struct {
	Version     uint32
	CipherSuite uint16
	ALPN        string

	Retried   bool // a Retry was processed (quince only: quic-go does not say)
	Resumed   bool // the TLS session resumed an earlier one
	EarlyData bool // the client's 0-RTT data was accepted

	// KeyUpdates counts 1-RTT key updates by either side; PeerKeyUpdates
	// those the peer started, or -1 where the stack does not tell them
	// apart (quince).
	KeyUpdates     int64
	PeerKeyUpdates int64
	// ActionDone says the Action succeeded.
	ActionDone bool
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
	// Retry validates every client's address with a Retry first (RFC
	// 9000, Section 8.1.2).
	Retry bool
	// Allow0RTT issues tickets that allow early data and accepts it.
	Allow0RTT bool
	// Action is done on each connection once ActionAfter bytes of files
	// have been written on it.
	Action      Action
	ActionAfter int64
	// CountKeyUpdates: as in ClientOptions.
	CountKeyUpdates bool
}

// A Server serves hq-interop until closed.
type Server interface {
	Addr() *net.UDPAddr
	// Conns returns the connections whose handshakes completed so far.
	Conns() []ConnInfo
	// Err returns the first error a stream or connection hit, other than
	// the peer closing the connection.
	Err() error
	// Wait waits until every connection accepted so far has ended, or
	// ctx ends; Conns then holds their final state.
	Wait(ctx context.Context) error
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
	live  sync.WaitGroup // connections not yet ended
}

// addConn records a completed handshake and returns its index for
// setConn. The connection counts as live until endConn.
func (l *serverLog) addConn(ci ConnInfo) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live.Add(1)
	l.conns = append(l.conns, ci)
	return len(l.conns) - 1
}

// endConn records connection i's final state.
func (l *serverLog) endConn(i int, ci ConnInfo) {
	l.mu.Lock()
	l.conns[i] = ci
	l.mu.Unlock()
	l.live.Done()
}

func (l *serverLog) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		l.live.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("server connections still open: %w", ctx.Err())
	}
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

// progress counts a connection's file bytes, on all its streams, and
// starts fn once, on a goroutine of its own, when they reach after. A nil
// *progress counts nothing.
type progress struct {
	n     atomic.Int64
	after int64
	fn    func()
	once  sync.Once
}

func newProgress(after int64, fn func()) *progress {
	return &progress{after: after, fn: fn}
}

func (p *progress) Write(b []byte) (int, error) {
	if p != nil && p.fn != nil && p.n.Add(int64(len(b))) >= p.after {
		p.once.Do(func() { go p.fn() })
	}
	return len(b), nil
}

// actionResult holds the outcome of an Action started by a progress.
type actionResult struct {
	done chan struct{}
	err  error
}

func newActionResult() *actionResult { return &actionResult{done: make(chan struct{})} }

func (r *actionResult) finish(err error) {
	r.err = err
	close(r.done)
}

// wait returns the action's error; one that never started is an error.
func (r *actionResult) wait(ctx context.Context) error {
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("action did not finish (or start): %w", ctx.Err())
	}
}

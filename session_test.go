package quic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// echoServer accepts sessions on l and echoes every bidirectional stream
// until the peer's FIN, until l closes.
func echoServer(l *Listener) {
	go func() {
		for {
			s, err := l.Accept(context.Background())
			if err != nil {
				return
			}
			go func() {
				for {
					st, err := s.AcceptStream(context.Background())
					if err != nil {
						return
					}
					go func() {
						io.Copy(st, st)
						st.Close()
					}()
				}
			}()
		}
	}()
}

// echo sends msg on a new stream of s and returns what comes back.
func echo(ctx context.Context, s *Session, msg []byte) ([]byte, error) {
	st, err := s.OpenStream(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := st.Write(msg)
		if err == nil {
			err = st.CloseWrite()
		}
		errc <- err
	}()
	got, rerr := io.ReadAll(st)
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	return got, rerr
}

func TestEcho(t *testing.T) {
	l := listen(t, nil)
	echoServer(l)
	c := dial(t, l, nil)
	for _, msg := range []string{"hello, quince", "", "a second stream"} {
		got, err := echo(testCtx(t), c, []byte(msg))
		if err != nil {
			t.Fatalf("echo %q: %v", msg, err)
		}
		if string(got) != msg {
			t.Errorf("echo %q: got %q", msg, got)
		}
	}
	cs := c.ConnectionState()
	if cs.ALPN != testALPN || cs.Version != Version1 || !cs.TLS.HandshakeComplete {
		t.Errorf("ConnectionState = ALPN %q, version %#x, handshake complete %v", cs.ALPN, cs.Version, cs.TLS.HandshakeComplete)
	}
}

func TestConcurrentSessionsAndStreams(t *testing.T) {
	const sessions, streams = 10, 10
	l := listen(t, nil)
	echoServer(l)
	var wg sync.WaitGroup
	errs := make(chan error, sessions*streams)
	for i := range sessions {
		c := dial(t, l, nil)
		for j := range streams {
			wg.Go(func() {
				msg := bytes.Repeat([]byte(fmt.Sprintf("session %d stream %d;", i, j)), 1000+i*j)
				got, err := echo(testCtx(t), c, msg)
				switch {
				case err != nil:
					errs <- err
				case !bytes.Equal(got, msg):
					errs <- fmt.Errorf("session %d stream %d: echoed %d bytes, want %d", i, j, len(got), len(msg))
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestContextCancel(t *testing.T) {
	l := listen(t, &Config{MaxIncomingStreams: 1, MaxIncomingUniStreams: 1})
	c, s := pair(t, l, nil)

	// The server allows one stream of each kind; the second waits.
	if _, err := c.OpenStream(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenUniStream(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(context.Context) error{
		"OpenStream":      func(ctx context.Context) error { _, err := c.OpenStream(ctx); return err },
		"OpenUniStream":   func(ctx context.Context) error { _, err := c.OpenUniStream(ctx); return err },
		"AcceptStream":    func(ctx context.Context) error { _, err := c.AcceptStream(ctx); return err },
		"AcceptUniStream": func(ctx context.Context) error { _, err := c.AcceptUniStream(ctx); return err },
		"Listener.Accept": func(ctx context.Context) error { _, err := l.Accept(ctx); return err },
		"Dial": func(ctx context.Context) error {
			// A port where nothing answers.
			_, ctls := testTLS(t)
			_, err := Dial(ctx, "udp", "127.0.0.1:9", ctls, nil)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- call(ctx) }()
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}
	_ = s
}

func TestCloseWithError(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)

	// A Read blocked on the server's side wakes with the error.
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	sst, err := s.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	readErr := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(sst)
		readErr <- err
	}()

	if err := c.CloseWithError(0x42, "bye now"); err != nil {
		t.Fatal(err)
	}
	<-s.Context().Done()
	var remote, local *ApplicationError
	if !errors.As(context.Cause(s.Context()), &remote) {
		t.Fatalf("server's cause = %v; want *ApplicationError", context.Cause(s.Context()))
	}
	if diff := cmp.Diff(&ApplicationError{Code: 0x42, Reason: "bye now", Remote: true}, remote); diff != "" {
		t.Errorf("server's error (-want +got):\n%s", diff)
	}
	if err := <-readErr; !errors.As(err, &remote) {
		t.Errorf("server's blocked Read = %v; want *ApplicationError", err)
	}
	_, err = c.OpenStream(testCtx(t))
	if !errors.As(err, &local) {
		t.Fatalf("client's OpenStream after close = %v; want *ApplicationError", err)
	}
	if diff := cmp.Diff(&ApplicationError{Code: 0x42, Reason: "bye now"}, local); diff != "" {
		t.Errorf("client's error (-want +got):\n%s", diff)
	}
	if _, err := st.Write([]byte("more")); !errors.As(err, &local) {
		t.Errorf("client's Write after close = %v; want *ApplicationError", err)
	}
}

// TestCloseWakesWaiters checks that closing a session wakes every call
// blocked on it, on its own side, with the session's error.
func TestCloseWakesWaiters(t *testing.T) {
	l := listen(t, nil)
	c, _ := pair(t, l, nil)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"AcceptStream":    func() error { _, err := c.AcceptStream(testCtx(t)); return err },
		"AcceptUniStream": func() error { _, err := c.AcceptUniStream(testCtx(t)); return err },
		"Read":            func() error { _, err := st.Read(make([]byte, 1)); return err },
	}
	errs := make(map[string]chan error)
	for name, call := range calls {
		errc := make(chan error, 1)
		errs[name] = errc
		go func() { errc <- call() }()
	}
	c.CloseWithError(5, "done")
	want := &ApplicationError{Code: 5, Reason: "done"}
	for name, errc := range errs {
		var ae *ApplicationError
		if err := <-errc; !errors.As(err, &ae) {
			t.Errorf("%s = %v; want *ApplicationError", name, err)
		} else if diff := cmp.Diff(want, ae); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

package quic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHundredSessions runs 100 concurrent sessions with 10 concurrent
// streams each against one listener, then checks that every goroutine
// ends once they and the listener close.
func TestHundredSessions(t *testing.T) {
	const sessions, streams = 100, 10
	base := runtime.NumGoroutine()
	conf := &Config{AcceptBacklog: sessions}
	l := listen(t, conf)
	echoServer(l)
	_, ctls := testTLS(t)
	d := &Dialer{TLSConfig: ctls, Config: conf}
	var wg sync.WaitGroup
	errs := make(chan error, sessions*streams)
	for i := range sessions {
		wg.Go(func() {
			s, err := d.DialContext(testCtx(t), "udp", l.Addr().String())
			if err != nil {
				errs <- fmt.Errorf("session %d: %w", i, err)
				return
			}
			defer s.Close()
			var swg sync.WaitGroup
			for j := range streams {
				swg.Go(func() {
					msg := bytes.Repeat([]byte(fmt.Sprintf("%d/%d;", i, j)), 100+j*100)
					got, err := echo(testCtx(t), s, msg)
					switch {
					case err != nil:
						errs <- fmt.Errorf("session %d stream %d: %w", i, j, err)
					case !bytes.Equal(got, msg):
						errs <- fmt.Errorf("session %d stream %d: echoed %d bytes, want %d", i, j, len(got), len(msg))
					}
				})
			}
			swg.Wait()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	l.Close()
	waitGoroutines(t, base)
}

// TestDownload50MB downloads 50 MB on one stream and checks its digest.
func TestDownload50MB(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB transfer")
	}
	const size = 50 << 20
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	sum := make(chan [32]byte, 1)
	go func() {
		st, err := s.AcceptStream(testCtx(t))
		if err != nil {
			t.Error(err)
			close(sum)
			return
		}
		io.ReadAll(st) // the request
		h := sha256.New()
		rng := rand.NewChaCha8([32]byte{5})
		if _, err := io.CopyN(io.MultiWriter(st, h), rng, size); err != nil {
			t.Error(err)
		}
		st.Close()
		sum <- [32]byte(h.Sum(nil))
	}()
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("GET /50MB\r\n"))
	st.CloseWrite()
	h := sha256.New()
	n, err := io.Copy(h, st)
	if err != nil || n != size {
		t.Fatalf("downloaded %d bytes, %v; want %d", n, err, size)
	}
	if want, ok := <-sum; !ok || want != [32]byte(h.Sum(nil)) {
		t.Error("digest mismatch")
	}
}

// TestGoroutinesAfterSessions opens and closes 100 sessions, from both
// sides in turn, and checks that the goroutine count returns to its
// baseline while the listener still runs, and again after it closes.
func TestGoroutinesAfterSessions(t *testing.T) {
	base := runtime.NumGoroutine()
	l := listen(t, nil)
	accepted := make(chan *Session, 100)
	go func() {
		for {
			s, err := l.Accept(context.Background())
			if err != nil {
				return
			}
			accepted <- s
		}
	}()
	_, ctls := testTLS(t)
	for i := range 100 {
		c, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := <-accepted
		first, second := c, s
		if i%2 == 1 {
			first, second = s, c
		}
		first.Close()
		<-second.Context().Done()
		second.Close()
	}
	// Each closed session waits out its closing or draining period
	// (RFC 9000, Section 10.2), three PTOs, then its goroutine returns.
	waitGoroutines(t, base+2) // the listener's reader and accept loop
	l.Close()
	waitGoroutines(t, base)
}

// TestCloseCodes checks the codes and reasons that each side sees when
// either side closes a session, and the codes of stream resets.
func TestCloseCodes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		server bool // the server closes
		code   uint64
		reason string
	}{
		{"client closes", false, 0x1234, "client done"},
		{"server closes", true, 0x99, "server done"},
		{"code 0", true, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := listen(t, nil)
			c, s := pair(t, l, nil)
			closer, peer := c, s
			if tc.server {
				closer, peer = s, c
			}
			closer.CloseWithError(tc.code, tc.reason)
			<-peer.Context().Done()
			for _, side := range []struct {
				s      *Session
				remote bool
			}{{closer, false}, {peer, true}} {
				want := &ApplicationError{Code: tc.code, Reason: tc.reason, Remote: side.remote}
				var got *ApplicationError
				if err := context.Cause(side.s.Context()); !errors.As(err, &got) {
					t.Errorf("remote %v: session ended with %v, want *ApplicationError", side.remote, err)
				} else if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("remote %v (-want +got):\n%s", side.remote, diff)
				}
				_, err := side.s.OpenStream(testCtx(t))
				if !errors.As(err, &got) || got.Remote != side.remote {
					t.Errorf("remote %v: OpenStream after close = %v", side.remote, err)
				}
			}
		})
	}
}

// TestDeadlineWakesBlockedCalls checks that setting a deadline while Read
// or Write is blocked wakes it, and that moving the deadline out lets the
// call go on.
func TestDeadlineWakesBlockedCalls(t *testing.T) {
	small := &Config{InitialStreamWindow: 16 << 10, MaxStreamWindow: 16 << 10, MaxStreamWriteBuffer: 16 << 10}
	l := listen(t, small)
	c, s := pair(t, l, small)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("x"))
	sst, err := s.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	sst.Read(make([]byte, 1))

	readErr := make(chan error, 1)
	go func() {
		_, err := st.Read(make([]byte, 1))
		readErr <- err
	}()
	writeErr := make(chan error, 1)
	go func() {
		_, err := st.Write(make([]byte, 1<<20)) // the peer does not read
		writeErr <- err
	}()
	// A deadline far out does not end them; one that passes does.
	st.SetDeadline(time.Now().Add(time.Hour))
	st.SetDeadline(time.Now().Add(20 * time.Millisecond))
	for name, errc := range map[string]chan error{"Read": readErr, "Write": writeErr} {
		if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("blocked %s = %v, want os.ErrDeadlineExceeded", name, err)
		}
	}
	// A later deadline lets Read wait for data again.
	st.SetReadDeadline(time.Now().Add(time.Hour))
	go sst.Write([]byte("y"))
	if n, err := st.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("Read after extending the deadline = %d, %v", n, err)
	}
}

// TestDialContextDeadline checks that Dial honours a context deadline.
func TestDialContextDeadline(t *testing.T) {
	_, ctls := testTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, "udp", "127.0.0.1:9", ctls, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial = %v, want context.DeadlineExceeded", err)
	}
}

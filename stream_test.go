package quic

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLargeTransfer(t *testing.T) {
	const size = 10 << 20
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(data)
	want := sha256.Sum256(data)

	l := listen(t, nil)
	c, s := pair(t, l, nil)
	done := make(chan error, 1)
	go func() {
		st, err := s.AcceptStream(testCtx(t))
		if err != nil {
			done <- err
			return
		}
		h := sha256.New()
		n, err := io.Copy(h, st)
		if err == nil && n != size {
			err = fmt.Errorf("received %d bytes, want %d", n, size)
		}
		if err == nil && !bytes.Equal(h.Sum(nil), want[:]) {
			err = errors.New("checksum mismatch")
		}
		done <- err
	}()
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := st.Write(data); err != nil || n != size {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReadDeadline(t *testing.T) {
	l := listen(t, nil)
	c, _ := pair(t, l, nil)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	st.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	buf := make([]byte, 10)
	if n, err := st.Read(buf); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %d, %v; want os.ErrDeadlineExceeded", n, err)
	}
	// A deadline in the past fails at once; clearing it does not.
	st.SetDeadline(time.Now().Add(-time.Second))
	if _, err := st.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past deadline = %v; want os.ErrDeadlineExceeded", err)
	}
	st.SetDeadline(time.Time{})
	if _, err := st.Write([]byte("x")); err != nil {
		t.Fatalf("Write after clearing deadline = %v", err)
	}
}

func TestStreamCancel(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	sst, err := s.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	st.CancelWrite(7)
	var se *StreamError
	if _, err := io.ReadAll(sst); !errors.As(err, &se) {
		t.Fatalf("Read after peer's reset = %v; want *StreamError", err)
	}
	if diff := cmp.Diff(&StreamError{StreamID: st.StreamID(), ErrorCode: 7, Remote: true}, se); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := st.Write([]byte("y")); !errors.As(err, &se) || se.Remote {
		t.Errorf("Write after CancelWrite = %v; want local *StreamError", err)
	}
}

func TestUniStreams(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	st, err := c.OpenUniStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("one way")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Read(make([]byte, 1)); !errors.Is(err, ErrNotReadable) {
		t.Errorf("Read on a send-only stream = %v; want ErrNotReadable", err)
	}
	sst, err := s.AcceptUniStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if sst.StreamID() != st.StreamID() {
		t.Errorf("accepted stream %d, opened %d", sst.StreamID(), st.StreamID())
	}
	got, err := io.ReadAll(sst)
	if err != nil || string(got) != "one way" {
		t.Errorf("ReadAll = %q, %v", got, err)
	}
	if _, err := sst.Write([]byte("x")); !errors.Is(err, ErrNotWritable) {
		t.Errorf("Write on a receive-only stream = %v; want ErrNotWritable", err)
	}
}

// TestWriteBlocks checks that Write blocks while the peer does not read,
// and that the write deadline and CancelWrite end it.
func TestWriteBlocks(t *testing.T) {
	small := &Config{
		InitialStreamWindow: 16 << 10, MaxStreamWindow: 16 << 10,
		InitialConnectionWindow: 64 << 10, MaxConnectionWindow: 64 << 10,
		MaxStreamWriteBuffer: 16 << 10,
	}
	l := listen(t, small)
	c, _ := pair(t, l, small)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	st.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	n, err := st.Write(big)
	if !errors.Is(err, os.ErrDeadlineExceeded) || n == 0 || n >= len(big) {
		t.Fatalf("Write = %d, %v; want a partial write and os.ErrDeadlineExceeded", n, err)
	}

	st.SetWriteDeadline(time.Time{})
	errc := make(chan error, 1)
	go func() {
		_, err := st.Write(big)
		errc <- err
	}()
	st.CancelWrite(3)
	var se *StreamError
	if err := <-errc; !errors.As(err, &se) || se.ErrorCode != 3 || se.Remote {
		t.Fatalf("blocked Write after CancelWrite = %v; want local *StreamError code 3", err)
	}
}

func TestStreamClose(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close = %v; want net.ErrClosed", err)
	}
	if _, err := st.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close = %v; want net.ErrClosed", err)
	}
	// The peer reads the data and the FIN; its writes meet STOP_SENDING.
	sst, err := s.AcceptStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(sst)
	if err != nil || string(got) != "request" {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	var se *StreamError
	for err == nil {
		_, err = sst.Write(bytes.Repeat([]byte("r"), 1000))
	}
	if !errors.As(err, &se) || !se.Remote || se.ErrorCode != 0 {
		t.Errorf("Write after peer's Close = %v; want remote *StreamError code 0", err)
	}
}

// TestWriteClose checks that WriteClose writes, then closes for writing
// only: the peer reads the data and the FIN and can still answer, and a
// later Write fails; a large p goes whole before the FIN.
func TestWriteClose(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	for _, size := range []int{7, 3 << 20} {
		st, err := c.OpenStream(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		req := bytes.Repeat([]byte("q"), size)
		// A large p waits for the peer to read: write from another
		// goroutine.
		wrote := make(chan error, 1)
		go func() {
			n, err := st.WriteClose(req)
			if err == nil && n != size {
				err = fmt.Errorf("wrote %d bytes", n)
			}
			wrote <- err
		}()
		sst, err := s.AcceptStream(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(sst)
		if err != nil || !bytes.Equal(got, req) {
			t.Fatalf("peer read %d bytes, %v; want %d and the FIN", len(got), err, size)
		}
		if err := <-wrote; err != nil {
			t.Fatalf("WriteClose of %d bytes: %v", size, err)
		}
		if _, err := st.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after WriteClose = %v; want net.ErrClosed", err)
		}
		if _, err := sst.WriteClose([]byte("answer")); err != nil {
			t.Fatalf("answer: %v", err)
		}
		if got, err := io.ReadAll(st); err != nil || string(got) != "answer" {
			t.Errorf("answer read = %q, %v", got, err)
		}
	}
}

func TestCancelRead(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
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
	sst.CancelRead(9)
	var se *StreamError
	if err := <-readErr; !errors.As(err, &se) || se.Remote || se.ErrorCode != 9 {
		t.Errorf("blocked Read after CancelRead = %v; want local *StreamError code 9", err)
	}
	for err == nil {
		_, err = st.Write(bytes.Repeat([]byte("r"), 1000))
	}
	if diff := cmp.Diff(&StreamError{StreamID: st.StreamID(), ErrorCode: 9, Remote: true}, streamErr(err)); diff != "" {
		t.Errorf("Write after peer's CancelRead (-want +got):\n%s", diff)
	}
}

// streamErr returns the *StreamError in err, or nil.
func streamErr(err error) *StreamError {
	var se *StreamError
	errors.As(err, &se)
	return se
}

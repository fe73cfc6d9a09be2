package hq

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic"
)

// startServer runs a Server of files on 127.0.0.1:0 for the test's
// duration and returns its address and a Client that trusts it.
func startServer(t *testing.T, files map[string]int64) (string, *Client) {
	t.Helper()
	cert, err := SelfSigned("localhost", "127.0.0.1", "::1")
	if err != nil {
		t.Fatal(err)
	}
	l, err := quic.Listen("udp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{ALPN},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{FS: DemoFS(files)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	c := &Client{TLSConfig: &tls.Config{RootCAs: roots}}
	t.Cleanup(func() { c.Close() })
	return l.Addr().String(), c
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// fetchHash downloads rawURL with c and returns the SHA-256 of its body.
func fetchHash(ctx context.Context, c *Client, rawURL string) ([sha256.Size]byte, int64, error) {
	var sum [sha256.Size]byte
	resp, err := c.Get(ctx, rawURL)
	if err != nil {
		return sum, 0, err
	}
	defer resp.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp)
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}

func generatedHash(name string, size int64) [sha256.Size]byte {
	h := sha256.New()
	Generate(h, name, size)
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// TestDownload50MB fetches a 50 MB file through the example server and
// client code over loopback and checks its SHA-256.
func TestDownload50MB(t *testing.T) {
	const size = 50 << 20
	addr, c := startServer(t, map[string]int64{"50MB": size})
	start := time.Now()
	got, n, err := fetchHash(testContext(t), c, "https://"+addr+"/50MB")
	if err != nil {
		t.Fatalf("download: %v (after %d bytes)", err, n)
	}
	t.Logf("50 MB in %v", time.Since(start))
	if n != size || got != generatedHash("50MB", size) {
		t.Errorf("downloaded %d bytes with SHA-256 %x; want %d bytes, %x", n, got, size, generatedHash("50MB", size))
	}
}

// TestNotFound checks that a missing file is a stream reset with
// CodeNotFound, which the client reports as a *NotFoundError.
func TestNotFound(t *testing.T) {
	addr, c := startServer(t, map[string]int64{"1KB": 1 << 10})
	ctx := testContext(t)
	for _, path := range []string{"/missing", "/1KB/", "/../1KB", "/.", "//1KB"} {
		_, n, err := fetchHash(ctx, c, "https://"+addr+path)
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Errorf("GET %s: %d bytes, error %v; want a *NotFoundError", path, n, err)
			continue
		}
		var se *quic.StreamError
		if !errors.As(err, &se) || !se.Remote || se.ErrorCode != CodeNotFound {
			t.Errorf("GET %s: error %#v; want a remote *quic.StreamError with code %#x", path, se, CodeNotFound)
		}
	}
	// The session is still usable after the resets.
	if _, n, err := fetchHash(ctx, c, "https://"+addr+"/1KB"); err != nil || n != 1<<10 {
		t.Errorf("GET /1KB after resets: %d bytes, %v", n, err)
	}
}

// TestIndex checks that "/" serves index.html.
func TestIndex(t *testing.T) {
	addr, c := startServer(t, map[string]int64{"1KB": 1 << 10})
	resp, err := c.Get(testContext(t), "https://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Close()
	body, err := io.ReadAll(resp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(`href="/1KB"`)) {
		t.Errorf("GET / = %q, want the index", body)
	}
}

// TestConcurrent fetches several URLs at once over one session, as the
// example client does.
func TestConcurrent(t *testing.T) {
	files := map[string]int64{"a": 0, "b": 1, "c": 1 << 10, "d": 300 << 10, "e": 2 << 20}
	addr, c := startServer(t, files)
	var sessions []int
	c.OnSession = func(n int, s *quic.Session) {
		if s.ConnectionState().ALPN != ALPN {
			t.Errorf("session %d: ALPN %q", n, s.ConnectionState().ALPN)
		}
		sessions = append(sessions, n)
	}
	ctx := testContext(t)
	type result struct {
		N   int64
		Sum [sha256.Size]byte
		Err string
	}
	var mu sync.Mutex
	got := map[string]result{}
	want := map[string]result{}
	var wg sync.WaitGroup
	for name, size := range files {
		for i := range 3 {
			key := fmt.Sprintf("%s#%d", name, i)
			want[key] = result{N: size, Sum: generatedHash(name, size)}
			wg.Go(func() {
				sum, n, err := fetchHash(ctx, c, "https://"+addr+"/"+name)
				r := result{N: n, Sum: sum}
				if err != nil {
					r.Err = err.Error()
				}
				mu.Lock()
				got[key] = r
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("downloads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1}, sessions); diff != "" {
		t.Errorf("sessions dialed (-want +got):\n%s", diff)
	}
}

// TestBadRequest checks that a stream without a valid request is reset
// with CodeBadRequest.
func TestBadRequest(t *testing.T) {
	addr, c := startServer(t, nil)
	ctx := testContext(t)
	if _, err := c.Get(ctx, "https://"+addr+"/"); err != nil {
		t.Fatal(err) // dials the session
	}
	sess, err := c.session(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	st, err := sess.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(st, "PUT /x\r\n")
	st.CloseWrite()
	_, err = io.ReadAll(st)
	var se *quic.StreamError
	if !errors.As(err, &se) || !se.Remote || se.ErrorCode != CodeBadRequest {
		t.Errorf("bad request: %v; want a remote *quic.StreamError with code %#x", err, CodeBadRequest)
	}
}

// TestClientErrors checks URLs the client refuses before sending anything.
func TestClientErrors(t *testing.T) {
	c := &Client{}
	for _, u := range []string{"http://127.0.0.1:1/x", "https:///x", "::"} {
		if _, err := c.Get(t.Context(), u); err == nil {
			t.Errorf("Get(%q) succeeded", u)
		}
	}
}

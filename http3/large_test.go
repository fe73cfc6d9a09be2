package http3

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quince-go/quic"
)

// largeBodySize is the size of the bodies of TestLargeBodies (issue 9:
// 100 MB both ways).
const largeBodySize = 100 << 20

// patternReader yields n pseudo-random bytes: a 64 KiB block from a seeded
// generator, repeated, so that producing them costs little next to moving
// them while a lost or reordered block still changes the digest.
type patternReader struct {
	block []byte
	off   int64
	n     int64
}

func newPatternReader(seed uint64, n int64) *patternReader {
	block := make([]byte, 64<<10+7) // not a divisor of any frame or window size
	rand.NewChaCha8([32]byte{byte(seed)}).Read(block)
	return &patternReader{block: block, n: n}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if rest := r.n - r.off; int64(len(p)) > rest {
		p = p[:rest]
	}
	total := 0
	for len(p) > 0 {
		n := copy(p, r.block[r.off%int64(len(r.block)):])
		p = p[n:]
		r.off += int64(n)
		total += n
	}
	return total, nil
}

// patternSum is the hex SHA-256 of newPatternReader(seed, n)'s bytes.
func patternSum(seed uint64, n int64) string {
	h := sha256.New()
	io.Copy(h, newPatternReader(seed, n))
	return hex.EncodeToString(h.Sum(nil))
}

// TestLargeBodies sends 100 MB up in a POST body and 100 MB down in a GET
// response over loopback and compares their SHA-256 digests.
func TestLargeBodies(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "POST":
			h := sha256.New()
			n, err := io.Copy(h, r.Body)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
		case "GET":
			n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
			io.Copy(w, newPatternReader(2, n))
		}
	}))
	t.Run("upload", func(t *testing.T) {
		start := time.Now()
		want := fmt.Sprintf("%d %s", largeBodySize, patternSum(1, largeBodySize))
		req, _ := http.NewRequest("POST", e.url+"/up", io.NopCloser(newPatternReader(1, largeBodySize)))
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d, body %q, %v", resp.StatusCode, got, err)
		}
		if string(got) != want {
			t.Errorf("server read %q, want %q", got, want)
		}
		t.Logf("100 MB up in %v", time.Since(start))
	})
	t.Run("download", func(t *testing.T) {
		start := time.Now()
		resp, err := e.client.Get(fmt.Sprintf("%s/down?n=%d", e.url, largeBodySize))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ContentLength != largeBodySize {
			t.Errorf("ContentLength %d, want %d", resp.ContentLength, largeBodySize)
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
		if got, want := fmt.Sprintf("%d %x", n, h.Sum(nil)), fmt.Sprintf("%d %s", largeBodySize, patternSum(2, largeBodySize)); got != want {
			t.Errorf("client read %s, want %s", got, want)
		}
		t.Logf("100 MB down in %v", time.Since(start))
	})
}

// TestThousandConcurrentRequests runs 1,000 requests at once through one
// Transport. They share one session, whose server allows 100 streams at a
// time (quic.Config's default), so the rest wait in OpenStream until the
// server raises MAX_STREAMS as requests finish (RFC 9000, Section 4.6).
func TestThousandConcurrentRequests(t *testing.T) {
	const n = 1000
	var (
		mu            sync.Mutex
		sessions      = map[*quic.Session]bool{}
		active, peak  int
		release       = make(chan struct{})
		releaseClosed bool
	)
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := SessionFromContext(r.Context())
		mu.Lock()
		sessions[s] = true
		active++
		peak = max(peak, active)
		if active == 100 && !releaseClosed {
			// The stream limit is reached; from here on requests go as
			// streams are released.
			releaseClosed = true
			close(release)
		}
		mu.Unlock()
		<-release
		fmt.Fprintf(w, "response to %s", r.URL.Path)
		mu.Lock()
		active--
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			resp, err := e.client.Get(fmt.Sprintf("%s/%d", e.url, i))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("response to /%d", i); string(b) != want {
				errs <- fmt.Errorf("got %q, want %q", b, want)
			}
		})
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 10 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed", failed, n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sessions) != 1 || sessions[nil] {
		t.Errorf("requests came over %d sessions, want 1", len(sessions))
	}
	// The first 100 handlers all ran at once, and never more than the
	// server's stream limit.
	if peak != 100 {
		t.Errorf("at most %d handlers ran at once, want 100 (the stream limit)", peak)
	}
}

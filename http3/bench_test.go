package http3

import (
	"context"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/quince-go/quic"
)

// benchEnv is a Server with a handler that answers GET /bytes?n=N with N
// bytes, and an http.Client on a Transport for it, over loopback.
type benchEnv struct {
	client *http.Client
	url    string
}

// zeros is the content the bench handler writes.
var zeros = make([]byte, 64<<10)

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	serverTLS, clientTLS := testTLS(b)
	// H3_QLOGDIR traces the benchmark's sessions, to look at its packets.
	var conf *quic.Config
	if dir := os.Getenv("H3_QLOGDIR"); dir != "" {
		conf = &quic.Config{QlogDir: dir}
	}
	l, err := quic.Listen("udp", "127.0.0.1:0", serverTLS, conf)
	if err != nil {
		b.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Header().Set("Content-Type", "application/octet-stream")
		for n > 0 {
			k := min(n, len(zeros))
			if _, err := w.Write(zeros[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	srv := &Server{Handler: h}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	tr := &Transport{TLSClientConfig: clientTLS, QUICConfig: conf}
	b.Cleanup(func() {
		tr.Close()
		srv.Close()
		<-served
	})
	return &benchEnv{client: &http.Client{Transport: tr}, url: "https://" + l.Addr().String()}
}

// get makes one GET of /bytes?n=size and reads the body.
func (e *benchEnv) get(ctx context.Context, url string, buf []byte) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, buf)
	return err
}

// BenchmarkGET makes GETs of 1 KiB over loopback, one at a time (serial)
// and 32 at a time (parallel32), on one session, and reports allocations
// per request, both sides together.
func BenchmarkGET(b *testing.B) {
	for _, par := range []int{1, 32} {
		name := "serial"
		if par > 1 {
			name = "parallel" + strconv.Itoa(par)
		}
		b.Run(name, func(b *testing.B) { benchmarkGET(b, par, 1024) })
	}
}

func benchmarkGET(b *testing.B, par, size int) {
	e := newBenchEnv(b)
	ctx := context.Background()
	url := e.url + "/bytes?n=" + strconv.Itoa(size)
	if err := e.get(ctx, url, make([]byte, 32<<10)); err != nil { // the handshake
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for range par {
		wg.Go(func() {
			buf := make([]byte, 32<<10)
			for {
				mu.Lock()
				if next >= b.N {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if err := e.get(ctx, url, buf); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

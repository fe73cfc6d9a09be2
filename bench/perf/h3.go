package perf

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	qghttp3 "github.com/quic-go/quic-go/http3"
	quic "github.com/quince-go/quic"
	"github.com/quince-go/quic/http3"
)

// The HTTP/3 side of perf: each stack's http3 package serves one handler,
// GET /bytes?n=N, which answers with N bytes (Content-Length set), and
// clients are http.Clients over each stack's http3 Transport.

// BytesPath is the path of the handler that answers with ?n= bytes.
const BytesPath = "/bytes"

// bytesHandler answers GET /bytes?n=N with N bytes.
func bytesHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(BytesPath, func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.Header().Set("Content-Type", "application/octet-stream")
		for n > 0 {
			k := min(n, int64(len(zeros)))
			if _, err := w.Write(zeros[:k]); err != nil {
				return
			}
			n -= k
		}
	})
	return mux
}

// h3TLS is conf with ALPN "h3" only.
func h3TLS(conf *tls.Config) *tls.Config {
	conf = conf.Clone()
	conf.NextProtos = []string{http3.NextProtoH3}
	return conf
}

// StartH3Server starts an HTTP/3 server of stack on addr, serving
// GET /bytes?n=N.
func StartH3Server(stack, addr string, tlsConf *tls.Config) (Server, error) {
	tlsConf = h3TLS(tlsConf)
	switch stack {
	case Quince:
		l, err := quic.Listen("udp", addr, tlsConf, quinceConfig())
		if err != nil {
			return nil, err
		}
		s := &quinceH3Server{l: l, srv: &http3.Server{Handler: bytesHandler()}, done: make(chan struct{})}
		go func() {
			defer close(s.done)
			s.srv.Serve(l)
		}()
		return s, nil
	case QuicGo:
		laddr, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return nil, err
		}
		uc, err := net.ListenUDP("udp", laddr)
		if err != nil {
			return nil, err
		}
		s := &quicgoH3Server{uc: uc, done: make(chan struct{}), srv: &qghttp3.Server{
			Handler: bytesHandler(), TLSConfig: tlsConf, QUICConfig: quicgoConfig(),
		}}
		go func() {
			defer close(s.done)
			s.srv.Serve(uc)
		}()
		return s, nil
	}
	return nil, fmt.Errorf("perf: unknown stack %q", stack)
}

type quinceH3Server struct {
	l    *quic.Listener
	srv  *http3.Server
	done chan struct{}
}

func (s *quinceH3Server) Addr() *net.UDPAddr { return s.l.Addr().(*net.UDPAddr) }

func (s *quinceH3Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

type quicgoH3Server struct {
	uc   *net.UDPConn
	srv  *qghttp3.Server
	done chan struct{}
}

func (s *quicgoH3Server) Addr() *net.UDPAddr { return s.uc.LocalAddr().(*net.UDPAddr) }

func (s *quicgoH3Server) Close() error {
	err := s.srv.Close()
	s.uc.Close()
	<-s.done
	return err
}

// H3Client is an http.Client on one stack's HTTP/3 Transport.
type H3Client struct {
	*http.Client
	close func() error
}

// Close closes the Transport and its sessions.
func (c *H3Client) Close() error { return c.close() }

// NewH3Client makes an HTTP/3 client of stack, which keeps one session per
// server.
func NewH3Client(stack string, tlsConf *tls.Config) (*H3Client, error) {
	tlsConf = h3TLS(tlsConf)
	switch stack {
	case Quince:
		tr := &http3.Transport{TLSClientConfig: tlsConf, QUICConfig: quinceConfig()}
		return &H3Client{Client: &http.Client{Transport: tr}, close: tr.Close}, nil
	case QuicGo:
		tr := &qghttp3.Transport{TLSClientConfig: tlsConf, QUICConfig: quicgoConfig()}
		return &H3Client{Client: &http.Client{Transport: tr}, close: tr.Close}, nil
	}
	return nil, fmt.Errorf("perf: unknown stack %q", stack)
}

// H3Requests describes an HTTP/3 run: Requests GETs of Size bytes each,
// Parallel at a time, on the client's one session to Addr.
type H3Requests struct {
	Addr     string
	Requests int
	Parallel int
	Size     int64
	// Warm sends one request before the clock starts, so that the
	// handshake is not timed.
	Warm bool
}

// RunH3 runs r with c and reports requests per second and the throughput
// of the response bodies.
func RunH3(ctx context.Context, c *H3Client, r H3Requests) (Result, error) {
	url := fmt.Sprintf("https://%s%s?n=%d", r.Addr, BytesPath, r.Size)
	get := func() error {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		n, err := io.CopyBuffer(io.Discard, onlyReader{resp.Body}, make([]byte, chunk))
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", n, err)
		}
		if resp.StatusCode != 200 || n != r.Size {
			return fmt.Errorf("status %d, %d bytes, want 200 and %d", resp.StatusCode, n, r.Size)
		}
		return nil
	}
	if r.Warm {
		if err := get(); err != nil {
			return Result{}, fmt.Errorf("warm-up request: %w", err)
		}
	}
	parallel := max(1, min(r.Parallel, r.Requests))
	var (
		mu       sync.Mutex
		next     int
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range parallel {
		wg.Go(func() {
			for {
				mu.Lock()
				if next >= r.Requests || firstErr != nil {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if err := get(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if firstErr != nil {
		return Result{}, firstErr
	}
	total := int64(r.Requests) * r.Size
	return Result{
		Bytes:       total,
		Seconds:     secs,
		Mbps:        float64(total) * 8 / secs / 1e6,
		Requests:    r.Requests,
		RequestsSec: float64(r.Requests) / secs,
	}, nil
}

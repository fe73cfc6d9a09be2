package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// h3Section is the matrix section of the HTTP/3 cases.
const h3Section = "HTTP/3"

func init() {
	matrix.SetNote(h3Section, "HTTP/3 (RFC 9114) over loopback UDP, without the relay except in front of gtlsserver.\n"+
		"quince is ./http3; quic-go is github.com/quic-go/quic-go/http3 v0.65.0; ngtcp2 is gtlsclient/gtlsserver;\n"+
		"chromium is Debian's chromium in headless mode. Bodies are checked by SHA-256.")
}

// h3Stack is an HTTP/3 implementation in Go: its server and its client.
type h3Stack struct {
	name   string
	server func(*tls.Config) (*H3Server, error)
	client func(*tls.Config) (*http.Client, func())
}

var (
	h3Quince = h3Stack{"quince", StartQuinceH3, QuinceH3Client}
	h3QuicGo = h3Stack{"quic-go", StartQuicGoH3, QuicGoH3Client}
)

// h3Concurrent is how many requests the concurrency cases send at once.
const h3Concurrent = 100

// The case names of the HTTP/3 section.
const (
	h3Small        = "GET 1 KB"
	h3Large        = "GET 10 MB"
	h3Upload       = "POST 10 MB"
	h3Concurrency  = "100 concurrent GETs, one connection"
	h3Browser      = "browser page"
	h3BrowserLarge = "browser page of 2 MB"
)

// h3GoCase is a case between two Go stacks: it runs with an http.Client
// against base, served by srv.
type h3GoCase struct {
	name string
	run  func(ctx context.Context, c *http.Client, base string, srv *H3Server) (string, error)
}

var h3GoCases = []h3GoCase{
	{h3Small, func(ctx context.Context, c *http.Client, base string, srv *H3Server) (string, error) {
		return "", H3Get(ctx, c, base, NewFile("h3-1k", kB))
	}},
	{h3Large, func(ctx context.Context, c *http.Client, base string, srv *H3Server) (string, error) {
		start := time.Now()
		if err := H3Get(ctx, c, base, NewFile("h3-10m", 10*mB)); err != nil {
			return "", err
		}
		return mbps(10*mB, time.Since(start)), nil
	}},
	{h3Upload, func(ctx context.Context, c *http.Client, base string, srv *H3Server) (string, error) {
		f := NewFile("h3-upload-10m", 10*mB)
		start := time.Now()
		got, err := H3Post(ctx, c, base, "/upload", f)
		if err != nil {
			return "", err
		}
		if want := UploadAnswer(f); got != want {
			return "", fmt.Errorf("server answered %q, want %q (SHA-256 and size of the upload)", got, want)
		}
		return mbps(10*mB, time.Since(start)), nil
	}},
	{h3Concurrency, func(ctx context.Context, c *http.Client, base string, srv *H3Server) (string, error) {
		start := time.Now()
		if err := getConcurrently(ctx, c, base, "h3-conc", h3Concurrent); err != nil {
			return "", err
		}
		return checkConcurrency(srv, time.Since(start))
	}},
}

// holdConcurrent makes srv hold the concurrency cases' requests until all
// are in its handler at once.
func holdConcurrent(srv *H3Server) { srv.Handler.Hold("-conc-", h3Concurrent, 5*time.Second) }

// checkConcurrency checks that the concurrency case's requests came on one
// connection and were all in srv's handler at once.
func checkConcurrency(srv *H3Server, d time.Duration) (string, error) {
	if n := srv.Handler.Conns(); n != 1 {
		return "", fmt.Errorf("the requests came on %d connections, want 1", n)
	}
	if !srv.Handler.Held() {
		return "", fmt.Errorf("the server never had the %d requests at once (at most %d)", h3Concurrent, srv.Handler.MaxInFlight())
	}
	return fmt.Sprintf("all %d in the handler at once; %s", h3Concurrent, d.Round(time.Millisecond)), nil
}

// getConcurrently fetches n files of 8 KB from base at once, on a client
// that has no connection yet, so that they race for the first one too.
func getConcurrently(ctx context.Context, c *http.Client, base, prefix string, n int) error {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = H3Get(ctx, c, base, NewFile(fmt.Sprintf("%s-%03d", prefix, i), 8*kB))
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// runH3Go runs one case between a client and a server stack on a fresh
// server and client.
func runH3Go(t *testing.T, client, server h3Stack, c h3GoCase) (string, error) {
	certs := testCerts(t, false)
	srv, err := server.server(certs.ServerTLS("h3"))
	if err != nil {
		return "", fmt.Errorf("%s server: %w", server.name, err)
	}
	holdConcurrent(srv)
	hc, closeClient := client.client(certs.ClientTLS("h3"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := fmt.Sprintf("https://localhost:%d", srv.Addr.Port)
	detail, err := c.run(ctx, hc, base, srv)
	closeClient()
	if cerr := srv.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("%s server: %w", server.name, cerr)
	}
	if err == nil {
		for proto, n := range srv.Handler.Protos() {
			if proto != "HTTP/3.0" {
				err = fmt.Errorf("server saw %d requests with protocol %q", n, proto)
			}
		}
	}
	if err != nil {
		if l := strings.TrimSpace(srv.Log.String()); l != "" {
			err = fmt.Errorf("%w; %s server log: %s", err, server.name, tail(l, 300))
		}
	}
	return detail, err
}

// addH3Result records a case's outcome in the HTTP/3 section and reports
// it to t: a failure fails the test, not applicable skips it.
func addH3Result(t *testing.T, client, server, name, detail string, err error) {
	res := Result{Section: h3Section, Client: client, Server: server, Case: name, Detail: detail}
	var na errNotApplicable
	var pf errPeerFault
	switch {
	case errors.As(err, &na):
		res.Status, res.Detail = NotApplicable, string(na)
		matrix.Add(res)
		t.Skip(err.Error())
	case errors.As(err, &pf):
		res.Status, res.Detail = Fail, err.Error()
		t.Log(err)
	case err != nil:
		res.Status, res.Detail = Fail, err.Error()
		t.Error(err)
	}
	matrix.Add(res)
}

// TestH3 runs the HTTP/3 section: the Go stacks against each other, then
// ngtcp2 (h3_ngtcp2_test.go), then chromium (chromium_test.go), in the
// matrix's column order.
func TestH3(t *testing.T) {
	t.Run("go", testH3Go)
	t.Run("ngtcp2", testH3Ngtcp2)
	t.Run("chromium", testH3Chromium)
}

func testH3Go(t *testing.T) {
	pairs := [][2]h3Stack{{h3Quince, h3QuicGo}, {h3QuicGo, h3Quince}, {h3Quince, h3Quince}}
	for _, c := range h3GoCases {
		for _, p := range pairs {
			client, server := p[0], p[1]
			t.Run(c.name+"/"+client.name+"-"+server.name, func(t *testing.T) {
				detail, err := runH3Go(t, client, server, c)
				addH3Result(t, client.name, server.name, c.name, detail, err)
			})
		}
	}
}

package http3

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic"
)

// testTLS makes a self-signed certificate for 127.0.0.1 and the TLS
// configurations of a server that uses it and a client that trusts it.
func testTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos:   []string{NextProtoH3},
	}
	client = &tls.Config{RootCAs: roots}
	return server, client
}

// testEnv is a Server on a loopback Listener and a client for it.
type testEnv struct {
	srv    *Server
	l      *quic.Listener
	tr     *Transport
	client *http.Client
	url    string
	served chan error
	logs   *lockedWriter
}

func newTestEnv(t *testing.T, h http.Handler, opts ...func(*Server)) *testEnv {
	t.Helper()
	serverTLS, clientTLS := testTLS(t)
	l, err := quic.Listen("udp", "127.0.0.1:0", serverTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedWriter{}
	e := &testEnv{
		srv:    &Server{Handler: h, ErrorLog: log.New(logs, "", 0)},
		l:      l,
		tr:     &Transport{TLSClientConfig: clientTLS},
		url:    "https://" + l.Addr().String(),
		served: make(chan error, 1),
		logs:   logs,
	}
	e.client = &http.Client{Transport: e.tr}
	for _, o := range opts {
		o(e.srv)
	}
	go func() { e.served <- e.srv.Serve(l) }()
	t.Cleanup(func() {
		e.tr.Close()
		e.srv.Close()
		if err := <-e.served; err != http.ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
	})
	return e
}

type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestGetAndPost(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %s %s host=%s proto=%s q=%s body=%s cl=%d",
			r.Method, r.URL.Path, r.RequestURI, r.Host, r.Proto, r.URL.Query().Get("q"), body, r.ContentLength)
	}))
	tests := []struct {
		method, path, body string
		want               string
	}{
		{method: "GET", path: "/hello?q=1", want: "GET /hello /hello?q=1 host=%s proto=HTTP/3.0 q=1 body= cl=-1"},
		{method: "POST", path: "/post", body: "payload", want: "POST /post /post host=%s proto=HTTP/3.0 q= body=payload cl=7"},
		{method: "PUT", path: "/", body: strings.Repeat("x", 100000), want: "PUT / / host=%s proto=HTTP/3.0 q= body=" + strings.Repeat("x", 100000) + " cl=100000"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequest(tt.method, e.url+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf(tt.want, e.l.Addr().String())
			if string(got) != want {
				t.Errorf("body = %.200q, want %.200q", got, want)
			}
			if resp.StatusCode != 200 || resp.ProtoMajor != 3 || resp.Header.Get("X-Method") != tt.method {
				t.Errorf("status %d proto %d header %v", resp.StatusCode, resp.ProtoMajor, resp.Header)
			}
			wantCL := int64(len(want))
			if len(want) > sniffLen {
				wantCL = -1 // streamed
			}
			if resp.ContentLength != wantCL {
				t.Errorf("ContentLength = %d, want %d", resp.ContentLength, len(want))
			}
		})
	}
}

// chunkedBody hands out its parts one at a time, each after the previous
// was acknowledged on ack, so that the test sees the request stream.
type chunkedBody struct {
	parts []string
	next  chan struct{}
}

func (b *chunkedBody) Read(p []byte) (int, error) {
	if len(b.parts) == 0 {
		return 0, io.EOF
	}
	<-b.next
	n := copy(p, b.parts[0])
	b.parts = b.parts[1:]
	return n, nil
}

func TestStreamingBothWays(t *testing.T) {
	// The handler echoes each line of the request body as it comes, with
	// a Flush, so that the client can pace its body on the echoes.
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		buf := make([]byte, 100)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				fmt.Fprintf(w, "echo:%s", buf[:n])
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	}))
	parts := []string{"one\n", "two\n", "three\n"}
	body := &chunkedBody{parts: append([]string(nil), parts...), next: make(chan struct{}, 1)}
	body.next <- struct{}{}
	req, _ := http.NewRequest("POST", e.url+"/echo", io.NopCloser(body))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, p := range parts {
		want := "echo:" + p
		got := make([]byte, len(want))
		if _, err := io.ReadFull(resp.Body, got); err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		body.next <- struct{}{}
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil || len(rest) != 0 {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

func TestTrailers(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Trailer", "X-Checksum")
		w.Header().Set("X-Header", "h")
		w.WriteHeader(200)
		io.WriteString(w, "data")
		w.Header().Set("X-Checksum", "sum:"+r.Trailer.Get("X-Req-Trailer"))
		w.Header().Set(http.TrailerPrefix+"X-Late", "late")
	}))
	req, _ := http.NewRequest("POST", e.url+"/", io.NopCloser(strings.NewReader("body")))
	req.Trailer = http.Header{"X-Req-Trailer": {"from-client"}}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if diff := cmp.Diff(http.Header{"X-Checksum": nil}, resp.Trailer); diff != "" {
		t.Errorf("declared trailers before the body (-want +got):\n%s", diff)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "data" {
		t.Fatalf("body %q, %v", b, err)
	}
	want := http.Header{"X-Checksum": {"sum:from-client"}, "X-Late": {"late"}}
	if diff := cmp.Diff(want, resp.Trailer); diff != "" {
		t.Errorf("trailers (-want +got):\n%s", diff)
	}
	if resp.Header.Get("X-Header") != "h" || resp.Header.Get("X-Checksum") != "" {
		t.Errorf("header %v", resp.Header)
	}
}

func TestConcurrentRequestsOneConnection(t *testing.T) {
	var mu sync.Mutex
	sessions := map[*quic.Session]bool{}
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := SessionFromContext(r.Context())
		mu.Lock()
		sessions[s] = true
		mu.Unlock()
		w.Header().Set("X-Same-Every-Time", "a value worth indexing in the dynamic table")
		fmt.Fprintf(w, "response to %s", r.URL.Path)
	}))
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/%d", e.url, i), nil)
			req.Header.Set("X-Repeated", "a client header value that repeats")
			resp, err := e.client.Do(req)
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
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sessions) != 1 || sessions[nil] {
		t.Errorf("requests came over %d sessions, want 1", len(sessions))
	}
}

func TestRequestCancelledMidBody(t *testing.T) {
	handlerErr := make(chan error, 1)
	ctxDone := make(chan error, 1)
	gotFirst := make(chan struct{})
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			handlerErr <- err
			return
		}
		close(gotFirst)
		_, err := io.Copy(io.Discard, r.Body)
		handlerErr <- err
		<-r.Context().Done()
		ctxDone <- context.Cause(r.Context())
	}))
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/upload", pr)
	go pw.Write([]byte("first"))
	rtErr := make(chan error, 1)
	go func() {
		resp, err := e.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		rtErr <- err
	}()
	<-gotFirst
	cancel()
	if err := <-rtErr; !errors.Is(err, context.Canceled) {
		t.Errorf("RoundTrip error %v, want context.Canceled", err)
	}
	err := <-handlerErr
	var h3err *Error
	if !errors.As(err, &h3err) || h3err.Code != ErrCodeRequestCancelled || !h3err.Remote || h3err.Connection {
		t.Errorf("handler's body error %v, want remote H3_REQUEST_CANCELLED", err)
	}
	if err := <-ctxDone; !errors.As(err, &h3err) {
		t.Errorf("request context cause %v", err)
	}
	pw.Close()
}

func TestHandlerPanic(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		io.WriteString(w, "fine")
	}))
	_, err := e.client.Get(e.url + "/panic")
	var h3err *Error
	if !errors.As(err, &h3err) || h3err.Code != ErrCodeInternalError || !h3err.Remote {
		t.Fatalf("error %v, want remote H3_INTERNAL_ERROR", err)
	}
	if !strings.Contains(e.logs.String(), "boom") {
		t.Errorf("panic not logged: %q", e.logs.String())
	}
	// The connection survives.
	resp, err := e.client.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "fine" {
		t.Errorf("body %q", b)
	}
}

func TestHeadAndNoContent(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/204" {
			w.WriteHeader(204)
			return
		}
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	}))
	for _, tt := range []struct {
		method, path string
		status       int
		cl           int64
	}{{"HEAD", "/", 200, 5}, {"GET", "/204", 204, -1}, {"GET", "/", 200, 5}} {
		req, _ := http.NewRequest(tt.method, e.url+tt.path, nil)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.status || resp.ContentLength != tt.cl {
			t.Errorf("%s %s: status %d cl %d body %q err %v", tt.method, tt.path, resp.StatusCode, resp.ContentLength, b, err)
		}
	}
}

func TestResponseBodyContextCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/", nil)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 7)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "partial" {
		t.Fatalf("read %q, %v", buf, err)
	}
	cancel()
	if _, err := resp.Body.Read(buf); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v, want context.Canceled", err)
	}
}

// TestDynamicTableUsed checks that once the server's SETTINGS came, the
// client's encoder refers to repeated fields in the QPACK dynamic table
// and the server decodes them.
func TestDynamicTableUsed(t *testing.T) {
	const v = "a long header value that the dynamic table should hold after first use"
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Long"))
	}))
	get := func() {
		req, _ := http.NewRequest("GET", e.url+"/", nil)
		req.Header.Set("X-Long", v)
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != v {
			t.Fatalf("body %q", b)
		}
	}
	get()
	e.tr.mu.Lock()
	var cc *clientConn
	for _, c := range e.tr.conns {
		cc = c
	}
	e.tr.mu.Unlock()
	<-cc.c.settingsReady
	for range 3 {
		get()
	}
	cc.c.encMu.Lock()
	block, err := cc.c.enc.EncodeHeaders(nil, 1000, []field{{Name: "x-long", Value: v}})
	cc.c.encMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(block) > 10 {
		t.Errorf("repeated field encoded in %d bytes; dynamic table unused", len(block))
	}
}

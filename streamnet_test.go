package quic

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// streamListen starts a StreamListener on 127.0.0.1, closed at the test's
// end.
func streamListen(t *testing.T) *StreamListener {
	t.Helper()
	stls, _ := testTLS(t)
	sl, err := ListenStreams("udp", "127.0.0.1:0", stls, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	return sl
}

// TestStreamHTTP runs net/http's server and client, HTTP/1.1 with
// keep-alive, over quince streams.
func TestStreamHTTP(t *testing.T) {
	base := runtime.NumGoroutine()
	sl := streamListen(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello, %s", r.PathValue("name"))
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		// An HTTP/1.1 handler reads the body before it answers.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Write(body)
	})
	srv := &http.Server{Handler: mux}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sl) }()

	_, ctls := testTLS(t)
	sd := &StreamDialer{TLSConfig: ctls}
	tr := &http.Transport{DialContext: sd.DialContext, MaxIdleConnsPerHost: 4}
	client := &http.Client{Transport: tr}
	url := "http://" + sl.Addr().String()

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprintf("client%d", i)
			resp, err := client.Get(url + "/hello/" + name)
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || string(body) != "hello, "+name {
				errs <- fmt.Errorf("GET %s: %v %q, %v", name, resp.Status, body, err)
			}
		})
		wg.Go(func() {
			msg := strings.Repeat(fmt.Sprintf("post %d;", i), 5000)
			resp, err := client.Post(url+"/echo", "text/plain", strings.NewReader(msg))
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(body) != msg {
				errs <- fmt.Errorf("POST %d: %d bytes back, %v", i, len(body), err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	sd.mu.Lock()
	pooled := len(sd.pool)
	sd.mu.Unlock()
	if pooled != 1 {
		t.Errorf("%d pooled sessions, want 1", pooled)
	}

	tr.CloseIdleConnections()
	sd.Close()
	srv.Close() // closes sl
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v", err)
	}
	waitGoroutines(t, base)
}

// upperServer is a line-protocol server written for any net.Listener: it
// answers each line with the line in upper case, until the client's EOF.
func upperServer(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				if _, err := fmt.Fprintf(c, "%s\n", strings.ToUpper(sc.Text())); err != nil {
					return
				}
			}
		}()
	}
}

// TestStreamLineProtocol runs a line-protocol server and its clients over
// streams, and checks that the streams to one address share a session.
func TestStreamLineProtocol(t *testing.T) {
	sl := streamListen(t)
	go upperServer(sl)
	_, ctls := testTLS(t)
	sd := &StreamDialer{TLSConfig: ctls}
	defer sd.Close()

	var sessions sync.Map
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			c, err := sd.DialContext(testCtx(t), "tcp", sl.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			sessions.Store(c.(*Stream).s, true)
			r := bufio.NewReader(c)
			for j := range 5 {
				line := fmt.Sprintf("conn %d line %d", i, j)
				fmt.Fprintf(c, "%s\n", line)
				got, err := r.ReadString('\n')
				if err != nil || got != strings.ToUpper(line)+"\n" {
					t.Errorf("reply to %q: %q, %v", line, got, err)
					return
				}
			}
			c.(*Stream).CloseWrite()
			if _, err := r.ReadByte(); err != io.EOF {
				t.Errorf("after CloseWrite: %v, want io.EOF", err)
			}
		})
	}
	wg.Wait()
	n := 0
	sessions.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("streams used %d sessions, want 1", n)
	}
}

// TestStreamDialerRedials checks that a pooled session that ended is
// replaced, and that a closed StreamDialer and StreamListener report
// net.ErrClosed.
func TestStreamDialerRedials(t *testing.T) {
	sl := streamListen(t)
	go upperServer(sl)
	_, ctls := testTLS(t)
	sd := &StreamDialer{TLSConfig: ctls}
	ask := func() *Session {
		t.Helper()
		c, err := sd.DialContext(testCtx(t), "udp", sl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "ping\n")
		if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "PING\n" {
			t.Fatalf("reply %q, %v", got, err)
		}
		return c.(*Stream).s
	}
	first := ask()
	first.CloseWithError(7, "gone")
	if second := ask(); second == first {
		t.Error("the ended session was reused")
	}
	sd.Close()
	if _, err := sd.DialContext(testCtx(t), "udp", sl.Addr().String()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("DialContext after Close = %v, want net.ErrClosed", err)
	}
	if _, err := sd.DialContext(testCtx(t), "ip", sl.Addr().String()); err == nil {
		t.Error("DialContext on network ip succeeded")
	}

	acceptErr := make(chan error, 1)
	sl2 := streamListen(t)
	go func() { _, err := sl2.Accept(); acceptErr <- err }()
	sl2.Close()
	if err := <-acceptErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close = %v, want net.ErrClosed", err)
	}
}

// TestStreamDialerFromListener dials, through a StreamDialer, from the
// socket of a Listener that also serves: two peers, one UDP port each.
func TestStreamDialerFromListener(t *testing.T) {
	a, b := streamListen(t), streamListen(t)
	go upperServer(a)
	go upperServer(b)
	_, ctls := testTLS(t)
	for _, tc := range []struct{ from, to *StreamListener }{{a, b}, {b, a}} {
		sd := &StreamDialer{DialSession: func(ctx context.Context, network, address string) (*Session, error) {
			return tc.from.Listener().Dial(ctx, address, ctls, nil)
		}}
		c, err := sd.DialContext(testCtx(t), "udp", tc.to.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if c.LocalAddr().String() != tc.from.Addr().String() {
			t.Errorf("stream from %v, want %v", c.LocalAddr(), tc.from.Addr())
		}
		fmt.Fprintf(c, "over one socket\n")
		if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "OVER ONE SOCKET\n" {
			t.Errorf("reply %q, %v", got, err)
		}
		c.Close()
		sd.Close()
	}
}

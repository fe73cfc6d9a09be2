package http3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHandlerPanicMidBody: a handler that panics after part of its
// response went out resets the stream with H3_INTERNAL_ERROR, so that the
// response fails instead of ending as if complete; a panic with
// http.ErrAbortHandler does the same without being logged. The reset may
// overtake the header section (RFC 9000, Section 3.2: a receiver may
// discard data on RESET_STREAM), so the error may come from RoundTrip or
// from the body.
func TestHandlerPanicMidBody(t *testing.T) {
	tests := []struct {
		path   string
		value  any
		logged string
	}{
		{path: "/boom", value: "boom mid-body", logged: "boom mid-body"},
		{path: "/abort", value: http.ErrAbortHandler},
	}
	values := map[string]any{}
	for _, tt := range tests {
		values[tt.path] = tt.value
	}
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(values[r.URL.Path])
	}))
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			var b []byte
			resp, err := e.client.Get(e.url + tt.path)
			if err == nil {
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			var h3err *Error
			if !errors.As(err, &h3err) || h3err.Code != ErrCodeInternalError || !h3err.Remote || h3err.Connection {
				t.Errorf("body %q, error %v; want remote stream error H3_INTERNAL_ERROR", b, err)
			}
			if !strings.HasPrefix("partial", string(b)) {
				t.Errorf("body %q is not a prefix of what the handler wrote", b)
			}
			logs := e.logs.String()
			if tt.logged != "" && !strings.Contains(logs, tt.logged) {
				t.Errorf("panic %q not logged: %q", tt.logged, logs)
			}
		})
	}
	if logs := e.logs.String(); strings.Contains(logs, http.ErrAbortHandler.Error()) {
		t.Errorf("http.ErrAbortHandler logged: %q", logs)
	}
}

// TestResponseBodyClosedMidDownload: a client that closes a response body
// before its end cancels the stream (RFC 9114, Section 4.1.1), which the
// handler sees as a failed Write and as the end of its request's context.
func TestResponseBodyClosedMidDownload(t *testing.T) {
	type outcome struct {
		written  int64
		writeErr error
		cause    error
	}
	done := make(chan outcome, 1)
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/endless" {
			return
		}
		buf := make([]byte, 32<<10)
		var o outcome
		for o.written < 1<<30 { // far more than the flow control windows hold
			n, err := w.Write(buf)
			o.written += int64(n)
			if err != nil {
				o.writeErr = err
				break
			}
		}
		// Without waiting for the session to end: the cancellation ends
		// the request's context.
		<-r.Context().Done()
		o.cause = context.Cause(r.Context())
		done <- o
	}))
	resp, err := e.client.Get(e.url + "/endless")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	o := <-done
	var h3err *Error
	if !errors.As(o.writeErr, &h3err) || h3err.Code != ErrCodeRequestCancelled || !h3err.Remote {
		t.Errorf("handler's Write after %d bytes: %v, want remote H3_REQUEST_CANCELLED", o.written, o.writeErr)
	}
	if !errors.As(o.cause, &h3err) || h3err.Code != ErrCodeRequestCancelled {
		t.Errorf("request context's cause %v, want H3_REQUEST_CANCELLED", o.cause)
	}
	// The session goes on serving.
	resp, err = e.client.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// TestOversizedResponseHeaders: a response header section over the
// Transport's MaxResponseHeaderBytes (announced as
// SETTINGS_MAX_FIELD_SECTION_SIZE, RFC 9114, Section 4.2.2) fails that
// request only; the session serves the next one.
func TestOversizedResponseHeaders(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			for i := range 10 {
				w.Header().Set(fmt.Sprintf("X-Big-%d", i), strings.Repeat("v", 200))
			}
		}
		io.WriteString(w, "body")
	}))
	e.tr.MaxResponseHeaderBytes = 1000
	for _, tt := range []struct {
		path string
		ok   bool
	}{{"/small", true}, {"/big", false}, {"/small", true}} {
		resp, err := e.client.Get(e.url + tt.path)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !tt.ok {
				t.Errorf("GET %s: status %d, body %q; want an error", tt.path, resp.StatusCode, b)
			}
			continue
		}
		if tt.ok {
			t.Errorf("GET %s: %v", tt.path, err)
		}
		var h3err *Error
		if !errors.As(err, &h3err) || h3err.Connection {
			t.Errorf("GET %s: %v, want a stream error", tt.path, err)
		}
	}
	e.tr.mu.Lock()
	defer e.tr.mu.Unlock()
	if len(e.tr.conns) != 1 {
		t.Errorf("%d sessions, want 1", len(e.tr.conns))
	}
}

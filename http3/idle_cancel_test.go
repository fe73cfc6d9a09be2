package http3

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestIdleHandlerSeesCancel: a handler that neither reads nor writes learns
// that the client cancelled its request, through the request context.
func TestIdleHandlerSeesCancel(t *testing.T) {
	inHandler := make(chan struct{})
	cause := make(chan error, 1)
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inHandler)
		<-r.Context().Done()
		cause <- context.Cause(r.Context())
	}))
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/wait", nil)
	go func() {
		if resp, err := e.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-inHandler
	cancel()
	select {
	case err := <-cause:
		var h3err *Error
		if !errors.As(err, &h3err) || !h3err.Remote {
			t.Errorf("request context cause %v; want a remote *Error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's context did not end within 10s of the client cancelling")
	}
}

package http3

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestTransportCloseCancelsDial: Close does not wait for a dial to a silent
// address to reach its handshake timeout.
func TestTransportCloseCancelsDial(t *testing.T) {
	tr := &Transport{}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://127.0.0.1:9/", nil)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("request to a silent port succeeded")
	}
	done := make(chan struct{})
	go func() {
		tr.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close still waiting for the dial after 5s; the handshake timeout is 10s")
	}
}

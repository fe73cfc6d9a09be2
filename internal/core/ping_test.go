package core

import (
	"testing"
	"time"
)

// TestPingKeepsAlive pings well within the idle timeout and expects the
// connection to outlive several idle timeouts; without pings it ends.
func TestPingKeepsAlive(t *testing.T) {
	for _, ping := range []bool{false, true} {
		cfg := &Config{MaxIdleTimeout: 2 * time.Second}
		p := newTestPair(t, 1, linkConfig{delay: 10 * time.Millisecond}, cfg, &Config{MaxIdleTimeout: 2 * time.Second})
		p.handshake()
		for range 10 {
			p.advance(time.Second)
			if ping {
				p.client.Ping()
			}
		}
		alive := p.client.Err() == nil && p.server.Err() == nil
		if alive != ping {
			t.Errorf("ping=%v: alive after 10s = %v (client err %v, server err %v)", ping, alive, p.client.Err(), p.serverErr())
		}
	}
}

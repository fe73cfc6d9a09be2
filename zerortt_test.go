package quic

import (
	"crypto/tls"
	"testing"
)

// TestEarlyDataRejected resumes, with 0-RTT, a session from a server that
// allowed it on a server that shares its ticket keys but refuses 0-RTT:
// the early request still arrives, in 1-RTT, and ConnectionState says the
// early data was rejected (RFC 9001, Section 4.6.2).
func TestEarlyDataRejected(t *testing.T) {
	stls, ctls := testTLS(t)
	stls = stls.Clone()
	stls.MinVersion = tls.VersionTLS13
	stls.SetSessionTicketKeys([][32]byte{{1, 2, 3}})
	cache := &signalingSessionCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{}, 1)}
	ctls = ctls.Clone()
	ctls.ClientSessionCache = cache
	clientConf := &Config{Allow0RTT: true}

	tests := []struct {
		name                       string
		allow                      bool // the second server's Allow0RTT
		wantAccepted, wantRejected bool
	}{
		{"accepted", true, true, false},
		{"rejected", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := Listen("udp", "127.0.0.1:0", stls, &Config{Allow0RTT: true})
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			echoServer(first)
			c, err := Dial(testCtx(t), "udp", first.Addr().String(), ctls, clientConf)
			if err != nil {
				t.Fatal(err)
			}
			waitSignal(t, cache.put, "session ticket")
			c.Close()

			second, err := Listen("udp", "127.0.0.1:0", stls, &Config{Allow0RTT: tt.allow})
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			echoServer(second)
			s, err := DialEarly(testCtx(t), "udp", second.Addr().String(), ctls, clientConf)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := echo(testCtx(t), s, []byte("early hello"))
			if err != nil || string(got) != "early hello" {
				t.Fatalf("echo = %q, %v", got, err)
			}
			<-s.HandshakeComplete()
			cs := s.ConnectionState()
			if !cs.Resumed || cs.EarlyDataAccepted != tt.wantAccepted || cs.EarlyDataRejected != tt.wantRejected {
				t.Errorf("Resumed, EarlyDataAccepted, EarlyDataRejected = %v, %v, %v; want true, %v, %v",
					cs.Resumed, cs.EarlyDataAccepted, cs.EarlyDataRejected, tt.wantAccepted, tt.wantRejected)
			}
		})
	}
}

// TestResumption checks that a Listener's sessions resume each other's
// TLS sessions (RFC 9001, Section 4.5), even when its TLS config does not
// ask for TLS 1.3 itself.
func TestResumption(t *testing.T) {
	l := listen(t, nil) // testTLS leaves MinVersion unset
	_, ctls := testTLS(t)
	cache := &signalingSessionCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{}, 1)}
	ctls = ctls.Clone()
	ctls.ClientSessionCache = cache
	for i, want := range []bool{false, true} {
		c, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			waitSignal(t, cache.put, "session ticket")
		}
		if got := c.ConnectionState().Resumed; got != want {
			t.Errorf("session %d: Resumed = %v, want %v", i+1, got, want)
		}
		c.Close()
	}
}

package quic

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quince-go/quic/internal/token"
)

// signalingTokenStore is a TokenStore that reports every Put on put.
type signalingTokenStore struct {
	TokenStore
	put chan struct{}
}

func newSignalingTokenStore() *signalingTokenStore {
	return &signalingTokenStore{TokenStore: NewTokenStore(4, 2), put: make(chan struct{}, 8)}
}

func (s *signalingTokenStore) Put(key string, tok []byte) {
	s.TokenStore.Put(key, tok)
	s.put <- struct{}{}
}

func waitSignal(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-testCtx(t).Done():
		t.Fatalf("no %s", what)
	}
}

func TestRetryThenNewTokenSkipsIt(t *testing.T) {
	l := listen(t, &Config{RequireRetry: true})
	echoServer(l)
	store := newSignalingTokenStore()
	conf := &Config{TokenStore: store}

	first := dial(t, l, conf)
	if !first.ConnectionState().Retried {
		t.Error("first session: Retried = false with RequireRetry")
	}
	if got, err := echo(testCtx(t), first, []byte("one")); err != nil || string(got) != "one" {
		t.Fatalf("echo on the first session = %q, %v", got, err)
	}
	waitSignal(t, store.put, "NEW_TOKEN token")

	second := dial(t, l, conf)
	if second.ConnectionState().Retried {
		t.Error("second session: Retried = true despite a NEW_TOKEN token")
	}
	if got, err := echo(testCtx(t), second, []byte("two")); err != nil || string(got) != "two" {
		t.Fatalf("echo on the second session = %q, %v", got, err)
	}
	st := l.mux.Stats()
	// A first flight of two datagrams (a large ClientHello) draws two
	// Retries; the client follows the first.
	if st.Retries < 1 || st.RetryValidated != 1 || st.TokenValidated != 1 {
		t.Errorf("mux Retries, RetryValidated, TokenValidated = %d, %d, %d; want >= 1, 1, 1", st.Retries, st.RetryValidated, st.TokenValidated)
	}

	// Without RequireRetry and with a quiet listener, no Retry.
	l2 := listen(t, nil)
	if dial(t, l2, nil).ConnectionState().Retried {
		t.Error("Retried = true without RequireRetry")
	}
}

// fixedTokenStore hands out one token.
type fixedTokenStore struct{ tok []byte }

func (s *fixedTokenStore) Put(string, []byte) {}
func (s *fixedTokenStore) Pop(string) []byte  { t := s.tok; s.tok = nil; return t }

func TestForgedTokens(t *testing.T) {
	l := listen(t, &Config{RequireRetry: true})
	echoServer(l)
	addr := l.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort()
	forger := token.New(&[32]byte{42})
	now := time.Now()
	_, ctls := testTLS(t)

	// A Retry token the server did not make: INVALID_TOKEN, no session.
	bad := forger.NewRetryToken(netip.AddrPortFrom(addr.Addr(), 1), Version1, make([]byte, 8), make([]byte, 8), now)
	_, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, &Config{TokenStore: &fixedTokenStore{bad}})
	var te *TransportError
	if !errors.As(err, &te) || te.Code != InvalidToken || !te.Remote {
		t.Errorf("Dial with a forged Retry token: %v; want remote INVALID_TOKEN", err)
	}

	// A forged NEW_TOKEN token is ignored: the server sends a Retry.
	badNew := forger.NewToken(addr.Addr(), Version1, now)
	s, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, &Config{TokenStore: &fixedTokenStore{badNew}})
	if err != nil {
		t.Fatalf("Dial with a forged NEW_TOKEN token: %v", err)
	}
	defer s.Close()
	if !s.ConnectionState().Retried {
		t.Error("forged NEW_TOKEN token skipped the Retry")
	}
	if st := l.mux.Stats(); st.InvalidTokens < 2 || st.TokenValidated != 0 {
		t.Errorf("mux InvalidTokens, TokenValidated = %d, %d; want >= 2, 0", st.InvalidTokens, st.TokenValidated)
	}
}

func TestTokenStore(t *testing.T) {
	s := NewTokenStore(2, 2)
	s.Put("a", []byte("a1"))
	s.Put("a", []byte("a2"))
	s.Put("a", []byte("a3")) // a1 goes
	s.Put("b", []byte("b1"))
	s.Put("c", []byte("c1")) // a is the least recently used: it goes
	var got []string
	for _, k := range []string{"a", "b", "c", "c"} {
		got = append(got, string(s.Pop(k)))
	}
	if diff := cmp.Diff([]string{"", "b1", "c1", ""}, got); diff != "" {
		t.Errorf("Pops (-want +got):\n%s", diff)
	}
	s.Put("d", []byte("d1"))
	s.Put("d", []byte("d2"))
	s.Put("d", []byte("d3"))
	if got := []string{string(s.Pop("d")), string(s.Pop("d")), string(s.Pop("d"))}; !cmp.Equal(got, []string{"d3", "d2", ""}) {
		t.Errorf("Pops of d = %q, want newest first, two kept", got)
	}
}

func TestVersionNegotiationError(t *testing.T) {
	l := listen(t, &Config{Versions: []uint32{Version2}})
	_, ctls := testTLS(t)
	_, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, &Config{Versions: []uint32{Version1}})
	var vne *VersionNegotiationError
	if !errors.As(err, &vne) {
		t.Fatalf("Dial: %v; want *VersionNegotiationError", err)
	}
	if diff := cmp.Diff([]uint32{Version2}, vne.Offered); diff != "" {
		t.Errorf("Offered (-want +got):\n%s", diff)
	}
}

func TestDatagrams(t *testing.T) {
	conf := &Config{EnableDatagrams: true}
	l := listen(t, conf)
	c, s := pair(t, l, conf)
	for i := range 10 {
		msg := []byte{byte(i), 'x', 'y'}
		if err := c.SendDatagram(msg); err != nil {
			t.Fatalf("SendDatagram: %v", err)
		}
		got, err := s.ReceiveDatagram(testCtx(t))
		if err != nil {
			t.Fatalf("ReceiveDatagram: %v", err)
		}
		if !bytes.Equal(got, msg) {
			t.Errorf("datagram %d = %x, want %x", i, got, msg)
		}
	}
	if err := s.SendDatagram(make([]byte, 1500)); !errors.Is(err, ErrDatagramTooLarge) {
		t.Errorf("SendDatagram of 1500 bytes: %v, want ErrDatagramTooLarge", err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	if _, err := c.ReceiveDatagram(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ReceiveDatagram with a canceled context: %v", err)
	}

	// A peer without EnableDatagrams accepts none.
	l2 := listen(t, nil)
	c2 := dial(t, l2, conf)
	if err := c2.SendDatagram([]byte("x")); !errors.Is(err, ErrDatagramsUnsupported) {
		t.Errorf("SendDatagram to a peer without datagrams: %v, want ErrDatagramsUnsupported", err)
	}
	c.Close()
	if _, err := s.ReceiveDatagram(testCtx(t)); err == nil {
		t.Error("ReceiveDatagram on a closed session succeeded")
	}
}

// transfer echoes n random bytes over a new stream of c, calling during
// every 64 KiB written, and checks that they come back intact.
func transfer(t *testing.T, c *Session, n int, during func()) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	errc := make(chan error, 1)
	go func() {
		for off := 0; off < n; off += 64 << 10 {
			if _, err := st.Write(data[off:min(off+64<<10, n)]); err != nil {
				errc <- err
				return
			}
			during()
		}
		errc <- st.CloseWrite()
	}()
	got, err := io.ReadAll(st)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("echoed %d bytes differ from the %d sent", len(got), n)
	}
}

func TestUpdateKeysMidTransfer(t *testing.T) {
	l := listen(t, nil)
	echoServer(l)
	c := dial(t, l, nil)
	// Before the handshake is confirmed or while an update is pending,
	// UpdateKeys fails; count the ones that start.
	started := 0
	transfer(t, c, 8<<20, func() {
		if c.UpdateKeys() == nil {
			started++
		}
	})
	if started < 3 {
		t.Errorf("%d key updates started during the transfer, want at least 3", started)
	}
	if got := c.ConnectionState().KeyUpdates; got < uint64(started) {
		t.Errorf("ConnectionState().KeyUpdates = %d, want at least %d", got, started)
	}
	if got := c.Stats().KeyUpdates; got < uint64(started) {
		t.Errorf("Stats().KeyUpdates = %d, want at least %d", got, started)
	}
}

func TestStats(t *testing.T) {
	l := listen(t, nil)
	echoServer(l)
	c := dial(t, l, nil)
	const n = 1 << 20
	transfer(t, c, n, func() {})
	st := c.Stats()
	switch {
	case st.PacketsSent == 0 || st.PacketsReceived == 0:
		t.Errorf("packets sent, received = %d, %d", st.PacketsSent, st.PacketsReceived)
	case st.BytesSent < n || st.BytesReceived < n:
		t.Errorf("bytes sent, received = %d, %d; want at least %d each", st.BytesSent, st.BytesReceived, n)
	case st.MinRTT <= 0 || st.SmoothedRTT <= 0 || st.LatestRTT <= 0 || st.MinRTT > st.SmoothedRTT*4:
		t.Errorf("RTT min %v smoothed %v latest %v", st.MinRTT, st.SmoothedRTT, st.LatestRTT)
	case st.CongestionWindow < 2*1200:
		t.Errorf("congestion window %d", st.CongestionWindow)
	case st.PathMTU < 1200:
		t.Errorf("path MTU %d", st.PathMTU)
	case st.StreamsOpen != 0:
		t.Errorf("StreamsOpen = %d after the stream ended", st.StreamsOpen)
	}
	if _, err := c.OpenStream(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().StreamsOpen; got != 1 {
		t.Errorf("StreamsOpen = %d with one stream open, want 1", got)
	}
	c.Close()
	if got := c.Stats(); got.PacketsSent < st.PacketsSent {
		t.Errorf("Stats after Close lost counts: %d packets sent, had %d", got.PacketsSent, st.PacketsSent)
	}
}

func TestKeepAlive(t *testing.T) {
	const idle = 600 * time.Millisecond
	l := listen(t, &Config{MaxIdleTimeout: idle})
	echoServer(l)
	kept := dial(t, l, &Config{MaxIdleTimeout: idle, KeepAlivePeriod: idle / 4})
	idler := dial(t, l, &Config{MaxIdleTimeout: idle})
	// The session without keep-alives ends by the idle timeout; the other
	// outlives it several times over and still works.
	select {
	case <-idler.Context().Done():
	case <-testCtx(t).Done():
		t.Fatal("idle session did not time out")
	}
	if err := context.Cause(idler.Context()); !errors.Is(err, ErrIdleTimeout) {
		t.Errorf("idle session ended with %v, want ErrIdleTimeout", err)
	}
	select {
	case <-kept.Context().Done():
		t.Fatalf("kept-alive session ended: %v %+v", context.Cause(kept.Context()), kept.Stats())
	case <-time.After(3 * idle):
	}
	if got, err := echo(testCtx(t), kept, []byte("still here")); err != nil || string(got) != "still here" {
		t.Errorf("echo after idling = %q, %v", got, err)
	}
}

// signalingSessionCache is a tls.ClientSessionCache that reports every
// Put on put.
type signalingSessionCache struct {
	tls.ClientSessionCache
	put chan struct{}
}

func (c *signalingSessionCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		select {
		case c.put <- struct{}{}:
		default:
		}
	}
}

func TestDialEarly0RTT(t *testing.T) {
	stls, ctls := testTLS(t)
	stls = stls.Clone()
	stls.MinVersion = tls.VersionTLS13
	conf := &Config{Allow0RTT: true}
	l, err := Listen("udp", "127.0.0.1:0", stls, conf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	echoServer(l)
	cache := &signalingSessionCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{}, 1)}
	ctls = ctls.Clone()
	ctls.ClientSessionCache = cache

	first, err := DialEarly(testCtx(t), "udp", l.Addr().String(), ctls, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	select {
	case <-first.HandshakeComplete():
	default:
		t.Error("DialEarly without a session to resume returned before the handshake completed")
	}
	waitSignal(t, cache.put, "session ticket")

	s, err := DialEarly(testCtx(t), "udp", l.Addr().String(), ctls, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := echo(testCtx(t), s, []byte("early hello"))
	if err != nil || string(got) != "early hello" {
		t.Fatalf("echo in 0-RTT = %q, %v", got, err)
	}
	<-s.HandshakeComplete()
	cs := s.ConnectionState()
	if !cs.Resumed || !cs.EarlyDataAccepted {
		t.Errorf("Resumed, EarlyDataAccepted = %v, %v; want true, true", cs.Resumed, cs.EarlyDataAccepted)
	}
}

func TestAutomaticRetry(t *testing.T) {
	l := listen(t, &Config{AcceptBacklog: 4})
	for _, tt := range []struct {
		unvalidated int64
		want        bool
	}{{0, false}, {2, false}, {3, true}} {
		l.unvalidated.Store(tt.unvalidated)
		if got := l.retryNeeded(); got != tt.want {
			t.Errorf("retryNeeded with %d unvalidated handshakes of a backlog of 4 = %v, want %v", tt.unvalidated, got, tt.want)
		}
	}
	l.unvalidated.Store(3)
	s := dial(t, l, nil)
	if !s.ConnectionState().Retried {
		t.Error("no Retry with the backlog over half full of unvalidated handshakes")
	}
	l.unvalidated.Add(-3)
}

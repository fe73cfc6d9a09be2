package quic

import (
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
)

// download has s send size pseudo-random bytes on a stream c opens,
// calling during once after the first mid bytes arrived; it checks the
// data's digest.
func download(t *testing.T, c, s *Session, size, mid int64, during func()) {
	t.Helper()
	sum := make(chan [32]byte, 1)
	go func() {
		defer close(sum)
		st, err := s.AcceptStream(testCtx(t))
		if err != nil {
			t.Error(err)
			return
		}
		io.ReadAll(st)
		h := sha256.New()
		rng := rand.NewChaCha8([32]byte{9})
		if _, err := io.CopyN(io.MultiWriter(st, h), rng, size); err != nil {
			t.Error(err)
		}
		st.Close()
		sum <- [32]byte(h.Sum(nil))
	}()
	st, err := c.OpenStream(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("GET\r\n"))
	st.CloseWrite()
	h := sha256.New()
	if n, err := io.CopyN(h, st, mid); err != nil {
		t.Fatalf("first %d bytes: got %d, %v", mid, n, err)
	}
	during()
	n, err := io.Copy(h, st)
	if err != nil || n != size-mid {
		t.Fatalf("downloaded %d bytes, %v; want %d", mid+n, err, size)
	}
	if want, ok := <-sum; !ok || want != [32]byte(h.Sum(nil)) {
		t.Error("digest mismatch")
	}
}

func udpAddrPort(a net.Addr) netip.AddrPort { return a.(*net.UDPAddr).AddrPort() }

// TestMigrate moves a client to a new socket in the middle of a download
// (RFC 9000, Section 9.2): the data arrives intact, the client's LocalAddr
// and the server's RemoteAddr follow, and the old socket is closed.
func TestMigrate(t *testing.T) {
	l := listen(t, nil)
	c, s := pair(t, l, nil)
	oldLocal := udpAddrPort(c.LocalAddr())
	remote := c.RemoteAddr().String()
	migrated := make(chan error, 1)
	download(t, c, s, 8<<20, 1<<20, func() {
		// Migrate while the rest of the download flows.
		go func() { migrated <- c.Migrate(testCtx(t)) }()
	})
	if err := <-migrated; err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	newLocal := udpAddrPort(c.LocalAddr())
	if newLocal.Port() == oldLocal.Port() {
		t.Errorf("LocalAddr after Migrate = %v, still the old socket's", newLocal)
	}
	if got := c.RemoteAddr().String(); got != remote {
		t.Errorf("client's RemoteAddr = %v after Migrate, want %v", got, remote)
	}
	// One more exchange, so that the server has surely seen the new path.
	download(t, c, s, 64<<10, 1, func() {})
	if got := udpAddrPort(s.RemoteAddr()); got.Port() != newLocal.Port() {
		t.Errorf("server's RemoteAddr = %v after Migrate, want port %d", got, newLocal.Port())
	}
	// The old socket is closed: its port can be bound again.
	if uc, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(oldLocal)); err != nil {
		t.Errorf("old socket %v still open: %v", oldLocal, err)
	} else {
		uc.Close()
	}
}

// TestMigrateErrors checks the migrations that fail at once, leaving the
// session as it was.
func TestMigrateErrors(t *testing.T) {
	tests := []struct {
		name   string
		conf   *Config
		server bool // migrate the server's session
		want   error
	}{
		{"disabled", &Config{DisableActiveMigration: true}, false, ErrMigrationDisabled},
		{"server", nil, true, errServerMigrate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := listen(t, tt.conf)
			c, s := pair(t, l, nil)
			// A round trip, so that the handshake is confirmed.
			download(t, c, s, 1000, 1, func() {})
			m := c
			if tt.server {
				m = s
			}
			local := m.LocalAddr().String()
			if err := m.Migrate(testCtx(t)); !errors.Is(err, tt.want) {
				t.Fatalf("Migrate: %v, want %v", err, tt.want)
			}
			if got := m.LocalAddr().String(); got != local {
				t.Errorf("LocalAddr = %v after a failed Migrate, want %v", got, local)
			}
			download(t, c, s, 64<<10, 1, func() {})
		})
	}
}

// filterRelay forwards datagrams between a server and the first client
// address it hears from; datagrams from any other address are dropped, so
// that a client's new path never validates.
type filterRelay struct {
	front, back *net.UDPConn
	mu          sync.Mutex
	client      netip.AddrPort
}

func newFilterRelay(t *testing.T, server netip.AddrPort) *filterRelay {
	r := &filterRelay{}
	var err error
	if r.front, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	if r.back, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.front.Close(); r.back.Close() })
	go func() {
		b := make([]byte, 2048)
		for {
			n, from, err := r.front.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			if !r.client.IsValid() {
				r.client = from
			}
			ok := r.client == from
			r.mu.Unlock()
			if ok {
				r.back.WriteToUDPAddrPort(b[:n], server)
			}
		}
	}()
	go func() {
		b := make([]byte, 2048)
		for {
			n, _, err := r.back.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			r.mu.Lock()
			client := r.client
			r.mu.Unlock()
			r.front.WriteToUDPAddrPort(b[:n], client)
		}
	}()
	return r
}

// TestMigrateFails checks that a client whose new path does not validate
// goes back to its old socket (RFC 9000, Section 8.2.4) and carries on.
func TestMigrateFails(t *testing.T) {
	l := listen(t, nil)
	r := newFilterRelay(t, udpAddrPort(l.Addr()))
	_, ctls := testTLS(t)
	c, err := Dial(testCtx(t), "udp", r.front.LocalAddr().String(), ctls, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	download(t, c, s, 1000, 1, func() {})
	local := c.LocalAddr().String()
	if err := c.Migrate(testCtx(t)); !errors.Is(err, ErrMigrationFailed) {
		t.Fatalf("Migrate: %v, want ErrMigrationFailed", err)
	}
	if got := c.LocalAddr().String(); got != local {
		t.Errorf("LocalAddr = %v after a failed migration, want %v", got, local)
	}
	download(t, c, s, 1<<20, 1, func() {})
}

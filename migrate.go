package quic

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/mux"
)

// Errors of Session.Migrate (RFC 9000, Section 9).
var (
	// ErrMigrationDisabled: the server sent disable_active_migration
	// (its Config.DisableActiveMigration), so the client must not move to
	// a new local address.
	ErrMigrationDisabled = core.ErrMigrationDisabled
	// ErrMigrationTooEarly: a client may migrate only once the handshake
	// is confirmed.
	ErrMigrationTooEarly = core.ErrMigrationTooEarly
	// ErrNoConnIDForMigration: the server has issued no spare connection
	// ID to use on a new path (RFC 9000, Section 9.5).
	ErrNoConnIDForMigration = core.ErrNoConnIDForMigration
	// ErrMigrationFailed: the new path was not validated in time
	// (RFC 9000, Section 8.2.4); the session went back to its old socket.
	ErrMigrationFailed = errors.New("quic: migration failed: the new path was not validated; back on the old socket")
	// ErrMigrationInProgress: an earlier Migrate has not finished yet.
	ErrMigrationInProgress = errors.New("quic: a migration is already in progress")
	// errServerMigrate: only clients migrate.
	errServerMigrate = errors.New("quic: only a client session can migrate")
)

// migration is a client's move to a new socket, pending until the new
// path is validated. The old socket keeps receiving meanwhile.
type migration struct {
	old        *mux.Mux
	oldRelease func()
	oldLocal   netip.AddrPort
	oldIDs     [][]byte       // connection IDs registered on old
	oldPeer    netip.AddrPort // peer address registered on old, if valid
	result     chan error     // capacity 1: the outcome for Migrate
}

// Migrate moves a client session to a new local UDP socket (RFC 9000,
// Section 9.2), of the same address family as the current one: the
// session's connection IDs are routed there, the session switches to a
// fresh connection ID of the server's, resets its congestion state, and
// validates the new path with a PATH_CHALLENGE. Migrate returns nil once
// the path is validated; the old socket is then dropped and LocalAddr
// reports the new one. If validation fails (after about three PTOs), the
// session goes back to its old socket and Migrate returns
// ErrMigrationFailed. It fails at once, changing nothing, with
// ErrMigrationDisabled if the server forbids migration, with
// ErrMigrationTooEarly before the handshake is confirmed, with
// ErrNoConnIDForMigration, or with ErrMigrationInProgress. If ctx ends
// first, Migrate returns ctx's error and the migration goes on.
func (s *Session) Migrate(ctx context.Context) error {
	network, laddr := s.migrateAddr()
	uc, err := net.ListenUDP(network, laddr)
	if err != nil {
		return err
	}
	m, err := mux.New(uc, mux.Config{Versions: s.conf.versions()})
	if err != nil {
		uc.Close()
		return err
	}
	var res chan error
	o := newOp(func(c *core.Conn) { res, err = s.startMigration(m) })
	o.afterFlush = true
	if e := s.submit(ctx, o); e != nil {
		m.Close()
		return e
	}
	if err != nil {
		m.Close()
		return err
	}
	select {
	case err := <-res:
		return err
	case <-s.closed:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// migrateAddr returns the network and local address of a new socket like
// the session's current one: same family and IP, any port.
func (s *Session) migrateAddr() (string, *net.UDPAddr) {
	s.stateMu.Lock()
	local := s.local.Addr()
	s.stateMu.Unlock()
	switch {
	case local.Is4():
		return "udp4", &net.UDPAddr{IP: local.AsSlice()}
	case local.IsUnspecified():
		// A dual-stack socket, like the one the session had.
		return "udp", &net.UDPAddr{IP: net.IPv6unspecified}
	}
	return "udp6", &net.UDPAddr{IP: local.AsSlice(), Zone: local.Zone()}
}

// startMigration moves the session to m and starts validating the new path.
// On failure nothing has changed and m is still the caller's. Loop
// goroutine.
func (s *Session) startMigration(m *mux.Mux) (chan error, error) {
	if !s.conn.IsClient() {
		return nil, errServerMigrate
	}
	if s.mig != nil {
		return nil, ErrMigrationInProgress
	}
	ids := make([][]byte, 0, len(s.connIDs))
	for id := range s.connIDs {
		ids = append(ids, []byte(id))
	}
	for i, id := range ids {
		if err := m.Register(id, s.inbox); err != nil {
			for _, id := range ids[:i] {
				m.Unregister(id)
			}
			return nil, err
		}
	}
	if err := s.conn.Migrate(time.Now()); err != nil {
		for _, id := range ids {
			m.Unregister(id)
		}
		return nil, err
	}
	mig := &migration{
		old:        s.mux,
		oldRelease: s.release,
		oldLocal:   s.local,
		oldIDs:     ids,
		result:     make(chan error, 1),
	}
	if s.peerReg {
		mig.oldPeer = s.peerAddr
		s.peerReg = m.RegisterPeer(s.peerAddr, s.inbox) == nil
	}
	s.mig = mig
	s.mux = m
	s.release = func() { m.Close() }
	s.setLocal(m.LocalAddr())
	s.logPath("quic: migrating to a new socket", s.peerAddr)
	return mig.result, nil
}

// setLocal records the session's local address.
func (s *Session) setLocal(a netip.AddrPort) {
	s.stateMu.Lock()
	s.local = a
	s.stateMu.Unlock()
}

// migrationValidated completes a pending migration: the old socket goes.
// Loop goroutine.
func (s *Session) migrationValidated() {
	mig := s.mig
	if mig == nil {
		return
	}
	s.mig = nil
	mig.drop(s.inbox)
	s.logPath("quic: migration complete", s.peerAddr)
	mig.result <- nil
}

// migrationFailed moves the session back to its old socket after the new
// path failed validation (RFC 9000, Section 8.2.4). Loop goroutine.
func (s *Session) migrationFailed() {
	mig := s.mig
	if mig == nil {
		return
	}
	s.mig = nil
	m := s.mux
	for id := range s.connIDs {
		// IDs issued since the migration started were registered on m
		// only; the old socket takes them all.
		mig.old.Register([]byte(id), s.inbox)
		m.Unregister([]byte(id))
	}
	if s.peerReg {
		m.UnregisterPeer(s.peerAddr, s.inbox)
	}
	if mig.oldPeer.IsValid() && mig.oldPeer != s.peerAddr {
		mig.old.UnregisterPeer(mig.oldPeer, s.inbox)
	}
	s.peerReg = s.conn.HandshakeComplete() && mig.old.RegisterPeer(s.peerAddr, s.inbox) == nil
	s.mux = mig.old
	s.release = mig.oldRelease
	s.setLocal(mig.oldLocal)
	m.Close()
	s.logPath("quic: migration failed, back on the old socket", s.peerAddr)
	mig.result <- ErrMigrationFailed
}

// drop releases the old socket of a migration: its routes to inbox go,
// and the session's hold on it.
func (mig *migration) drop(inbox chan *mux.Datagram) {
	for _, id := range mig.oldIDs {
		mig.old.Unregister(id)
	}
	if mig.oldPeer.IsValid() {
		mig.old.UnregisterPeer(mig.oldPeer, inbox)
	}
	if mig.oldRelease != nil {
		mig.oldRelease()
	}
}

package mux

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/quince-go/quic/internal/token"
)

// ErrClosed is returned by the methods of a closed Mux.
var ErrClosed = errors.New("mux: closed")

// Mux shares one UDP socket among QUIC sessions. Its methods are safe for
// concurrent use.
type Mux struct {
	conn   *net.UDPConn
	cfg    Config
	key    [32]byte
	tokKey [32]byte
	tokens *token.Protector
	pool   *datagramPool
	stats  counters
	now    func() time.Time // time.Now, replaced in tests

	// backlog holds new-connection Initials for Accept. Only the reader
	// sends on it; it is never closed.
	backlog chan *Datagram

	mu     sync.RWMutex
	ids    map[string]chan<- *Datagram // nil value: reserved for Accept
	peers  map[netip.AddrPort][]chan<- *Datagram
	held   map[string][]*Datagram // for reserved IDs, see hold
	closed bool

	closeOnce sync.Once
	done      chan struct{} // closed by Close before it waits for the reader
	readerEnd chan struct{} // closed when the reader goroutine returns
	readErr   error         // why the reader stopped; set before readerEnd

	// Reader goroutine state.
	batch    *batchReader    // nil: one ReadFromUDPAddrPort per datagram
	handleFn func(*Datagram) // m.handle, made once
	limiter  tokenBucket
	mac      hash.Hash // HMAC-SHA256 keyed with key
	macSum   [sha256.Size]byte
	scratch  []byte // replies are built here
}

// New starts a mux on conn, which it owns from now on: Close closes it. New
// starts the reader goroutine and returns an error only for an invalid
// Config.
func New(conn *net.UDPConn, cfg Config) (*Mux, error) {
	return newMux(conn, cfg, time.Now)
}

func newMux(conn *net.UDPConn, cfg Config, now func() time.Time) (*Mux, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Mux{
		conn:      conn,
		cfg:       cfg,
		pool:      newDatagramPool(cfg.MaxDatagramSize),
		now:       now,
		ids:       make(map[string]chan<- *Datagram),
		peers:     make(map[netip.AddrPort][]chan<- *Datagram),
		held:      make(map[string][]*Datagram),
		done:      make(chan struct{}),
		readerEnd: make(chan struct{}),
		scratch:   make([]byte, 0, cfg.MaxDatagramSize),
	}
	if cfg.Server {
		m.backlog = make(chan *Datagram, cfg.AcceptBacklog)
	}
	if cfg.StatelessResetKey != nil {
		m.key = *cfg.StatelessResetKey
	} else {
		rand.Read(m.key[:])
	}
	if cfg.TokenKey != nil {
		m.tokKey = *cfg.TokenKey
	} else {
		rand.Read(m.tokKey[:])
	}
	m.tokens = token.New(&m.tokKey)
	m.mac = hmac.New(sha256.New, m.key[:])
	m.limiter = newTokenBucket(cfg.ReplyRate, cfg.ReplyBurst, now())
	m.handleFn = m.handle
	growBuffers(conn)
	if !disableBatchReads {
		m.batch = newBatchReader(conn, m.pool)
	}
	go m.readLoop()
	return m, nil
}

// disableBatchReads makes new muxes read one datagram per system call;
// tests set it to exercise that path.
var disableBatchReads = false

// disableGRO makes new muxes leave UDP_GRO off, as a kernel without it
// does; tests set it to exercise the batched reads without it.
var disableGRO = false

// LocalAddr returns the socket's local address.
func (m *Mux) LocalAddr() netip.AddrPort {
	return m.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// StatelessResetKey returns the key from which the mux derives stateless
// reset tokens. Sessions pass it to core.Config.StatelessResetKey.
func (m *Mux) StatelessResetKey() *[32]byte {
	k := m.key
	return &k
}

// TokenKey returns the key of the mux's address validation tokens. Server
// sessions pass it to core.Config.TokenKey, so that the NEW_TOKEN tokens
// their cores issue open here.
func (m *Mux) TokenKey() *[32]byte {
	k := m.tokKey
	return &k
}

// ConnIDLen returns Config.ConnIDLen: the length of the connection IDs that
// sessions on this mux must issue.
func (m *Mux) ConnIDLen() int { return m.cfg.ConnIDLen }

// MaxDatagramSize returns Config.MaxDatagramSize.
func (m *Mux) MaxDatagramSize() int { return m.cfg.MaxDatagramSize }

// WriteTo sends one datagram to addr. It returns ErrClosed after Close.
// Any goroutine may call it; b is not retained.
func (m *Mux) WriteTo(b []byte, addr netip.AddrPort) error {
	if _, err := m.conn.WriteToUDPAddrPort(b, addr); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return ErrClosed
		}
		m.stats.writeErrors.Add(1)
		return err
	}
	return nil
}

// Stats returns a snapshot of the mux's counters.
func (m *Mux) Stats() Stats { return m.stats.snapshot() }

// Done returns a channel that is closed when the mux starts closing, by
// Close or because the socket failed. Sessions select on it to learn that
// no more datagrams will come.
func (m *Mux) Done() <-chan struct{} { return m.done }

// Err returns nil while the mux runs, ErrClosed after Close, or the read
// error that stopped the reader.
func (m *Mux) Err() error {
	select {
	case <-m.readerEnd:
		return m.readErr
	default:
		return nil
	}
}

// Close closes the socket, stops the reader goroutine and returns once it
// has exited; pending and later Accept calls return ErrClosed. Datagrams
// still waiting in the accept backlog or held for it are released; those already in
// session inboxes stay theirs to release. Close does not close inboxes.
// It never blocks on sessions, and later calls return nil.
func (m *Mux) Close() error {
	var err error
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.signalDone()
		err = m.conn.Close() // unblocks the reader
		<-m.readerEnd
		m.drainBacklog()
		m.releaseHeld()
	})
	return err
}

// drainBacklog releases the datagrams left in the accept backlog.
func (m *Mux) drainBacklog() {
	for {
		select {
		case d := <-m.backlog: // a nil backlog never receives
			d.Release()
		default:
			return
		}
	}
}

// signalDone closes m.done once.
func (m *Mux) signalDone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.done:
	default:
		close(m.done)
	}
}

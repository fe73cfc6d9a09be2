package interop

import (
	"context"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// RelayConfig says what a Relay does to the datagrams it forwards. Every
// random choice comes from one generator seeded with Seed.
type RelayConfig struct {
	Seed    uint64
	Loss    float64 // probability that a datagram is dropped, each way
	Corrupt float64 // probability that a datagram has one byte flipped, each way

	// After BlackholeAfter bytes from the server, everything is dropped,
	// both ways, for BlackholeFor. Zero means never.
	BlackholeAfter int64
	BlackholeFor   time.Duration

	// After RebindAfter bytes from the server, the relay moves each
	// client's traffic to the server onto a new source port and closes
	// the old one (a NAT rebinding, RFC 9000, Section 9.3). Zero means
	// never.
	RebindAfter int64

	// DropClientHandshake drops the first that many client datagrams
	// that carry a Handshake packet, which delays the server's address
	// validation (RFC 9000, Section 8.1).
	DropClientHandshake int

	// OnlyHandshake limits Loss and Corrupt to datagrams carrying long
	// header packets.
	OnlyHandshake bool
}

// DirStats count one direction's datagrams.
type DirStats struct {
	Datagrams, Bytes   int64 // received by the relay
	Dropped, Corrupted int64
	Packets            map[PacketType]int64 // by type, of datagrams received
	Versions           map[uint32]int64     // long header packets by version
	// The version of the first and last long header packets, and how
	// many times it changed from one such packet to the next.
	FirstVersion, LastVersion uint32
	VersionChanges            int
}

// RelayStats are what a Relay saw.
type RelayStats struct {
	Up, Down DirStats         // client to server, server to client
	Versions map[uint32]int64 // long header packets by version, both ways

	// Amplification, per client address, until the client's first
	// Handshake packet reaches the server, which validates its address
	// (RFC 9000, Section 8.1): the worst server-to-client over
	// client-to-server byte ratio seen after a server datagram, and how
	// many server datagrams left the ratio above 3.
	MaxAmplification        float64
	AmplificationViolations int
	PreValidationServer     int64    // largest server byte count before validation
	FirstViolation          [2]int64 // client and server bytes at the last datagram over 3x

	Blackholes        int   // blackhole windows that happened
	DownAfterBlackout int64 // server bytes forwarded after a blackhole ended
	Rebinds           int   // rebindings done
	DownAfterRebind   int64 // server bytes received on a rebound port

	// DownByClient counts the server bytes forwarded to each client
	// address, in the order the relay first heard from them: a client
	// that migrates (RFC 9000, Section 9.2) shows up as a new address.
	DownByClient []int64
}

// Relay forwards UDP between clients and one server, between which it
// sits: clients send to Addr, and the relay sends on to the server from a
// socket of its own per client.
type Relay struct {
	front  *net.UDPConn
	server *net.UDPAddr
	conf   RelayConfig

	mu                sync.Mutex
	rng               *rand.Rand
	clients           map[string]*relayClient
	stats             RelayStats
	downBytes         int64
	blackholeUntil    time.Time
	blackholeDone     bool
	rebound           bool
	droppedHandshakes int
	closed            bool
	changed           chan struct{} // closed and replaced after each datagram

	wg sync.WaitGroup
}

type relayClient struct {
	index         int // in RelayStats.DownByClient
	addr          *net.UDPAddr
	up            *net.UDPConn
	validated     bool
	firstDCID     string // the DCID of the client's first Initial
	usesServerCID bool   // the client now sends to a connection ID the server chose
	preUp         int64  // client bytes forwarded before validation
	preDown       int64  // server bytes received before validation
	rebound       bool   // up is a rebound socket
}

// NewRelay starts a relay on network's loopback in front of server.
func NewRelay(network string, server *net.UDPAddr, conf RelayConfig) (*Relay, error) {
	front, err := net.ListenUDP(network, &net.UDPAddr{IP: server.IP})
	if err != nil {
		return nil, err
	}
	r := &Relay{
		front:   front,
		server:  server,
		conf:    conf,
		rng:     rand.New(rand.NewPCG(conf.Seed, conf.Seed^0x9e3779b97f4a7c15)),
		clients: make(map[string]*relayClient),
		changed: make(chan struct{}),
	}
	r.stats.Up.Packets = make(map[PacketType]int64)
	r.stats.Down.Packets = make(map[PacketType]int64)
	r.stats.Up.Versions = make(map[uint32]int64)
	r.stats.Down.Versions = make(map[uint32]int64)
	r.stats.Versions = make(map[uint32]int64)
	r.wg.Add(1)
	go r.readFront()
	return r, nil
}

// Addr is where clients send.
func (r *Relay) Addr() *net.UDPAddr { return r.front.LocalAddr().(*net.UDPAddr) }

// Stats returns a copy of what the relay saw so far.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Up.Packets = cloneMap(s.Up.Packets)
	s.Down.Packets = cloneMap(s.Down.Packets)
	s.Up.Versions = cloneMap(s.Up.Versions)
	s.Down.Versions = cloneMap(s.Down.Versions)
	s.DownByClient = append([]int64(nil), s.DownByClient...)
	s.Versions = cloneMap(s.Versions)
	return s
}

// Wait waits until cond holds for the relay's statistics (checked after
// every datagram) or ctx ends, and reports whether cond held.
func (r *Relay) Wait(ctx context.Context, cond func(RelayStats) bool) bool {
	for {
		r.mu.Lock()
		ch := r.changed
		r.mu.Unlock()
		if cond(r.Stats()) {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return cond(r.Stats())
		}
	}
}

func cloneMap[K comparable](m map[K]int64) map[K]int64 {
	out := make(map[K]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Close stops the relay and waits for its goroutines.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	err := r.front.Close()
	for _, c := range r.clients {
		c.up.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) readFront() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, from, err := r.front.ReadFromUDP(buf)
		if err != nil {
			return
		}
		r.mu.Lock()
		c, err := r.client(from)
		if err != nil {
			r.mu.Unlock()
			continue
		}
		out := r.process(&r.stats.Up, buf[:n], c, true)
		up := c.up
		r.mu.Unlock()
		if out != nil {
			up.WriteToUDP(out, r.server)
		}
	}
}

// client returns the state for a client address, making it and its
// socket toward the server on first sight. r.mu is held.
func (r *Relay) client(from *net.UDPAddr) (*relayClient, error) {
	key := from.String()
	if c, ok := r.clients[key]; ok {
		return c, nil
	}
	if r.closed {
		return nil, net.ErrClosed
	}
	up, err := r.listenUp()
	if err != nil {
		return nil, err
	}
	c := &relayClient{index: len(r.stats.DownByClient), addr: from, up: up}
	r.stats.DownByClient = append(r.stats.DownByClient, 0)
	r.clients[key] = c
	r.startUp(c, up)
	return c, nil
}

func (r *Relay) listenUp() (*net.UDPConn, error) {
	network := "udp4"
	if r.server.IP.To4() == nil {
		network = "udp6"
	}
	return net.ListenUDP(network, &net.UDPAddr{IP: r.front.LocalAddr().(*net.UDPAddr).IP})
}

func (r *Relay) startUp(c *relayClient, up *net.UDPConn) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := up.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.mu.Lock()
			if c.up != up { // a port the relay moved away from
				r.mu.Unlock()
				continue
			}
			if c.rebound {
				r.stats.DownAfterRebind += int64(n)
			}
			out := r.process(&r.stats.Down, buf[:n], c, false)
			r.maybeRebind()
			r.mu.Unlock()
			if out != nil {
				r.front.WriteToUDP(out, c.addr)
			}
		}
	}()
}

// maybeRebind moves every client onto a new port toward the server once
// enough server bytes went by. r.mu is held.
func (r *Relay) maybeRebind() {
	if r.conf.RebindAfter == 0 || r.rebound || r.downBytes < r.conf.RebindAfter || r.closed {
		return
	}
	r.rebound = true
	for _, c := range r.clients {
		up, err := r.listenUp()
		if err != nil {
			continue
		}
		old := c.up
		c.up, c.rebound = up, true
		old.Close()
		r.startUp(c, up)
		r.stats.Rebinds++
	}
}

// process accounts for datagram b and returns what to forward, or nil to
// drop it. r.mu is held.
func (r *Relay) process(ds *DirStats, b []byte, c *relayClient, upward bool) []byte {
	close(r.changed)
	r.changed = make(chan struct{})
	now := time.Now()
	ds.Datagrams++
	ds.Bytes += int64(len(b))
	long, handshake := false, false
	for _, p := range ParseDatagram(b) {
		if upward && p.Type == PacketInitial {
			// RFC 9000, Section 8.1: a server may also consider the
			// client's address validated once the client uses a
			// connection ID the server chose (of at least 64 bits).
			switch {
			case c.firstDCID == "":
				c.firstDCID = p.DstConnID
			case p.DstConnID != c.firstDCID && len(p.DstConnID) >= 8:
				c.usesServerCID = true
			}
		}
		ds.Packets[p.Type]++
		if p.Version != 0 {
			switch {
			case len(ds.Versions) == 0:
				ds.FirstVersion = p.Version
			case p.Version != ds.LastVersion:
				ds.VersionChanges++
			}
			ds.LastVersion = p.Version
			ds.Versions[p.Version]++
			r.stats.Versions[p.Version]++
			long = true
		}
		if p.Type == PacketHandshake {
			handshake = true
		}
	}
	if !upward {
		r.downBytes += int64(len(b))
		if r.conf.BlackholeAfter > 0 && !r.blackholeDone && r.downBytes >= r.conf.BlackholeAfter {
			r.blackholeDone = true
			r.blackholeUntil = now.Add(r.conf.BlackholeFor)
			r.stats.Blackholes++
		}
		if !c.validated {
			// RFC 9000, Section 8.1: before validation, at most three
			// times the bytes received.
			c.preDown += int64(len(b))
			r.stats.PreValidationServer = max(r.stats.PreValidationServer, c.preDown)
			if c.preUp > 0 {
				ratio := float64(c.preDown) / float64(c.preUp)
				r.stats.MaxAmplification = max(r.stats.MaxAmplification, ratio)
			}
			if c.preDown > 3*c.preUp {
				r.stats.AmplificationViolations++
				r.stats.FirstViolation = [2]int64{c.preUp, c.preDown}
			}
		}
	}
	if upward && handshake && r.droppedHandshakes < r.conf.DropClientHandshake {
		r.droppedHandshakes++
		ds.Dropped++
		return nil
	}
	if now.Before(r.blackholeUntil) {
		ds.Dropped++
		return nil
	}
	if !upward && r.blackholeDone {
		r.stats.DownAfterBlackout += int64(len(b))
	}
	if !r.conf.OnlyHandshake || long {
		if r.conf.Loss > 0 && r.rng.Float64() < r.conf.Loss {
			ds.Dropped++
			return nil
		}
		if r.conf.Corrupt > 0 && r.rng.Float64() < r.conf.Corrupt {
			ds.Corrupted++
			b[r.rng.IntN(len(b))] ^= byte(1 + r.rng.IntN(255))
		}
	}
	if !upward {
		r.stats.DownByClient[c.index] += int64(len(b))
	}
	if upward && !c.validated {
		c.preUp += int64(len(b))
		c.validated = handshake || c.usesServerCID
	}
	return b
}

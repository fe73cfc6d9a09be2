package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// impl is one stack's hq-interop client and server.
type impl struct {
	name   string
	client Client
	server func(ServerOptions) (Server, error)
}

var (
	implQuince = impl{"quince", QuinceClient, StartQuinceServer}
	implQuicGo = impl{"quic-go", QuicGoClient, StartQuicGoServer}
)

// pair is a client stack against a server stack.
type pair struct{ client, server impl }

func (p pair) name() string { return p.client.name + "-" + p.server.name }

// pairs are the combinations tested: quince on either side of quic-go, and
// quince against itself.
var pairs = []pair{{implQuince, implQuicGo}, {implQuicGo, implQuince}, {implQuince, implQuince}}

// setup describes one case's run: a server, a relay in front of it, and
// conns client connections in a row, each fetching files.
type setup struct {
	network        string // "udp4" (default) or "udp6"
	bigCert        bool
	relay          RelayConfig
	files          []File
	conns          int           // default 1
	timeout        time.Duration // per connection; default 60s
	clientVersions []uint32
	serverVersions []uint32

	retry     bool // the server validates addresses with Retry
	resume    bool // the connections share a TLS session cache
	early     bool // the client dials for 0-RTT; the server allows it
	keyCount  bool // quic-go counts key updates
	waitConns bool // wait for the server's connections to end, for their final state

	// The client's or server's Action, once actionAfter bytes went by.
	clientAction, serverAction Action
	actionAfter                int64
}

// outcome is what a run saw.
type outcome struct {
	relay   RelayStats
	server  []ConnInfo // completed handshakes, as the server saw them
	client  []ConnInfo
	elapsed time.Duration
}

var (
	certsOnce        sync.Once
	certs, bigCerts  *Certs
	errCerts         error
	ipv6LoopbackOnce sync.Once
	ipv6Loopback     bool
)

func testCerts(t *testing.T, big bool) *Certs {
	certsOnce.Do(func() {
		certs, errCerts = NewCerts(0)
		if errCerts == nil {
			// About 150 names of 55 bytes: a 9 KB certificate, beyond what
			// three times a 1200-byte Initial allows.
			bigCerts, errCerts = NewCerts(150)
		}
	})
	if errCerts != nil {
		t.Fatal(errCerts)
	}
	if big {
		return bigCerts
	}
	return certs
}

func haveIPv6Loopback() bool {
	ipv6LoopbackOnce.Do(func() {
		c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
		if err == nil {
			c.Close()
			ipv6Loopback = true
		}
	})
	return ipv6Loopback
}

// run carries out s between p's client and server.
func run(t *testing.T, p pair, s setup) (outcome, error) {
	var out outcome
	if s.network == "" {
		s.network = "udp4"
	}
	listen := "127.0.0.1:0"
	if s.network == "udp6" {
		listen = "[::1]:0"
	}
	if s.conns == 0 {
		s.conns = 1
	}
	if s.timeout == 0 {
		s.timeout = 60 * time.Second
	}
	c := testCerts(t, s.bigCert)
	srv, err := p.server.server(ServerOptions{
		Network: s.network, Addr: listen, TLS: c.ServerTLS(ALPN), Versions: s.serverVersions,
		Retry: s.retry, Allow0RTT: s.early, CountKeyUpdates: s.keyCount,
		Action: s.serverAction, ActionAfter: s.actionAfter,
	})
	if err != nil {
		return out, fmt.Errorf("%s server: %w", p.server.name, err)
	}
	defer srv.Close()
	if s.relay.Seed == 0 {
		s.relay.Seed = seedOf(t.Name())
	}
	relay, err := NewRelay(s.network, srv.Addr(), s.relay)
	if err != nil {
		return out, err
	}
	defer relay.Close()

	clientTLS := c.ClientTLS(ALPN)
	var tickets *ticketCache
	if s.resume {
		tickets = newTicketCache()
		clientTLS.ClientSessionCache = tickets
	}
	start := time.Now()
	for i := range s.conns {
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		if !s.resume {
			clientTLS = c.ClientTLS(ALPN)
		}
		opts := ClientOptions{
			Network: s.network, TLS: clientTLS, Versions: s.clientVersions,
			Early: s.early, CountKeyUpdates: s.keyCount,
			Action: s.clientAction, ActionAfter: s.actionAfter,
		}
		if tickets != nil && i == 0 {
			// The next connections resume this one: keep it open
			// until its ticket has arrived.
			opts.BeforeClose = tickets.wait
		}
		ci, err := p.client.client(ctx, relay.Addr().String(), opts, s.files)
		cancel()
		if err != nil {
			return out, fmt.Errorf("%s client, connection %d of %d: %w", p.client.name, i+1, s.conns, err)
		}
		out.client = append(out.client, ci)
	}
	out.elapsed = time.Since(start)
	if s.waitConns {
		// The client's CONNECTION_CLOSE reaches the server within a
		// round trip: the relay loses nothing in these cases.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := srv.Wait(ctx)
		cancel()
		if err != nil {
			return out, err
		}
	}
	out.relay = relay.Stats()
	out.server = srv.Conns()
	if err := srv.Err(); err != nil {
		return out, err
	}
	if len(out.server) != s.conns {
		return out, fmt.Errorf("server completed %d handshakes, want %d", len(out.server), s.conns)
	}
	for i, ci := range out.server {
		if ci.ALPN != ALPN {
			return out, fmt.Errorf("server connection %d: ALPN %q, want %q", i, ci.ALPN, ALPN)
		}
	}
	return out, nil
}

// A caseSpec is one row of the matrix.
type caseSpec struct {
	name string
	// na returns why the case does not apply to p, or "".
	na func(p pair) string
	// check runs the case and returns figures for the matrix or an error.
	check func(t *testing.T, p pair) (string, error)
}

const (
	kB = 1 << 10
	mB = 1 << 20
)

func transferFiles(prefix string) []File {
	return []File{NewFile(prefix+"-1k", kB), NewFile(prefix+"-1m", mB), NewFile(prefix+"-10m", 10*mB)}
}

func oneFile(name string) []File { return []File{NewFile(name, kB)} }

func mbps(bytes int64, d time.Duration) string {
	return fmt.Sprintf("%.1f MB/s", float64(bytes)/d.Seconds()/1e6)
}

// always marks a case not applicable to every pair, for a reason.
func always(reason string) func(pair) string { return func(pair) string { return reason } }

var cases = []caseSpec{
	{name: "handshake", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: oneFile("handshake")})
		if err != nil {
			return "", err
		}
		r := o.relay
		if r.Up.Packets[PacketInitial] == 0 || r.Down.Packets[PacketInitial] == 0 ||
			r.Up.Packets[PacketHandshake] == 0 || r.Down.Packets[PacketHandshake] == 0 {
			return "", fmt.Errorf("relay saw no Initial or Handshake one way: up %v down %v", r.Up.Packets, r.Down.Packets)
		}
		if o.client[0].Version != version1 || r.Versions[version1] == 0 || len(r.Versions) != 1 {
			return "", fmt.Errorf("version %#x, long header versions %v; want version 1 only", o.client[0].Version, r.Versions)
		}
		return "", nil
	}},
	{name: "transfer", check: func(t *testing.T, p pair) (string, error) {
		return checkTransfer(t, p, setup{files: transferFiles("transfer")})
	}},
	{name: "multiplexing", check: func(t *testing.T, p pair) (string, error) {
		var files []File
		for i := range 1000 {
			files = append(files, NewFile(fmt.Sprintf("mux-%04d", i), 32))
		}
		o, err := run(t, p, setup{files: files})
		if err != nil {
			return "", err
		}
		// Every file on one connection: one handshake, and a stream each
		// beyond the initial limit of 100 (MAX_STREAMS was needed).
		if len(o.server) != 1 {
			return "", fmt.Errorf("server saw %d connections, want 1", len(o.server))
		}
		return fmt.Sprintf("1000 streams in %s", o.elapsed.Round(time.Millisecond)), nil
	}},
	{name: "handshakeloss", check: func(t *testing.T, p pair) (string, error) {
		return checkLossy(t, p, setup{files: oneFile("hsloss"), conns: 50, timeout: 30 * time.Second,
			relay: RelayConfig{Loss: 0.30}}, false)
	}},
	{name: "transferloss", check: func(t *testing.T, p pair) (string, error) {
		return checkLossy(t, p, setup{files: []File{NewFile("trloss", 10*mB)}, timeout: 120 * time.Second,
			relay: RelayConfig{Loss: 0.02}}, false)
	}},
	{name: "handshakecorruption", check: func(t *testing.T, p pair) (string, error) {
		return checkLossy(t, p, setup{files: oneFile("hscorrupt"), conns: 50, timeout: 30 * time.Second,
			relay: RelayConfig{Corrupt: 0.30}}, true)
	}},
	{name: "transfercorruption", check: func(t *testing.T, p pair) (string, error) {
		return checkLossy(t, p, setup{files: []File{NewFile("trcorrupt", 10*mB)}, timeout: 120 * time.Second,
			relay: RelayConfig{Corrupt: 0.02}}, true)
	}},
	{name: "blackhole", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: []File{NewFile("blackhole", 10*mB)}, timeout: 120 * time.Second,
			relay: RelayConfig{BlackholeAfter: 2 * mB, BlackholeFor: 2 * time.Second}})
		if err != nil {
			return "", err
		}
		r := o.relay
		if r.Blackholes != 1 || r.DownAfterBlackout < 5*mB {
			return "", fmt.Errorf("blackholes %d, server bytes after it %d; want 1 and the rest of the file", r.Blackholes, r.DownAfterBlackout)
		}
		return fmt.Sprintf("%d datagrams dropped, done in %s", r.Up.Dropped+r.Down.Dropped, o.elapsed.Round(100*time.Millisecond)), nil
	}},
	{name: "amplificationlimit", check: func(t *testing.T, p pair) (string, error) {
		// The client's first two Handshake datagrams are lost, so the
		// server waits longer for validation with a flight three times
		// too big for the client's first Initial.
		o, err := run(t, p, setup{files: oneFile("amplification"), bigCert: true, relay: RelayConfig{DropClientHandshake: 2}})
		if err != nil {
			return "", err
		}
		r := o.relay
		if r.AmplificationViolations > 0 {
			err := fmt.Errorf("server sent %.2f times the client's bytes before validation (%d datagrams over 3x; %d B after %d B from the client)",
				r.MaxAmplification, r.AmplificationViolations, r.FirstViolation[1], r.FirstViolation[0])
			if p.server.name != "quince" {
				return "", errPeerFault{p.server.name, err}
			}
			return "", err
		}
		if r.PreValidationServer <= 3*1200 {
			return "", fmt.Errorf("server sent only %d bytes before validation; the certificate chain did not test the limit", r.PreValidationServer)
		}
		return fmt.Sprintf("max %.2fx, %d B before validation", r.MaxAmplification, r.PreValidationServer), nil
	}},
	{name: "rebinding", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: []File{NewFile("rebind", 10*mB)}, timeout: 120 * time.Second,
			relay: RelayConfig{RebindAfter: 2 * mB}})
		if err != nil {
			return "", err
		}
		r := o.relay
		if r.Rebinds != 1 || r.DownAfterRebind < 5*mB {
			return "", fmt.Errorf("rebinds %d, server bytes to the new port %d; want 1 and the rest of the file", r.Rebinds, r.DownAfterRebind)
		}
		return fmt.Sprintf("%d B to the new port", r.DownAfterRebind), nil
	}},
	{name: "ipv6", na: func(pair) string {
		if !haveIPv6Loopback() {
			return "no IPv6 loopback (::1 cannot be bound)"
		}
		return ""
	}, check: func(t *testing.T, p pair) (string, error) {
		return checkTransfer(t, p, setup{network: "udp6", files: transferFiles("ipv6")})
	}},
	{name: "v2", check: func(t *testing.T, p pair) (string, error) {
		// The client offers only version 2 (RFC 9369); the server speaks
		// both. quince has no compatible version negotiation (RFC 9368)
		// from a version 1 first flight, so this is v2 from the start.
		o, err := run(t, p, setup{files: oneFile("v2"), clientVersions: []uint32{version2}, serverVersions: []uint32{version1, version2}})
		if err != nil {
			return "", err
		}
		r := o.relay
		if o.client[0].Version != version2 || o.server[0].Version != version2 {
			return "", fmt.Errorf("client version %#x, server %#x; want v2", o.client[0].Version, o.server[0].Version)
		}
		if r.Versions[version2] == 0 || r.Versions[version1] != 0 {
			return "", fmt.Errorf("long header versions %v; want v2 only", r.Versions)
		}
		return fmt.Sprintf("%d v2 long headers; v2 offered first, not negotiated from v1", r.Versions[version2]), nil
	}},
	{name: "v2upgrade", check: func(t *testing.T, p pair) (string, error) {
		// The client offers version 1 first and lists version 2 in its
		// version_information; the server prefers version 2 and upgrades
		// the connection in its first flight (RFC 9368, Section 2.3;
		// RFC 9369).
		o, err := run(t, p, setup{files: oneFile("v2up"), clientVersions: []uint32{version1, version2}, serverVersions: []uint32{version2, version1}})
		if err != nil {
			return "", err
		}
		r := o.relay
		cv, sv := o.client[0].Version, o.server[0].Version
		if cv == version1 && sv == version1 && r.Down.Versions[version2] == 0 && (p.client.name == "quic-go" || p.server.name == "quic-go") {
			return "", errNotApplicable("quic-go v0.65.0 has no compatible version negotiation (RFC 9368): no version_information, no upgrade; the connection completed in v1")
		}
		if cv != version2 || sv != version2 {
			return "", fmt.Errorf("client version %#x, server %#x; want v2", cv, sv)
		}
		// RFC 9368, Section 2.3: when the client's first flight spans
		// several packets (crypto/tls's ClientHello fills two), the
		// server may acknowledge the first in version 1 and switch to
		// version 2 later.
		up, down := r.Up, r.Down
		if up.FirstVersion != version1 || up.VersionChanges != 1 || up.LastVersion != version2 ||
			down.VersionChanges > 1 || down.LastVersion != version2 || down.Versions[version1] > up.Versions[version1] {
			return "", fmt.Errorf("client long headers %v (first %#x, %d changes), server's %v (first %#x, %d changes); want v1 then v2 from the client, v2 from the server after at most an acknowledgement of the v1 first flight",
				up.Versions, up.FirstVersion, up.VersionChanges, down.Versions, down.FirstVersion, down.VersionChanges)
		}
		return fmt.Sprintf("client: %d v1 long headers, then %d v2; server: %d v1 (acknowledging the first flight), then %d v2",
			up.Versions[version1], up.Versions[version2], down.Versions[version1], down.Versions[version2]), nil
	}},
	{name: "retry", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: oneFile("retry"), retry: true})
		if err != nil {
			return "", err
		}
		r := o.relay
		if r.Down.Packets[PacketRetry] == 0 {
			return "", fmt.Errorf("relay saw no Retry packet: %v", r.Down.Packets)
		}
		// quince reports the Retry on either side; quic-go does not say.
		if p.client.name == "quince" && !o.client[0].Retried {
			return "", fmt.Errorf("quince client: ConnectionState().Retried is false after a Retry")
		}
		if p.server.name == "quince" && !o.server[0].Retried {
			return "", fmt.Errorf("quince server: ConnectionState().Retried is false after a Retry")
		}
		return fmt.Sprintf("%d Retry packets at the relay, then the handshake", r.Down.Packets[PacketRetry]), nil
	}},
	{name: "resumption", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: oneFile("resume"), conns: 2, resume: true})
		if err != nil {
			return "", err
		}
		if o.client[0].Resumed || o.server[0].Resumed {
			return "", fmt.Errorf("first connection resumed (client %v, server %v)", o.client[0].Resumed, o.server[0].Resumed)
		}
		if !o.client[1].Resumed || !o.server[1].Resumed {
			return "", fmt.Errorf("second connection: client resumed %v, server %v; want both", o.client[1].Resumed, o.server[1].Resumed)
		}
		return "second connection resumed, as both sides report", nil
	}},
	{name: "zerortt", check: func(t *testing.T, p pair) (string, error) {
		o, err := run(t, p, setup{files: oneFile("0rtt"), conns: 2, resume: true, early: true})
		if err != nil {
			return "", err
		}
		r := o.relay
		if o.client[0].EarlyData || o.server[0].EarlyData {
			return "", fmt.Errorf("first connection used 0-RTT without a ticket")
		}
		if !o.client[1].Resumed || !o.server[1].Resumed {
			return "", fmt.Errorf("second connection: client resumed %v, server %v; want both", o.client[1].Resumed, o.server[1].Resumed)
		}
		if r.Up.Packets[Packet0RTT] == 0 {
			return "", fmt.Errorf("relay saw no 0-RTT packet from the client: %v", r.Up.Packets)
		}
		if !o.client[1].EarlyData || !o.server[1].EarlyData {
			return "", fmt.Errorf("second connection: 0-RTT accepted says client %v, server %v; want both", o.client[1].EarlyData, o.server[1].EarlyData)
		}
		return fmt.Sprintf("%d 0-RTT packets at the relay, accepted", r.Up.Packets[Packet0RTT]), nil
	}},
	{name: "keyupdate", check: func(t *testing.T, p pair) (string, error) {
		// quince starts the update: the client if it is quince (quic-go's
		// client cannot be asked to), else the server. quic-go updates
		// on its own once, after 100 packets, so a quic-go peer's count
		// of updates started by quince is what proves it.
		s := setup{files: []File{NewFile("keyupdate", 10*mB)}, timeout: 120 * time.Second,
			keyCount: true, waitConns: true, actionAfter: 2 * mB}
		initiator := "client"
		if p.client.name == "quince" {
			s.clientAction = ActionKeyUpdate
		} else {
			s.serverAction, initiator = ActionKeyUpdate, "server"
		}
		o, err := run(t, p, s)
		if err != nil {
			return "", err
		}
		starter, peer, peerName := o.client[0], o.server[0], p.server.name
		if initiator == "server" {
			starter, peer, peerName = o.server[0], o.client[0], p.client.name
		}
		if !starter.ActionDone || starter.KeyUpdates == 0 {
			return "", fmt.Errorf("quince %s: UpdateKeys done %v, key updates %d", initiator, starter.ActionDone, starter.KeyUpdates)
		}
		seen := peer.PeerKeyUpdates // quic-go: updates its peer started
		if peerName == "quince" {
			seen = peer.KeyUpdates
		}
		if seen < 1 {
			return "", fmt.Errorf("%s %s saw no key update by its peer (%d updates in all)", peerName, map[string]string{"client": "server", "server": "client"}[initiator], peer.KeyUpdates)
		}
		return fmt.Sprintf("quince %s updated keys after 2 MB; %s counted %d by its peer", initiator, peerName, seen), nil
	}},
	{name: "chacha20", na: always("crypto/tls (quince and quic-go) cannot be forced to ChaCha20-Poly1305; see the ngtcp2 column")},
	{name: "connectionmigration", check: func(t *testing.T, p pair) (string, error) {
		// The client moves to a new socket after 1 MB; the relay sees
		// it as a new client address, and the rest of the file must go
		// there.
		o, err := run(t, p, setup{files: []File{NewFile("migrate", 10*mB)}, timeout: 120 * time.Second,
			clientAction: ActionMigrate, actionAfter: 1 * mB})
		if err != nil {
			return "", err
		}
		r := o.relay
		if !o.client[0].ActionDone || len(r.DownByClient) != 2 {
			return "", fmt.Errorf("migration done %v, client addresses at the relay %d; want 2", o.client[0].ActionDone, len(r.DownByClient))
		}
		if r.DownByClient[1] < mB {
			return "", fmt.Errorf("server bytes to the new address %d; want the rest of the file", r.DownByClient[1])
		}
		return fmt.Sprintf("%d B to the new address", r.DownByClient[1]), nil
	}},
}

func checkTransfer(t *testing.T, p pair, s setup) (string, error) {
	o, err := run(t, p, s)
	if err != nil {
		return "", err
	}
	var total int64
	for _, f := range s.files {
		total += int64(f.Size)
	}
	if o.relay.Down.Bytes < total {
		return "", fmt.Errorf("relay carried %d bytes from the server, less than the %d in the files", o.relay.Down.Bytes, total)
	}
	return mbps(total, o.elapsed), nil
}

// checkLossy runs s and checks that the relay really did drop (or corrupt)
// datagrams both ways.
func checkLossy(t *testing.T, p pair, s setup, corrupt bool) (string, error) {
	o, err := run(t, p, s)
	if err != nil {
		return "", err
	}
	r := o.relay
	up, down, what := r.Up.Dropped, r.Down.Dropped, "dropped"
	if corrupt {
		up, down, what = r.Up.Corrupted, r.Down.Corrupted, "corrupted"
	}
	if up == 0 || down == 0 {
		return "", fmt.Errorf("relay %s %d datagrams up and %d down; want some each way", what, up, down)
	}
	return fmt.Sprintf("%d/%d %s, %s", up+down, r.Up.Datagrams+r.Down.Datagrams, what, o.elapsed.Round(100*time.Millisecond)), nil
}

func TestInterop(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range pairs {
				t.Run(p.name(), func(t *testing.T) {
					// The pairs of a case run at once: the lossy cases wait
					// on timers far more than they compute.
					t.Parallel()
					res := Result{Client: p.client.name, Server: p.server.name, Case: c.name}
					if c.na != nil {
						if reason := c.na(p); reason != "" {
							res.Status, res.Detail = NotApplicable, reason
							matrix.Add(res)
							t.Skip("not applicable: " + reason)
						}
					}
					detail, err := c.check(t, p)
					res.Detail = detail
					var pf errPeerFault
					var na errNotApplicable
					switch {
					case errors.As(err, &na):
						res.Status, res.Detail = NotApplicable, string(na)
						matrix.Add(res)
						t.Skip(err)
					case errors.As(err, &pf):
						// A fault of the other stack, not of quince: the
						// matrix shows it; the suite doesn't fail on it.
						res.Status, res.Detail = Fail, err.Error()
						t.Log(err)
					case err != nil && knownFailures[c.name+"/"+p.client.name+"-"+p.server.name] != "":
						// A quince bug that is known and open: the matrix
						// shows the failure and names it; CI keeps running
						// the case so that a fix shows up as a pass.
						res.Status = Fail
						res.Detail = "known quince bug (" + knownFailures[c.name+"/"+p.client.name+"-"+p.server.name] + "): " + err.Error()
						t.Log(res.Detail)
					case err != nil:
						res.Status, res.Detail = Fail, err.Error()
						t.Error(err)
					}
					matrix.Add(res)
				})
			}
		})
	}
}

// knownFailures lists quince bugs that make a case fail some of the time and
// are not fixed yet, by "case/client-server". Each entry says what is known.
var knownFailures = map[string]string{
	// None now. (handshakeloss and handshakecorruption quince-quince were
	// here until the PTO probes of a two-datagram flight carried both of
	// its halves.)
}

// ticketCache is a client session cache that tells when it first stores a
// session ticket.
type ticketCache struct {
	tls.ClientSessionCache
	once sync.Once
	put  chan struct{} // closed on the first Put of a session
}

func newTicketCache() *ticketCache {
	return &ticketCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{})}
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		c.once.Do(func() { close(c.put) })
	}
}

// wait waits for a ticket, for at most two seconds: a server that sends
// none fails the case's own check.
func (c *ticketCache) wait(ctx context.Context) {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.put:
	case <-t.C:
	case <-ctx.Done():
	}
}

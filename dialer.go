package quic

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
	"github.com/quince-go/quic/internal/mux"
)

// Dialer holds the options for dialing QUIC sessions. The sessions of one
// Dialer share a UDP socket per address family, opened by the first Dial
// and closed when its last session ends. A Dialer must not be copied after
// first use.
type Dialer struct {
	// TLSConfig must list the application protocols in NextProtos. If
	// ServerName is empty, the host of the dialed address is used.
	TLSConfig *tls.Config
	// Config may be nil.
	Config *Config
	// LocalAddr is the local UDP address to send from; nil picks one.
	LocalAddr *net.UDPAddr

	mu    sync.Mutex
	socks map[string]*dialSocket // by network, "udp4" or "udp6"
}

// dialSocket is a Dialer's socket and how many sessions use it.
type dialSocket struct {
	m    *mux.Mux
	refs int
}

// Dial dials address with tlsConf and conf on a socket of its own; see
// Dialer.DialContext.
func Dial(ctx context.Context, network, address string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	d := &Dialer{TLSConfig: tlsConf, Config: conf}
	return d.DialContext(ctx, network, address)
}

// DialContext opens a session to address ("host:port") over network
// ("udp", "udp4" or "udp6") and returns it once the handshake has
// completed. If ctx ends first, the attempt is abandoned and ctx's error
// returned.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (*Session, error) {
	return d.dial(ctx, network, address, false)
}

// DialEarly dials as Dial does, with early data: see Dialer.DialEarlyContext.
func DialEarly(ctx context.Context, network, address string, tlsConf *tls.Config, conf *Config) (*Session, error) {
	d := &Dialer{TLSConfig: tlsConf, Config: conf}
	return d.DialEarlyContext(ctx, network, address)
}

// DialEarlyContext opens a session as DialContext does, but returns it
// before the handshake completes when the session may send 0-RTT data
// (RFC 9001, Section 4.6): Config.Allow0RTT is set and the TLS session
// resumes one from TLSConfig.ClientSessionCache whose ticket allows early
// data. Streams opened and written then go out in 0-RTT packets; read the
// Config.Allow0RTT note on replay. If the server rejects the early data,
// it is sent again once the handshake completes. Otherwise DialEarlyContext
// waits for the handshake as DialContext does. HandshakeComplete tells
// when it completed, and ConnectionState then whether the early data was
// accepted.
func (d *Dialer) DialEarlyContext(ctx context.Context, network, address string) (*Session, error) {
	return d.dial(ctx, network, address, true)
}

func (d *Dialer) dial(ctx context.Context, network, address string, early bool) (*Session, error) {
	if d.TLSConfig == nil {
		return nil, errNoTLSConfig
	}
	peer, host, err := resolveUDP(ctx, network, address)
	if err != nil {
		return nil, err
	}
	tlsConf := d.TLSConfig
	if tlsConf.ServerName == "" {
		tlsConf = tlsConf.Clone()
		tlsConf.ServerName = host
	}
	// Use a socket of the peer's address family, so that replies come from
	// the very address the core sends to (no IPv4-mapped IPv6 forms).
	network = "udp6"
	if peer.Addr().Is4() {
		network = "udp4"
	}
	m, release, err := d.socket(network)
	if err != nil {
		return nil, err
	}
	return dialSession(ctx, m, release, nil, tlsConf, d.Config, peer, early)
}

// dialSession runs the handshake of a client session to peer on m and
// returns the session once it completed. release, if not nil, is called
// when the session ends or the dial fails; l, if not nil, is the Listener
// whose socket m is, which then tracks the session.
func dialSession(ctx context.Context, m *mux.Mux, release func(), l *Listener, tlsConf *tls.Config, conf *Config, peer netip.AddrPort, early bool) (*Session, error) {
	fail := func(err error) (*Session, error) {
		if release != nil {
			release()
		}
		return nil, err
	}
	scid := make([]byte, core.ConnIDLen)
	rand.Read(scid)
	cfg := conf.coreConfig(tlsConf, m.StatelessResetKey())
	// The first Destination Connection ID, chosen here to name the
	// session's trace and logs (RFC 9000, Section 7.2).
	dcid := make([]byte, 8)
	rand.Read(dcid)
	opts := core.ClientOptions{PeerAddr: peer, DstConnID: dcid, SrcConnID: scid}
	trace := conf.trace(cfg, true, dcid)
	store := conf.tokenStore()
	if store != nil {
		v := Version1
		if vs := conf.versions(); len(vs) > 0 {
			v = vs[0]
		}
		opts.Token = store.Pop(tokenKey(tlsConf.ServerName, peer, v))
	}
	c, err := core.NewClient(cfg, opts, time.Now())
	if err != nil {
		if trace != nil {
			trace.Close()
		}
		return fail(err)
	}
	s := newSession(m, c, l, conf)
	s.observed(dcid, trace)
	s.release = release
	s.tokens = store
	s.serverName = tlsConf.ServerName
	if err := s.register(scid); err != nil {
		c.CloseWithTransportError(wire.NoError, "", time.Now()) // ends its TLS
		if l != nil && errors.Is(err, mux.ErrClosed) {
			err = ErrListenerClosed
		}
		return fail(err)
	}
	if l == nil {
		go s.run(nil)
	} else if !l.startDialed(s) {
		c.CloseWithTransportError(wire.NoError, "", time.Now())
		m.Unregister(scid)
		return fail(ErrListenerClosed)
	}
	if early {
		allowed := false
		if s.do(ctx, func(c *core.Conn) { allowed = c.EarlyDataAllowed() }) == nil && allowed {
			return s, nil
		}
	}
	select {
	case <-s.handshakeDone:
		return s, nil
	case <-s.closed:
		err = s.err
	case <-ctx.Done():
		s.CloseWithError(0, "")
		err = ctx.Err()
	}
	// Skip the closing period: nothing more is expected of this peer.
	close(s.abort)
	<-s.loopDone
	return nil, err
}

// tokenKey names a server in a TokenStore: its TLS name, its address, and
// the QUIC version, since a token is good only in the version of the
// session that received it (RFC 9369, Section 5).
func tokenKey(serverName string, peer netip.AddrPort, version uint32) string {
	return serverName + " " + peer.String() + " " + strconv.FormatUint(uint64(version), 16)
}

// socket returns the Dialer's socket for network, opening it if need be,
// and a func that drops the caller's hold on it; the last one closes it.
func (d *Dialer) socket(network string) (*mux.Mux, func(), error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ds := d.socks[network]
	if ds != nil && ds.m.Err() != nil {
		ds = nil // its socket failed; its sessions end, new ones get another
	}
	if ds == nil {
		uc, err := net.ListenUDP(network, d.LocalAddr)
		if err != nil {
			return nil, nil, err
		}
		m, err := mux.New(uc, mux.Config{Versions: d.Config.versions()})
		if err != nil {
			uc.Close()
			return nil, nil, err
		}
		ds = &dialSocket{m: m}
		if d.socks == nil {
			d.socks = make(map[string]*dialSocket)
		}
		d.socks[network] = ds
	}
	ds.refs++
	var once sync.Once
	release := func() {
		once.Do(func() {
			d.mu.Lock()
			ds.refs--
			last := ds.refs == 0
			if last && d.socks[network] == ds {
				delete(d.socks, network)
			}
			d.mu.Unlock()
			if last {
				ds.m.Close()
			}
		})
	}
	return ds.m, release, nil
}

var errBadNetwork = errors.New("quic: network must be udp, udp4 or udp6")

// resolveUDP resolves address for network, returning the peer's address
// and the host part of address.
func resolveUDP(ctx context.Context, network, address string) (netip.AddrPort, string, error) {
	ipNet := ""
	switch network {
	case "udp":
		ipNet = "ip"
	case "udp4":
		ipNet = "ip4"
	case "udp6":
		ipNet = "ip6"
	default:
		return netip.AddrPort{}, "", errBadNetwork
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, network, portStr)
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), uint16(port)), host, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, ipNet, host)
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, "", &net.AddrError{Err: "no addresses", Addr: host}
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(port)), host, nil
}

package quic

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
)

// StreamDialer dials bidirectional streams and presents each as a net.Conn
// (a *Stream), the client side of StreamListener. It keeps one session per
// network and address, dialed on first use and shared by the streams to
// that address; a session that has ended is replaced at the next dial. Its
// DialContext has the signature of net.Dialer.DialContext, so that, for
// instance, an http.Transport whose DialContext is set to it runs HTTP/1.1
// over quince unchanged, one stream per HTTP connection.
//
// The zero value dials with a Dialer that uses TLSConfig and Config. A
// StreamDialer must not be copied after first use, and its fields must not
// change after it. Its methods are safe for concurrent use.
type StreamDialer struct {
	// TLSConfig and Config are those of the sessions dialed, as for Dialer.
	TLSConfig *tls.Config
	Config    *Config

	// DialSession, if not nil, opens the sessions instead, for instance
	// with a Listener's Dial so that one socket accepts and dials. It is
	// given the network as DialContext maps it ("udp", "udp4" or "udp6").
	DialSession func(ctx context.Context, network, address string) (*Session, error)

	mu     sync.Mutex
	dialer *Dialer
	pool   map[string]*pooledSession // by network and address
	closed bool
}

// pooledSession is a StreamDialer's session to one address, or the dial
// of it in progress.
type pooledSession struct {
	ready chan struct{} // closed when the dial has ended; s or err is set
	s     *Session
	err   error
}

// errStreamDialerClosed is returned by a closed StreamDialer.
var errStreamDialerClosed = fmt.Errorf("quic: stream dialer closed: %w", net.ErrClosed)

// DialContext opens a bidirectional stream to address ("host:port") on
// the StreamDialer's session to it, dialing the session first if there is
// none or it has ended. network is "udp", "udp4" or "udp6"; "tcp", "tcp4"
// and "tcp6" are taken to mean those, for callers such as http.Transport
// that ask for TCP. It waits while the session's stream limit is reached,
// until ctx ends. A dial to an address that many callers ask for at once
// is made once; each caller's ctx bounds only its own wait.
func (d *StreamDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "udp":
		network = "udp"
	case "tcp4", "udp4":
		network = "udp4"
	case "tcp6", "udp6":
		network = "udp6"
	default:
		return nil, errBadNetwork
	}
	key := network + " " + address
	// A session may end between the lookup and OpenStream: dial once more.
	for attempt := 0; ; attempt++ {
		p, err := d.session(ctx, key, network, address)
		if err != nil {
			return nil, err
		}
		st, err := p.s.OpenStream(ctx)
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil || p.s.Context().Err() == nil || attempt == 1 {
			return nil, err
		}
		d.forget(key, p)
	}
}

// session returns the live pooled session for key, dialing it if need be.
func (d *StreamDialer) session(ctx context.Context, key, network, address string) (*pooledSession, error) {
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return nil, errStreamDialerClosed
		}
		p := d.pool[key]
		if p == nil {
			p = &pooledSession{ready: make(chan struct{})}
			if d.pool == nil {
				d.pool = make(map[string]*pooledSession)
			}
			d.pool[key] = p
			d.mu.Unlock()
			d.dial(ctx, p, key, network, address)
		} else {
			d.mu.Unlock()
		}
		select {
		case <-p.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		switch {
		case p.err != nil:
			d.forget(key, p)
			// Another caller's dial may have failed by its own ctx.
			if isContextErr(p.err) && ctx.Err() == nil {
				continue
			}
			return nil, p.err
		case p.s.Context().Err() != nil:
			d.forget(key, p) // ended since: dial anew
			continue
		}
		return p, nil
	}
}

// dial dials p's session and marks p ready.
func (d *StreamDialer) dial(ctx context.Context, p *pooledSession, key, network, address string) {
	defer close(p.ready)
	dialSession := d.DialSession
	if dialSession == nil {
		d.mu.Lock()
		if d.dialer == nil {
			d.dialer = &Dialer{TLSConfig: d.TLSConfig, Config: d.Config}
		}
		dialSession = d.dialer.DialContext
		d.mu.Unlock()
	}
	p.s, p.err = dialSession(ctx, network, address)
	if p.err != nil {
		return
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		// Close ran during the dial and did not see the session.
		p.s.Close()
		p.s, p.err = nil, errStreamDialerClosed
	}
}

// forget drops p from the pool if it is still key's entry.
func (d *StreamDialer) forget(key string, p *pooledSession) {
	d.mu.Lock()
	if d.pool[key] == p {
		delete(d.pool, key)
	}
	d.mu.Unlock()
}

// Close closes every session of the StreamDialer, with application error
// code 0, and makes later dials fail with an error matching net.ErrClosed.
// Dials in progress are closed as they complete.
func (d *StreamDialer) Close() error {
	d.mu.Lock()
	d.closed = true
	pool := d.pool
	d.pool = nil
	d.mu.Unlock()
	for _, p := range pool {
		select {
		case <-p.ready:
			if p.s != nil {
				p.s.Close()
			}
		default:
		}
	}
	return nil
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

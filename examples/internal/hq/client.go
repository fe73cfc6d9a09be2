package hq

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"

	"github.com/quince-go/quic"
)

// Client fetches https:// URLs with hq-interop: one session per host and
// port, shared by the requests to it, and one stream per request. Its
// methods are safe for concurrent use.
type Client struct {
	// TLSConfig is cloned, with NextProtos set to ALPN; if its ServerName
	// is empty, each session uses its URL's host. It must not be modified
	// after the first Get.
	TLSConfig *tls.Config
	// Config may be nil.
	Config *quic.Config
	// Early dials with DialEarly: a session that resumes one from
	// TLSConfig.ClientSessionCache, with Config.Allow0RTT set, sends its
	// requests in 0-RTT packets (RFC 9001, Section 4.6).
	Early bool
	// OnSession, if set, is called once for each new session, numbered
	// from 1 in the order they were dialed.
	OnSession func(n int, s *quic.Session)

	dialer quic.Dialer
	mu     sync.Mutex
	conns  map[string]*clientConn // by host:port
	n      int
}

// clientConn is a session being dialed or dialed.
type clientConn struct {
	ready chan struct{} // closed once sess or err is set
	sess  *quic.Session
	err   error
}

// Get sends a GET request for rawURL and returns its response, whose body
// is read from the Response. ctx bounds dialing and opening the stream; the
// Response must be closed.
func (c *Client) Get(ctx context.Context, rawURL string) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s: not an https://host:port/path URL", rawURL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	sess, err := c.session(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	st, err := sess.OpenStream(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	if _, err := st.Write(AppendRequest(nil, path)); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	if err := st.CloseWrite(); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", rawURL, err)
	}
	return &Response{URL: rawURL, st: st}, nil
}

// session returns the session to addr, dialing it if there is none yet.
func (c *Client) session(ctx context.Context, addr string) (*quic.Session, error) {
	c.mu.Lock()
	if c.conns == nil {
		c.conns = make(map[string]*clientConn)
		c.dialer.TLSConfig = c.tlsConfig()
		c.dialer.Config = c.Config
	}
	cc := c.conns[addr]
	if cc != nil {
		c.mu.Unlock()
		select {
		case <-cc.ready:
			return cc.sess, cc.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	cc = &clientConn{ready: make(chan struct{})}
	c.conns[addr] = cc
	c.n++
	n := c.n
	c.mu.Unlock()

	if c.Early {
		cc.sess, cc.err = c.dialer.DialEarlyContext(ctx, "udp", addr)
	} else {
		cc.sess, cc.err = c.dialer.DialContext(ctx, "udp", addr)
	}
	close(cc.ready)
	if cc.err == nil && c.OnSession != nil {
		c.OnSession(n, cc.sess)
	}
	return cc.sess, cc.err
}

// tlsConfig returns the TLS configuration of the client's sessions.
func (c *Client) tlsConfig() *tls.Config {
	conf := &tls.Config{}
	if c.TLSConfig != nil {
		conf = c.TLSConfig.Clone()
	}
	conf.NextProtos = []string{ALPN}
	return conf
}

// Close closes every session of the client with application error code 0.
func (c *Client) Close() error {
	c.mu.Lock()
	conns := c.conns
	c.conns = nil
	c.mu.Unlock()
	for _, cc := range conns {
		<-cc.ready
		if cc.sess != nil {
			cc.sess.Close()
		}
	}
	return nil
}

// Response is the body of a response, read from its stream.
type Response struct {
	URL string
	st  *quic.Stream
}

// Read reads the body. It returns io.EOF at its end, and a *NotFoundError
// if the server reset the stream with CodeNotFound.
func (r *Response) Read(p []byte) (int, error) {
	n, err := r.st.Read(p)
	if se, ok := errors.AsType[*quic.StreamError](err); ok && se.Remote && se.ErrorCode == CodeNotFound {
		err = &NotFoundError{URL: r.URL, Err: err}
	}
	return n, err
}

// Close stops reading the body; a body not yet read to its end is abandoned
// with STOP_SENDING.
func (r *Response) Close() error { return r.st.Close() }

// NotFoundError is a request the server answered with a stream reset with
// CodeNotFound. It unwraps to the *quic.StreamError.
type NotFoundError struct {
	URL string
	Err error
}

func (e *NotFoundError) Error() string { return e.URL + ": not found (" + e.Err.Error() + ")" }
func (e *NotFoundError) Unwrap() error { return e.Err }

package interop

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"

	quicgo "github.com/quic-go/quic-go"
	quicgoh3 "github.com/quic-go/quic-go/http3"
	quic "github.com/quince-go/quic"
	quinceh3 "github.com/quince-go/quic/http3"
)

// H3Server is an HTTP/3 server on loopback running an H3Handler.
type H3Server struct {
	Addr    *net.UDPAddr
	Handler *H3Handler
	// Log holds what the server logged (quince's ErrorLog, quic-go's
	// Logger).
	Log   *syncBuffer
	close func() error
	done  chan error
}

// Close stops the server and returns the error its Serve ended with, if
// it was not the expected one for a closed server.
func (s *H3Server) Close() error {
	s.close()
	if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, quicgo.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// StartQuinceH3 serves HTTP/3 with quince's http3.Server on 127.0.0.1 with
// tlsConf, which must offer ALPN "h3".
func StartQuinceH3(tlsConf *tls.Config) (*H3Server, error) {
	l, err := quic.Listen("udp4", "127.0.0.1:0", tlsConf, nil)
	if err != nil {
		return nil, err
	}
	s := &H3Server{
		Addr: l.Addr().(*net.UDPAddr),
		Handler: NewH3Handler(func(r *http.Request) any {
			if sess, ok := quinceh3.SessionFromContext(r.Context()); ok {
				return sess
			}
			return nil
		}),
		Log:  &syncBuffer{},
		done: make(chan error, 1),
	}
	srv := &quinceh3.Server{Handler: s.Handler, ErrorLog: log.New(s.Log, "", 0)}
	s.close = srv.Close
	go func() { s.done <- srv.Serve(l) }()
	return s, nil
}

// quicgoConnKey is the request context key under which quic-go's server
// connections are stored.
type quicgoConnKey struct{}

// StartQuicGoH3 serves HTTP/3 with quic-go's http3.Server on 127.0.0.1.
func StartQuicGoH3(tlsConf *tls.Config) (*H3Server, error) {
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s := &H3Server{
		Addr: uc.LocalAddr().(*net.UDPAddr),
		Handler: NewH3Handler(func(r *http.Request) any {
			return r.Context().Value(quicgoConnKey{})
		}),
		Log:  &syncBuffer{},
		done: make(chan error, 1),
	}
	srv := &quicgoh3.Server{
		TLSConfig: quicgoh3.ConfigureTLSConfig(tlsConf),
		Handler:   s.Handler,
		ConnContext: func(ctx context.Context, c *quicgo.Conn) context.Context {
			return context.WithValue(ctx, quicgoConnKey{}, c)
		},
	}
	s.close = func() error {
		err := srv.Close()
		uc.Close()
		return err
	}
	go func() { s.done <- srv.Serve(uc) }()
	return s, nil
}

// QuinceH3Client returns an http.Client on quince's http3.Transport and a
// function that closes the transport.
func QuinceH3Client(tlsConf *tls.Config) (*http.Client, func()) {
	tr := &quinceh3.Transport{TLSClientConfig: tlsConf}
	return &http.Client{Transport: tr}, func() { tr.Close() }
}

// QuicGoH3Client returns an http.Client on quic-go's http3.Transport and a
// function that closes the transport.
func QuicGoH3Client(tlsConf *tls.Config) (*http.Client, func()) {
	tr := &quicgoh3.Transport{TLSClientConfig: tlsConf, DisableCompression: true}
	return &http.Client{Transport: tr}, func() { tr.Close() }
}

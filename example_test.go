package quic_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/quince-go/quic"
)

// Example runs an echo server and a client that sends it a line.
func Example() {
	serverTLS, clientTLS := exampleTLS()
	ctx := context.Background()

	// The server echoes every stream of every session back.
	l, err := quic.Listen("udp", "127.0.0.1:0", serverTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			s, err := l.Accept(ctx)
			if err != nil {
				return // the listener closed
			}
			go func() {
				for {
					st, err := s.AcceptStream(ctx)
					if err != nil {
						return // the session ended
					}
					go func() {
						io.Copy(st, st) // until the client's FIN
						st.Close()
					}()
				}
			}()
		}
	}()

	// The client opens a stream, sends a line and its FIN, reads the echo.
	s, err := quic.Dial(ctx, "udp", l.Addr().String(), clientTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	st, err := s.OpenStream(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := io.WriteString(st, "hello, quince\n"); err != nil {
		log.Fatal(err)
	}
	st.CloseWrite()
	reply, err := io.ReadAll(st)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", reply)
	// Output: hello, quince
}

// ExampleStreamListener serves HTTP/1.1 with net/http over QUIC streams,
// one stream per HTTP connection.
func ExampleStreamListener() {
	serverTLS, clientTLS := exampleTLS()
	ln, err := quic.ListenStreams("udp", "127.0.0.1:0", serverTLS, nil)
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", r.URL.Path)
	})}
	go srv.Serve(ln)
	defer srv.Close() // closes ln

	dialer := &quic.StreamDialer{TLSConfig: clientTLS}
	defer dialer.Close()
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/quince")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("%s %s", resp.Status, body)
	// Output: 200 OK hello from /quince
}

// exampleTLS makes a self-signed certificate for 127.0.0.1 and the TLS
// configurations of a server that uses it and a client that trusts it.
func exampleTLS() (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	const alpn = "echo"
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos:   []string{alpn},
	}
	client = &tls.Config{RootCAs: roots, NextProtos: []string{alpn}}
	return server, client
}

// Command echo is the hello world of quince: it runs a QUIC echo server on
// loopback, dials it, sends a message on a stream and prints the echo.
//
// Usage: go run ./examples/echo [-m message]
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"time"

	"github.com/quince-go/quic"
)

func main() {
	msg := flag.String("m", "hello, quince", "the `message` to send")
	flag.Parse()
	ctx := context.Background()
	serverTLS, clientTLS := tlsConfigs()

	// The server echoes each stream of each session back, until the FIN.
	l, err := quic.Listen("udp", "127.0.0.1:0", serverTLS, nil)
	check(err)
	defer l.Close()
	go func() {
		for s, err := l.Accept(ctx); err == nil; s, err = l.Accept(ctx) {
			go func() {
				for st, err := s.AcceptStream(ctx); err == nil; st, err = s.AcceptStream(ctx) {
					go func() { io.Copy(st, st); st.Close() }()
				}
			}()
		}
	}()

	// The client sends the message and its FIN, and reads the echo.
	s, err := quic.Dial(ctx, "udp", l.Addr().String(), clientTLS, nil)
	check(err)
	defer s.Close()
	st, err := s.OpenStream(ctx)
	check(err)
	_, err = io.WriteString(st, *msg)
	check(err)
	check(st.CloseWrite())
	reply, err := io.ReadAll(st)
	check(err)
	fmt.Printf("%s\n", reply)
}

// tlsConfigs returns a server with a self-signed certificate for 127.0.0.1
// and a client that trusts it, both speaking the application protocol "echo".
func tlsConfigs() (server, client *tls.Config) {
	pub, key, _ := ed25519.GenerateKey(nil) // nil: crypto/rand
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	check(err)
	cert, err := x509.ParseCertificate(der)
	check(err)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"echo"}}
	return server, &tls.Config{RootCAs: roots, NextProtos: []string{"echo"}}
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

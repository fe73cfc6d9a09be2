// Command server is a file server over QUIC that speaks two application
// protocols, chosen by each client (ALPN): HTTP/3 ("h3", RFC 9114), for
// browsers and examples/client -h3, and hq-interop (HTTP/0.9 over QUIC,
// "hq-interop"): for each stream a client opens and sends "GET /path\r\n"
// on, it sends the file's bytes and a FIN, or resets the stream with
// application error code 0x404 for a file it does not have. Both serve the
// same files, "/" being the index page.
//
// Without -www it serves built-in files made on the fly: an index and files
// named 1KB, 1MB and 100MB. Without -cert and -key it uses a self-signed
// certificate for localhost, 127.0.0.1 and ::1 made at start-up (clients need
// -insecure). It speaks QUIC versions 2 and 1 and upgrades a client that offers
// version 2 to it. It accepts 0-RTT data from clients that resume a session
// (RFC 9001, Section 4.6) unless run with -no0rtt: the hq-interop requests
// are idempotent GETs, so a replayed one does no harm.
//
// If SSLKEYLOGFILE is set, TLS secrets are appended to that file for
// Wireshark; if QLOGDIR is set, each connection writes a qlog trace (a
// .sqlog file) in that directory. Each session logs its handshake, path
// changes and close.
//
// Usage:
//
//	go run ./examples/server [-listen 127.0.0.1:4433] [-www DIR] [-cert FILE -key FILE] [-retry] [-no0rtt]
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
	"github.com/quince-go/quic/http3"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4433", "UDP `address` to listen on")
	www := flag.String("www", "", "`directory` to serve (default: built-in demo files 1KB, 1MB, 100MB)")
	certFile := flag.String("cert", "", "certificate chain `file` (PEM); default: a self-signed certificate")
	keyFile := flag.String("key", "", "private key `file` (PEM) of -cert")
	retry := flag.Bool("retry", false, "validate every client's address with a Retry (RFC 9000, Section 8.1.2)")
	no0RTT := flag.Bool("no0rtt", false, "refuse 0-RTT data (RFC 9001, Section 4.6)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: server [flags]\n\nAn hq-interop (HTTP/0.9 over QUIC) file server.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, *listen, *www, *certFile, *keyFile, *retry, !*no0RTT); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, listen, www, certFile, keyFile string, retry, allow0RTT bool) error {
	tlsConf, err := tlsConfig(certFile, keyFile)
	if err != nil {
		return err
	}
	if name := os.Getenv("SSLKEYLOGFILE"); name != "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("SSLKEYLOGFILE: %w", err)
		}
		defer f.Close()
		tlsConf.KeyLogWriter = f
		log.Warn("writing TLS secrets", "file", name)
	}
	var files fs.FS
	if www == "" {
		files = hq.DemoFS(hq.DemoSizes)
	} else {
		// An os.Root keeps requests, and symbolic links, inside www.
		root, err := os.OpenRoot(www)
		if err != nil {
			return fmt.Errorf("-www: %w", err)
		}
		defer root.Close()
		files = root.FS()
	}
	conf := serverConfig(retry, allow0RTT)
	conf.QlogDir = os.Getenv("QLOGDIR")
	conf.Logger = log
	l, err := quic.Listen("udp", listen, tlsConf, conf)
	if err != nil {
		return err
	}
	defer l.Close()
	source := www
	if source == "" {
		source = "built-in demo files"
	}
	log.Info("listening", "addr", l.Addr().String(), "alpn", tlsConf.NextProtos, "www", source, "retry", retry, "0rtt", allow0RTT)

	// SIGINT and SIGTERM close the listener, which ends Serve.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	hqSrv := &hq.Server{FS: files, Logger: log}
	h3 := &http3.Server{Handler: filesHandler(files), ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	defer h3.Close()
	if err := serve(context.Background(), l, hqSrv, h3, log); err != nil {
		return err
	}
	log.Info("shut down")
	return nil
}

// serverConfig returns the server's QUIC configuration. QUIC v2 is
// preferred: a client that lists it among its available versions is
// upgraded to it (RFC 9368, Section 2.3).
func serverConfig(retry, allow0RTT bool) *quic.Config {
	return &quic.Config{
		Versions:     []uint32{quic.Version2, quic.Version1},
		RequireRetry: retry,
		Allow0RTT:    allow0RTT,
	}
}

// tlsConfig loads certFile and keyFile or, if both are empty, makes a
// self-signed certificate.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	var cert tls.Certificate
	var err error
	switch {
	case certFile == "" && keyFile == "":
		cert, err = hq.SelfSigned("localhost", "127.0.0.1", "::1")
	case certFile == "" || keyFile == "":
		err = errors.New("-cert and -key go together")
	default:
		cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	}
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{http3.NextProtoH3, hq.ALPN},
		MinVersion:   tls.VersionTLS13,
	}, nil
}

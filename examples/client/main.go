// Command client fetches files from hq-interop servers (HTTP/0.9 over QUIC,
// ALPN "hq-interop"), such as examples/server: one stream per URL, all at
// once, over one session per host and port.
//
// Bodies go to standard output, in the order of the URLs, or with -out to
// files in a directory, named by the last element of each URL's path. On a
// terminal, standard error shows the progress of downloads that take longer
// than a second. The exit status is 1 if any download fails. If
// SSLKEYLOGFILE is set, TLS secrets are appended to that file for Wireshark.
//
// Standard error gets one line per download and, at the end, one per
// connection, such as
// "connection 1: version=v1 resumed=false key_updates=1 retry=false".
// With -keyupdate, each connection starts a key update as soon as its
// handshake is confirmed (RFC 9001, Section 6).
//
// Usage:
//
//	go run ./examples/client [-out DIR] [-insecure] [-cacert FILE] [-v2] [-keyupdate] https://host:port/path...
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
)

func main() {
	out := flag.String("out", "", "write each body to a file in `directory` (default: standard output)")
	insecure := flag.Bool("insecure", false, "do not verify the server's certificate")
	caCert := flag.String("cacert", "", "trust the CA certificates in `file` (PEM) instead of the system's")
	v2 := flag.Bool("v2", false, "offer QUIC version 2 first (RFC 9369)")
	keyUpdate := flag.Bool("keyupdate", false, "start a key update as soon as the handshake is confirmed")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: client [flags] https://host:port/path...\n\nFetches URLs with hq-interop (HTTP/0.9 over QUIC).\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), *out, *insecure, *caCert, *v2, *keyUpdate); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
}

func run(urls []string, out string, insecure bool, caCert string, v2, keyUpdate bool) error {
	names, err := fileNames(urls, out != "")
	if err != nil {
		return err
	}
	tlsConf := &tls.Config{InsecureSkipVerify: insecure}
	if caCert != "" {
		pem, err := os.ReadFile(caCert)
		if err != nil {
			return err
		}
		tlsConf.RootCAs = x509.NewCertPool()
		if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("-cacert %s: no PEM certificate", caCert)
		}
	}
	if name := os.Getenv("SSLKEYLOGFILE"); name != "" {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("SSLKEYLOGFILE: %w", err)
		}
		defer f.Close()
		tlsConf.KeyLogWriter = f
	}
	conf := &quic.Config{}
	if v2 {
		conf.Versions = []uint32{quic.Version2, quic.Version1}
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var sessMu sync.Mutex
	var sessions []*quic.Session // by number, from 1
	var updates sync.WaitGroup
	c := &hq.Client{
		TLSConfig: tlsConf,
		Config:    conf,
		OnSession: func(n int, s *quic.Session) {
			sessMu.Lock()
			for len(sessions) < n {
				sessions = append(sessions, nil)
			}
			sessions[n-1] = s
			sessMu.Unlock()
			if keyUpdate {
				updates.Go(func() { updateKeys(s) })
			}
		},
	}
	defer c.Close()
	defer func() {
		updates.Wait()
		sessMu.Lock()
		defer sessMu.Unlock()
		for i, s := range sessions {
			if s != nil {
				fmt.Fprintf(os.Stderr, "connection %d: %s\n", i+1, connectionLine(s.ConnectionState()))
			}
		}
	}()
	// An interrupt ends the sessions, and with them the downloads.
	context.AfterFunc(ctx, func() { c.Close() })

	prog := newProgress(os.Stderr)
	defer prog.stop()
	downloads := make([]*download, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		d := &download{url: u}
		downloads[i] = d
		prog.add(d)
		wg.Go(func() {
			d.resp, d.err = c.Get(ctx, u)
			if d.err != nil {
				return
			}
			switch {
			case out != "":
				d.err = d.toFile(filepath.Join(out, names[i]))
			case i == 0:
				d.err = d.copy(os.Stdout)
			default:
				// The bodies after the first wait in temporary files for
				// their turn on standard output; holding them in unread
				// streams could exhaust the connection's flow control
				// window before the first one is complete.
				d.err = d.toTemp()
			}
		})
	}
	wg.Wait()
	prog.stop()
	defer func() {
		for _, d := range downloads {
			if d.spool != nil {
				d.spool.Close()
				os.Remove(d.spool.Name())
			}
		}
	}()
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	for _, d := range downloads {
		if d.spool != nil && d.err == nil {
			if _, err := d.spool.Seek(0, io.SeekStart); err != nil {
				d.err = err
			} else if _, err := io.Copy(os.Stdout, d.spool); err != nil {
				d.err = fmt.Errorf("standard output: %w", err)
			}
		}
	}

	var errs []error
	for _, d := range downloads {
		if d.err != nil {
			errs = append(errs, d.err)
		} else {
			fmt.Fprintf(os.Stderr, "%s: %d bytes in %v\n", d.url, d.n.Load(), d.elapsed.Round(time.Millisecond))
		}
	}
	return errors.Join(errs...)
}

// fileNames checks the URLs and returns the names under -out of their
// bodies: the last element of each path, or index.html. If unique, two
// URLs may not share a name.
func fileNames(urls []string, unique bool) ([]string, error) {
	names := make([]string, len(urls))
	seen := map[string]string{}
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, err
		}
		if u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("%s: not an https://host:port/path URL", raw)
		}
		name := path.Base(u.Path)
		if name == "/" || name == "." || u.Path == "" || u.Path[len(u.Path)-1] == '/' {
			name = "index.html"
		}
		if prev, ok := seen[name]; ok && unique {
			return nil, fmt.Errorf("%s and %s would both be saved as %s", prev, raw, name)
		}
		seen[name] = raw
		names[i] = name
	}
	return names, nil
}

// connectionLine says what happened on a connection, in the form of
// "version=v1 resumed=false key_updates=1 retry=false".
func connectionLine(cs quic.ConnectionState) string {
	return fmt.Sprintf("version=%s resumed=%v key_updates=%d retry=%v",
		hq.VersionName(cs.Version), cs.Resumed, cs.KeyUpdates, cs.Retried)
}

// updateKeys starts a key update as soon as s allows it: once the
// handshake is confirmed, when the server's HANDSHAKE_DONE arrives
// (RFC 9001, Section 6.1). It gives up when s ends or after 10 seconds.
func updateKeys(s *quic.Session) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(10 * time.Second)
	for s.UpdateKeys() != nil {
		select {
		case <-tick.C:
		case <-s.Context().Done():
			return
		case <-giveUp:
			return
		}
	}
}

// Command client fetches files from hq-interop servers (HTTP/0.9 over QUIC,
// ALPN "hq-interop"), such as examples/server: one stream per URL, all at
// once, over one session per host and port. With -h3 it fetches them with
// HTTP/3 instead (ALPN "h3", through net/http and http3.Transport), and
// prints no connection lines.
//
// Bodies go to standard output, in the order of the URLs, or with -out to
// files in a directory, named by the last element of each URL's path. On a
// terminal, standard error shows the progress of downloads that take longer
// than a second. The exit status is 1 if any download fails. If
// SSLKEYLOGFILE is set, TLS secrets are appended to that file for Wireshark;
// if QLOGDIR is set, each connection writes a qlog trace (a .sqlog file)
// in that directory.
//
// Standard error gets one line per download and, at the end, one per
// connection, such as
// "connection 2: version=v1 resumed=true 0rtt=accepted key_updates=1 retry=false".
// With -keyupdate, each connection starts a key update as soon as its
// handshake is confirmed (RFC 9001, Section 6).
//
// With -resume, the first URL is fetched on a first connection and, once
// it is done, the others on a second connection that resumes the first's
// TLS session (RFC 9001, Section 4.5). -0rtt does the same and sends the
// second connection's requests in 0-RTT packets (RFC 9001, Section 4.6),
// which the server may accept or reject; rejected requests go again in
// 1-RTT packets. Both need at least two URLs.
//
// Usage:
//
//	go run ./examples/client [-out DIR] [-insecure] [-cacert FILE] [-v2] [-keyupdate] [-resume] [-0rtt] [-h3] https://host:port/path...
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

// options are the command's flags.
type options struct {
	out       string // -out
	insecure  bool
	caCert    string
	v2        bool
	keyUpdate bool
	resume    bool
	zeroRTT   bool // -0rtt
	h3        bool
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "", "write each body to a file in `directory` (default: standard output)")
	flag.BoolVar(&o.insecure, "insecure", false, "do not verify the server's certificate")
	flag.StringVar(&o.caCert, "cacert", "", "trust the CA certificates in `file` (PEM) instead of the system's")
	flag.BoolVar(&o.v2, "v2", false, "offer QUIC version 2 first (RFC 9369)")
	flag.BoolVar(&o.keyUpdate, "keyupdate", false, "start a key update as soon as the handshake is confirmed")
	flag.BoolVar(&o.resume, "resume", false, "fetch the first URL, then the others on a second connection that resumes the first's session")
	flag.BoolVar(&o.zeroRTT, "0rtt", false, "as -resume, with the second connection's requests in 0-RTT")
	flag.BoolVar(&o.h3, "h3", false, "fetch with HTTP/3 instead of hq-interop (not with -keyupdate, -resume, -0rtt)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: client [flags] https://host:port/path...\n\nFetches URLs with hq-interop (HTTP/0.9 over QUIC).\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Args(), o); err != nil {
		fmt.Fprintf(os.Stderr, "client: %v\n", err)
		os.Exit(1)
	}
}

func run(urls []string, o options) error {
	names, err := fileNames(urls, o.out != "")
	if err != nil {
		return err
	}
	twoConns := o.resume || o.zeroRTT
	if twoConns && len(urls) < 2 {
		return errors.New("-resume and -0rtt need at least two URLs")
	}
	if o.h3 && (twoConns || o.keyUpdate) {
		return errors.New("-h3 goes with neither -keyupdate, -resume nor -0rtt")
	}
	tlsConf, err := clientTLS(o)
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
	}
	var tickets *ticketCache
	if twoConns {
		tickets = &ticketCache{ClientSessionCache: tls.NewLRUClientSessionCache(8), put: make(chan struct{})}
		tlsConf.ClientSessionCache = tickets
	}
	conf := &quic.Config{Allow0RTT: o.zeroRTT, QlogDir: os.Getenv("QLOGDIR")}
	if o.v2 {
		conf.Versions = []uint32{quic.Version2, quic.Version1}
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conns := &connections{keyUpdate: o.keyUpdate}
	defer conns.report()

	prog := newProgress(os.Stderr)
	defer prog.stop()
	downloads := make([]*download, len(urls))
	for i, u := range urls {
		downloads[i] = &download{url: u}
		prog.add(downloads[i])
	}
	defer func() {
		for _, d := range downloads {
			if d.spool != nil {
				d.spool.Close()
				os.Remove(d.spool.Name())
			}
		}
	}()
	// The phases of the run: all URLs on one client or, with -resume and
	// -0rtt, the first on one and the rest on a second.
	phases := [][2]int{{0, len(urls)}}
	if twoConns {
		phases = [][2]int{{0, 1}, {1, len(urls)}}
	}
	for p, ph := range phases {
		if p > 0 {
			tickets.wait(ctx, 2*time.Second)
		}
		var c getter = hqGetter{&hq.Client{TLSConfig: tlsConf, Config: conf, Early: p > 0 && o.zeroRTT, OnSession: conns.add}}
		if o.h3 {
			c = newH3Getter(tlsConf, conf)
		}
		fetch(ctx, c, downloads[ph[0]:ph[1]], names[ph[0]:ph[1]], ph[0], o.out)
		c.Close()
		if ctx.Err() != nil {
			return errors.New("interrupted")
		}
	}
	prog.stop()
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

// clientTLS returns the TLS configuration of -insecure and -cacert.
func clientTLS(o options) (*tls.Config, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: o.insecure}
	if o.caCert != "" {
		pem, err := os.ReadFile(o.caCert)
		if err != nil {
			return nil, err
		}
		tlsConf.RootCAs = x509.NewCertPool()
		if !tlsConf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-cacert %s: no PEM certificate", o.caCert)
		}
	}
	return tlsConf, nil
}

// fetch runs downloads, whose bodies are saved as names, all at once on
// c; first is the index of downloads[0] among all URLs: the body of URL 0
// goes straight to standard output, the others wait in temporary files.
func fetch(ctx context.Context, c getter, downloads []*download, names []string, first int, out string) {
	// An interrupt ends the sessions, and with them the downloads.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var wg sync.WaitGroup
	for i, d := range downloads {
		wg.Go(func() {
			resp, err := c.Get(ctx, d.url)
			if err != nil {
				d.err = err
				return
			}
			d.resp = resp
			switch {
			case out != "":
				d.err = d.toFile(filepath.Join(out, names[i]))
			case first+i == 0:
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
}

// connections numbers the sessions of a run, from 1, and reports on them.
type connections struct {
	keyUpdate bool // start a key update on each

	mu       sync.Mutex
	sessions []*quic.Session
	updates  sync.WaitGroup
}

// add is the OnSession of the run's clients; the clients' own numbers
// are replaced by the run's.
func (c *connections) add(_ int, s *quic.Session) {
	c.mu.Lock()
	c.sessions = append(c.sessions, s)
	c.mu.Unlock()
	if !c.keyUpdate {
		return
	}
	select {
	case <-s.HandshakeComplete():
		// The requests wait for the update (one round trip at most),
		// so that even a download shorter than that runs under the new
		// keys.
		updateKeys(s)
	default:
		// Early data is going out: it must not wait.
		c.updates.Go(func() { updateKeys(s) })
	}
}

// report prints one line per connection to standard error.
func (c *connections) report() {
	c.updates.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, s := range c.sessions {
		fmt.Fprintf(os.Stderr, "connection %d: %s\n", i+1, connectionLine(s.ConnectionState()))
	}
}

// ticketCache is a session cache that signals the first session ticket
// it keeps.
type ticketCache struct {
	tls.ClientSessionCache
	once sync.Once
	put  chan struct{} // closed on the first Put of a session
}

func (c *ticketCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs != nil {
		c.once.Do(func() { close(c.put) })
	}
}

// wait waits, at most d, for a session ticket: the server sends it after
// the handshake, and the second connection has nothing to resume without.
func (c *ticketCache) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.put:
	case <-t.C:
	case <-ctx.Done():
	}
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
// "version=v1 resumed=true 0rtt=accepted key_updates=1 retry=false".
func connectionLine(cs quic.ConnectionState) string {
	return fmt.Sprintf("version=%s resumed=%v 0rtt=%s key_updates=%d retry=%v",
		hq.VersionName(cs.Version), cs.Resumed, earlyData(cs), cs.KeyUpdates, cs.Retried)
}

// earlyData says what became of a connection's 0-RTT data: accepted,
// rejected, or none if it sent none.
func earlyData(cs quic.ConnectionState) string {
	switch {
	case cs.EarlyDataAccepted:
		return "accepted"
	case cs.EarlyDataRejected:
		return "rejected"
	}
	return "none"
}

// updateKeys starts a key update as soon as s allows it: once the
// handshake is confirmed, when the server's HANDSHAKE_DONE arrives
// (RFC 9001, Section 6.1). It gives up when s ends or after 10 seconds.
func updateKeys(s *quic.Session) {
	tick := time.NewTicker(time.Millisecond)
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

// Command perf runs the QUIC perf protocol (ALPN "perf") on quince or
// quic-go.
//
//	perf server -listen ADDR [-cert F -key F] [-stack quince|quic-go]
//	perf client -addr ADDR -download BYTES [-upload BYTES] [-conns N] [-streams N] [-stack S] [-json]
//	perf client -addr ADDR -handshakes N [-conns P] [-stack S] [-json]
//	perf client -addr ADDR -idle N [-conns P] [-stack S]
//	perf server -h3 -listen ADDR [-cert F -key F] [-stack S]
//	perf client -h3 -addr ADDR -requests N -download BYTES [-conns P] [-warm] [-stack S] [-json]
//
// With -h3 the server is the stack's http3 package serving GET /bytes?n=N
// (N bytes back), and the client an http.Client on the stack's HTTP/3
// Transport that makes -requests such GETs of -download bytes, -conns at a
// time on one session, and reports requests per second and throughput;
// -warm sends one request first, so that the handshake is not timed.
//
// BYTES is a plain integer or has a K, M or G suffix (powers of 1024).
//
// The server runs until it is interrupted or its standard input ends; a line
// "gc" on its standard input makes it collect garbage, return memory to the
// OS and answer "ok", so that its resident size can be read.
//
// With -handshakes, the client completes N handshakes, -conns at a time, and
// reports handshakes per second. With -idle, it opens N sessions, -conns
// handshakes at a time, prints "ready N" and holds them idle until its
// standard input ends.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"

	"github.com/quince-go/quic/bench/perf"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("perf: ")
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "server":
		server(os.Args[2:])
	case "client":
		client(os.Args[2:])
		os.Exit(exitCode)
	default:
		usage()
	}
}

// exitCode is the client's exit status, set when it fails after a deferred
// profile must still be written.
var exitCode int

func usage() {
	fmt.Fprintln(os.Stderr, "usage: perf server -listen ADDR [-cert F -key F] [-stack S]")
	fmt.Fprintln(os.Stderr, "       perf client -addr ADDR -download BYTES [-upload BYTES] [-conns N] [-streams N] [-stack S] [-json]")
	fmt.Fprintln(os.Stderr, "       perf client -addr ADDR (-handshakes N | -idle N) [-conns P] [-stack S] [-json]")
	fmt.Fprintln(os.Stderr, "       perf server -h3 -listen ADDR [-cert F -key F] [-stack S]")
	fmt.Fprintln(os.Stderr, "       perf client -h3 -addr ADDR -requests N -download BYTES [-conns P] [-warm] [-stack S] [-json]")
	os.Exit(2)
}

// bytesFlag is a flag.Value for byte counts with K/M/G suffixes.
type bytesFlag int64

func (b *bytesFlag) String() string { return perf.FormatBytes(int64(*b)) }
func (b *bytesFlag) Set(s string) error {
	v, err := perf.ParseBytes(s)
	*b = bytesFlag(v)
	return err
}

func server(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:4433", "UDP address to listen on")
	certFile := fs.String("cert", "", "certificate PEM file (default: self-signed)")
	keyFile := fs.String("key", "", "key PEM file")
	stack := fs.String("stack", perf.Quince, "quince or quic-go")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server's life to this file")
	h3 := fs.Bool("h3", false, "serve HTTP/3 (GET /bytes?n=N) instead of perf")
	fs.Parse(args)
	defer startProfile(*cpuProfile)()

	tlsConf, err := perf.ServerTLS(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	start := perf.StartServer
	if *h3 {
		start = perf.StartH3Server
	}
	srv, err := start(*stack, *listen, tlsConf)
	if err != nil {
		log.Fatal(err)
	}
	// The first line of output is the address, for scripts.
	fmt.Printf("listening %s %s\n", *stack, srv.Addr())

	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "gc" {
				runtime.GC()
				debug.FreeOSMemory()
				fmt.Println("ok")
			}
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-sig:
	case <-done:
	}
	srv.Close()
}

func client(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:4433", "server address")
	stack := fs.String("stack", perf.Quince, "quince or quic-go")
	var download, upload bytesFlag
	fs.Var(&download, "download", "bytes to download per stream")
	fs.Var(&upload, "upload", "bytes to upload per stream")
	conns := fs.Int("conns", 1, "concurrent connections (handshakes at a time with -handshakes and -idle)")
	streams := fs.Int("streams", 1, "concurrent streams per connection")
	handshakes := fs.Int("handshakes", 0, "complete this many handshakes and report their rate")
	idle := fs.Int("idle", 0, "open this many sessions and hold them idle until stdin ends")
	asJSON := fs.Bool("json", false, "print one JSON line")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	h3 := fs.Bool("h3", false, "make HTTP/3 GET requests instead of perf streams")
	requests := fs.Int("requests", 1, "with -h3: requests to make, -conns at a time")
	warm := fs.Bool("warm", false, "with -h3: one request before timing, so the handshake is not timed")
	fs.Parse(args)
	defer startProfile(*cpuProfile)()
	if *h3 {
		exitCode = h3Client(*stack, *addr, *requests, *conns, int64(download), *warm, *asJSON)
		return
	}

	c, err := perf.NewClient(*stack, perf.ClientTLS())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()

	var res perf.Result
	switch {
	case *idle > 0:
		open, err := perf.OpenIdle(ctx, c, *addr, *idle, *conns)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("ready %d\n", len(open))
		io.Copy(io.Discard, os.Stdin)
		perf.CloseAll(open)
		return
	case *handshakes > 0:
		res, err = perf.RunHandshakes(ctx, c, *addr, *handshakes, *conns)
	default:
		res, err = perf.RunTransfer(ctx, c, perf.Transfer{
			Addr: *addr, Conns: *conns, Streams: *streams,
			Upload: int64(upload), Download: int64(download),
		})
	}
	if err != nil {
		log.Print(err)
		exitCode = 1
		return
	}
	res.Stack = *stack
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	if res.Handshakes > 0 {
		fmt.Printf("%s: %d handshakes in %.3fs: %.1f handshakes/s (latency ms: p50 %.3f, p99 %.3f, max %.3f)\n",
			res.Stack, res.Handshakes, res.Seconds, res.HandshakesSec, res.HandshakeP50, res.HandshakeP99, res.HandshakeMax)
		return
	}
	fmt.Printf("%s: %d bytes in %.3fs: %.1f Mbit/s\n", res.Stack, res.Bytes, res.Seconds, res.Mbps)
}

// startProfile starts a CPU profile to path, if set, and returns what stops
// it.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// h3Client runs the HTTP/3 requests of perf client -h3 and returns the
// exit code.
func h3Client(stack, addr string, requests, parallel int, size int64, warm, asJSON bool) int {
	c, err := perf.NewH3Client(stack, perf.ClientTLS())
	if err != nil {
		log.Print(err)
		return 1
	}
	defer c.Close()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	res, err := perf.RunH3(ctx, c, perf.H3Requests{
		Addr: addr, Requests: requests, Parallel: parallel, Size: size, Warm: warm,
	})
	if err != nil {
		log.Print(err)
		return 1
	}
	res.Stack = stack
	if asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return 0
	}
	fmt.Printf("%s: %d requests of %d bytes in %.3fs: %.1f requests/s, %.1f Mbit/s\n",
		res.Stack, res.Requests, size, res.Seconds, res.RequestsSec, res.Mbps)
	return 0
}

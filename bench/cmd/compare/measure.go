package main

import (
	"bufio"
	"bytes"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quince-go/quic/bench/perf"
)

// figure is one line of the table: a value per stack and run.
type figure struct {
	Name        string
	Unit        string
	LowerBetter bool
	Throughput  bool // shown as % of the UDP ceiling
	Values      map[string][]float64
	Failed      map[string]string // the error of a stack's failed run
}

func (f *figure) add(stack string, v float64) {
	if f.Values == nil {
		f.Values = map[string][]float64{}
	}
	f.Values[stack] = append(f.Values[stack], v)
}

func (f *figure) fail(stack string, err error) {
	log.Printf("%s, %s: %v", f.Name, stack, err)
	if f.Failed == nil {
		f.Failed = map[string]string{}
	}
	f.Failed[stack] = err.Error()
}

// median of the stack's values, and whether there are any.
func (f *figure) median(stack string) (float64, bool) {
	return median(f.Values[stack])
}

func median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// results is everything a run measured.
type results struct {
	Figures []*figure
	H3      []*figure // the HTTP/3 section
	Ceiling []*figure // one value per run under the stack ""
	Notes   []string
	Stacks  []string
	Options options
	Elapsed time.Duration
	// LoadBefore and LoadAfter are /proc/loadavg's 1-minute figure when
	// the run started and ended: the machine may be shared.
	LoadBefore, LoadAfter string
}

// bestCeiling is the fastest raw UDP figure, the yardstick for throughput.
func (r *results) bestCeiling() (float64, string) {
	var best float64
	var name string
	for _, c := range r.Ceiling {
		if c.Unit != "Mbit/s" || !strings.HasPrefix(c.Name, "UDP") {
			continue
		}
		if m, ok := c.median(""); ok && m > best {
			best, name = m, c.Name
		}
	}
	return best, name
}

func measureAll(perfBin, modDir string, stacks []string, o options) *results {
	r := &results{}
	newFig := func(name, unit string, lower, tput bool) *figure {
		f := &figure{Name: name, Unit: unit, LowerBetter: lower, Throughput: tput}
		r.Figures = append(r.Figures, f)
		return f
	}
	bulkName := fmt.Sprintf("1 conn, 1 stream, %s download", perf.FormatBytes(o.bulk))
	bulk := newFig(bulkName, "Mbit/s", false, true)
	cpu := newFig("  CPU, client + server", "s/GiB", true, false)
	multi := newFig(fmt.Sprintf("%d conns x %s download, aggregate", o.multiConns, perf.FormatBytes(o.multiSize)), "Mbit/s", false, true)
	hs1 := newFig("Handshakes, one at a time", "per s", false, false)
	hs32 := newFig("Handshakes, 32 at a time", "per s", false, false)
	var idle []*figure
	for _, n := range o.idle {
		idle = append(idle, newFig(fmt.Sprintf("Server RSS per idle session, %d sessions", n), "KiB", true, false))
	}
	allocSend := newFig("Allocations per packet sent", "allocs", true, false)
	allocRecv := newFig("Allocations per packet received", "allocs", true, false)
	newH3 := func(name, unit string, lower, tput bool) *figure {
		f := &figure{Name: name, Unit: unit, LowerBetter: lower, Throughput: tput}
		r.H3 = append(r.H3, f)
		return f
	}
	h3Size := perf.FormatBytes(o.h3Size)
	h3rps := []struct {
		f        *figure
		parallel int
	}{
		{newH3(fmt.Sprintf("HTTP/3 GETs of %s, one at a time", h3Size), "per s", false, false), 1},
		{newH3(fmt.Sprintf("HTTP/3 GETs of %s, 32 at a time", h3Size), "per s", false, false), 32},
	}
	h3Bulk := newH3(fmt.Sprintf("HTTP/3 one GET of %s", perf.FormatBytes(o.h3Bulk)), "Mbit/s", false, true)
	h3CPU := newH3("  CPU, client + server", "s/GiB", true, false)

	for run := 1; run <= o.runs; run++ {
		for _, stack := range stacks {
			log.Printf("run %d/%d, %s: bulk", run, o.runs, stack)
			if mbps, cpuSecs, err := measureBulk(perfBin, stack, o.bulk); err != nil {
				bulk.fail(stack, err)
			} else {
				bulk.add(stack, mbps)
				cpu.add(stack, cpuSecs)
			}
			log.Printf("run %d/%d, %s: %d conns", run, o.runs, stack, o.multiConns)
			if res, err := measureClient(perfBin, stack, "-download", strconv.FormatInt(o.multiSize, 10),
				"-conns", strconv.Itoa(o.multiConns)); err != nil {
				multi.fail(stack, err)
			} else {
				multi.add(stack, res.Mbps)
			}
			log.Printf("run %d/%d, %s: handshakes", run, o.runs, stack)
			for _, h := range []struct {
				f        *figure
				n, conns int
			}{{hs1, o.hsSerial, 1}, {hs32, o.hsParallel, 32}} {
				if res, err := measureClient(perfBin, stack, "-handshakes", strconv.Itoa(h.n),
					"-conns", strconv.Itoa(h.conns)); err != nil {
					h.f.fail(stack, err)
				} else {
					h.f.add(stack, res.HandshakesSec)
				}
			}
			for _, h := range h3rps {
				log.Printf("run %d/%d, %s: HTTP/3 GETs, %d at a time", run, o.runs, stack, h.parallel)
				if res, _, err := measureH3(perfBin, stack, "-requests", strconv.Itoa(o.h3Requests),
					"-conns", strconv.Itoa(h.parallel), "-download", strconv.FormatInt(o.h3Size, 10), "-warm"); err != nil {
					h.f.fail(stack, err)
				} else {
					h.f.add(stack, res.RequestsSec)
				}
			}
			log.Printf("run %d/%d, %s: HTTP/3 one GET", run, o.runs, stack)
			if res, cpuSecs, err := measureH3(perfBin, stack, "-requests", "1",
				"-download", strconv.FormatInt(o.h3Bulk, 10)); err != nil {
				h3Bulk.fail(stack, err)
			} else {
				h3Bulk.add(stack, res.Mbps)
				h3CPU.add(stack, cpuSecs.Seconds()/(float64(res.Bytes)/(1<<30)))
			}
			for i, n := range o.idle {
				log.Printf("run %d/%d, %s: %d idle sessions", run, o.runs, stack, n)
				if kib, err := measureIdle(perfBin, stack, n); err != nil {
					idle[i].fail(stack, err)
				} else {
					idle[i].add(stack, kib)
				}
			}
		}
	}

	log.Printf("allocation benchmarks")
	if bench, err := runBenchmarks(modDir, o); err != nil {
		allocSend.fail("all", err)
	} else {
		type key struct{ fig, stack string }
		perPkt := map[key][]float64{}
		bytesPerPkt := map[key][]float64{}
		var order []key
		for _, b := range bench {
			f := allocSend
			if b.name == "Receive" {
				f = allocRecv
			}
			f.add(b.stack, b.per1200)
			if b.perPkt > 0 {
				k := key{f.Name, b.stack}
				if perPkt[k] == nil {
					order = append(order, k)
				}
				perPkt[k] = append(perPkt[k], b.perPkt)
				bytesPerPkt[k] = append(bytesPerPkt[k], b.bytesPerPkt)
			}
		}
		for _, k := range order {
			p, _ := median(perPkt[k])
			bp, _ := median(bytesPerPkt[k])
			r.Notes = append(r.Notes, fmt.Sprintf("%s, %s: %.2f allocations per packet by the stack's own packet count (%.0f bytes of stream data per packet).",
				k.fig, k.stack, p, bp))
		}
	}

	log.Printf("ceiling")
	for _, c := range []struct {
		name string
		mode udpMode
	}{{"UDP, one datagram per write", udpPlain}, {"UDP, sendmmsg 64 at a time", udpBatch}, {"UDP, GSO 48 segments per write", udpGSO}} {
		f := &figure{Name: c.name, Unit: "Mbit/s"}
		r.Ceiling = append(r.Ceiling, f)
		for range o.runs {
			v, err := udpCeiling(c.mode, o.ceilingTime)
			if err != nil {
				f.fail("", err)
				break
			}
			f.add("", v)
		}
	}
	for _, c := range []struct {
		name   string
		chacha bool
	}{{"AES-128-GCM seal, 1,200 B, one core", false}, {"ChaCha20-Poly1305 seal, 1,200 B, one core", true}} {
		f := &figure{Name: c.name, Unit: "Mbit/s"}
		r.Ceiling = append(r.Ceiling, f)
		for range o.runs {
			v, err := sealCeiling(c.chacha, o.ceilingTime)
			if err != nil {
				f.fail("", err)
				break
			}
			f.add("", v)
		}
	}
	return r
}

// measureBulk runs one download on a fresh server and returns Mbit/s and
// the CPU seconds per GiB of client and server together.
func measureBulk(perfBin, stack string, size int64) (mbps, cpuPerGiB float64, err error) {
	srv, err := startServer(perfBin, stack)
	if err != nil {
		return 0, 0, err
	}
	res, clientCPU, err := runClient(perfBin, stack, srv.addr, "-download", strconv.FormatInt(size, 10))
	if err != nil {
		srv.kill()
		return 0, 0, err
	}
	serverCPU, err := srv.stop()
	if err != nil {
		return 0, 0, err
	}
	gib := float64(res.Bytes) / (1 << 30)
	return res.Mbps, (clientCPU + serverCPU).Seconds() / gib, nil
}

// measureH3 runs an HTTP/3 client with args against a fresh HTTP/3 server
// of the same stack and returns its result and the CPU time of both.
func measureH3(perfBin, stack string, args ...string) (perf.Result, time.Duration, error) {
	srv, err := startServer(perfBin, stack, "-h3")
	if err != nil {
		return perf.Result{}, 0, err
	}
	res, clientCPU, err := runClient(perfBin, stack, srv.addr, append([]string{"-h3"}, args...)...)
	if err != nil {
		srv.kill()
		return perf.Result{}, 0, err
	}
	serverCPU, err := srv.stop()
	if err != nil {
		return perf.Result{}, 0, err
	}
	return res, clientCPU + serverCPU, nil
}

// measureClient runs a client with args against a fresh server.
func measureClient(perfBin, stack string, args ...string) (perf.Result, error) {
	srv, err := startServer(perfBin, stack)
	if err != nil {
		return perf.Result{}, err
	}
	res, _, err := runClient(perfBin, stack, srv.addr, args...)
	if err != nil {
		srv.kill()
		return perf.Result{}, err
	}
	_, err = srv.stop()
	return res, err
}

// measureIdle opens n idle sessions to a fresh server and returns the
// server's resident memory growth per session, in KiB.
func measureIdle(perfBin, stack string, n int) (float64, error) {
	srv, err := startServer(perfBin, stack)
	if err != nil {
		return 0, err
	}
	defer srv.kill()
	// One session first, so that what every server needs once (TLS,
	// goroutines, socket buffers) is not counted per session.
	warm, err := startIdle(perfBin, stack, srv.addr, 1, 1)
	if err != nil {
		return 0, err
	}
	defer warm.stop()
	before, err := srv.rssKiB()
	if err != nil {
		return 0, err
	}
	c, err := startIdle(perfBin, stack, srv.addr, n, 32)
	if err != nil {
		return 0, err
	}
	defer c.stop()
	after, err := srv.rssKiB()
	if err != nil {
		return 0, err
	}
	return (after - before) / float64(n), nil
}

// benchResult is one line of the allocation benchmarks.
type benchResult struct {
	name, stack     string
	per1200, perPkt float64
	bytesPerPkt     float64
}

// runBenchmarks runs the module's allocation benchmarks -runs times and
// returns every line.
func runBenchmarks(modDir string, o options) ([]benchResult, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^Benchmark(Send|Receive)$",
		"-benchtime", fmt.Sprintf("%dx", o.benchN), "-count", strconv.Itoa(o.runs), ".")
	cmd.Dir, cmd.Stderr = modDir, os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %w\n%s", err, out)
	}
	var res []benchResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name, stack, ok := strings.Cut(strings.TrimPrefix(f[0], "Benchmark"), "/")
		if !ok {
			continue
		}
		if i := strings.LastIndex(stack, "-"); i > 0 && stack[:i] != "quic" {
			stack = stack[:i] // the GOMAXPROCS suffix
		}
		b := benchResult{name: name, stack: stack}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "allocs/1200B":
				b.per1200 = v
			case "allocs/pkt":
				b.perPkt = v
			case "B/pkt":
				b.bytesPerPkt = v
			}
		}
		res = append(res, b)
	}
	return res, nil
}

// Command compare measures quince against quic-go on loopback and writes a
// Markdown table (RESULTS.md) and a bar chart (results.png).
//
// Run it from the bench module:
//
//	cd bench && go run ./cmd/compare            # the full run, a few minutes
//	cd bench && go run ./cmd/compare -quick     # a small run
//
// It builds cmd/perf, runs perf server and client processes for each stack
// against itself, runs this module's Go benchmarks for allocations, and
// measures the machine's ceiling (raw UDP on loopback, AEAD seal speed).
// Every figure is measured -runs times and the median reported. Figures are
// reported, never asserted.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/quince-go/quic/bench/perf"
)

// options are the sizes of a run.
type options struct {
	runs        int
	bulk        int64 // bytes of the one-stream download
	multiConns  int
	multiSize   int64
	hsSerial    int // handshakes one at a time
	hsParallel  int // handshakes 32 at a time
	idle        []int
	benchN      int   // packets per allocation benchmark
	h3Requests  int   // HTTP/3 GETs per requests-per-second figure
	h3Size      int64 // bytes of each of them
	h3Bulk      int64 // bytes of the one HTTP/3 GET
	ceilingTime time.Duration
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("compare: ")
	var (
		quick      = flag.Bool("quick", false, "a small run: smaller sizes, one run unless -runs is set")
		runs       = flag.Int("runs", 3, "runs of each figure; the median is reported")
		bulk       = flag.String("bulk", "1G", "bytes of the 1 connection, 1 stream download")
		multiConns = flag.Int("multi-conns", 100, "connections of the concurrent download")
		multiSize  = flag.String("multi-size", "10M", "bytes each of them downloads")
		hsSerial   = flag.Int("handshakes-serial", 300, "handshakes measured one at a time")
		hsParallel = flag.Int("handshakes-parallel", 1000, "handshakes measured 32 at a time")
		idle       = flag.String("idle", "1000,5000", "idle session counts for resident memory")
		benchN     = flag.Int("bench-packets", 50000, "1,200-byte packets per allocation benchmark")
		h3Requests = flag.Int("h3-requests", 5000, "HTTP/3 GETs per requests-per-second figure")
		h3Size     = flag.String("h3-size", "1K", "bytes of each of those GETs")
		h3Bulk     = flag.String("h3-bulk", "1G", "bytes of the one HTTP/3 GET measured for throughput")
		ceilingDur = flag.Duration("ceiling-time", time.Second, "how long each ceiling figure is measured")
		stacksFlag = flag.String("stacks", strings.Join(perf.Stacks, ","), "stacks to measure")
		out        = flag.String("out", "RESULTS.md", "Markdown table to write")
		png        = flag.String("png", "results.png", "PNG chart to write")
	)
	flag.Parse()
	o := options{runs: *runs, multiConns: *multiConns, hsSerial: *hsSerial, hsParallel: *hsParallel,
		benchN: *benchN, ceilingTime: *ceilingDur, h3Requests: *h3Requests}
	var err error
	if o.h3Size, err = perf.ParseBytes(*h3Size); err != nil {
		log.Fatal(err)
	}
	if o.h3Bulk, err = perf.ParseBytes(*h3Bulk); err != nil {
		log.Fatal(err)
	}
	if o.bulk, err = perf.ParseBytes(*bulk); err != nil {
		log.Fatal(err)
	}
	if o.multiSize, err = perf.ParseBytes(*multiSize); err != nil {
		log.Fatal(err)
	}
	for _, f := range strings.Split(*idle, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			log.Fatalf("bad -idle %q", *idle)
		}
		o.idle = append(o.idle, n)
	}
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		def := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		def("runs", func() { o.runs = 1 })
		def("bulk", func() { o.bulk = 128 << 20 })
		def("multi-conns", func() { o.multiConns = 20 })
		def("multi-size", func() { o.multiSize = 2 << 20 })
		def("handshakes-serial", func() { o.hsSerial = 50 })
		def("handshakes-parallel", func() { o.hsParallel = 200 })
		def("idle", func() { o.idle = []int{200, 500} })
		def("bench-packets", func() { o.benchN = 10000 })
		def("h3-requests", func() { o.h3Requests = 1000 })
		def("h3-bulk", func() { o.h3Bulk = 128 << 20 })
		def("ceiling-time", func() { o.ceilingTime = 300 * time.Millisecond })
	}
	stacks := strings.Split(*stacksFlag, ",")

	modDir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "compare")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	perfBin := filepath.Join(tmp, "perf")
	build := exec.Command("go", "build", "-o", perfBin, "./cmd/perf")
	build.Dir, build.Stderr = modDir, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("building perf: %v", err)
	}

	start := time.Now()
	loadBefore := loadAvg()
	res := measureAll(perfBin, modDir, stacks, o)
	res.Elapsed = time.Since(start)
	res.LoadBefore, res.LoadAfter = loadBefore, loadAvg()
	res.Options = o
	res.Stacks = stacks
	if err := os.WriteFile(filepath.Join(modDir, *out), []byte(res.markdown()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := writeChart(filepath.Join(modDir, *png), res); err != nil {
		log.Fatal(err)
	}
	fmt.Print(res.markdown())
}

// moduleDir is the bench module's directory.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if !strings.HasSuffix(filepath.Dir(mod), "bench") {
		return "", fmt.Errorf("run compare from the bench module (go env GOMOD is %q)", mod)
	}
	return filepath.Dir(mod), nil
}

// loadAvg is the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// machine describes where the figures were taken.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%s, %d CPUs%s, %s", cpu, runtime.NumCPU(), kernel, runtime.Version())
}

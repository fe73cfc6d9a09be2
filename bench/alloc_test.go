package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quince-go/quic/bench/perf"
)

// serverEnv, set in a child process's environment, makes TestMain run a perf
// server of that stack instead of the tests.
const serverEnv = "BENCH_PERF_SERVER"

func TestMain(m *testing.M) {
	if stack := os.Getenv(serverEnv); stack != "" {
		os.Exit(runChildServer(stack))
	}
	code := m.Run()
	children.stopAll()
	os.Exit(code)
}

// runChildServer serves perf until standard input ends.
func runChildServer(stack string) int {
	tlsConf, err := perf.ServerTLS("", "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv, err := perf.StartServer(stack, "127.0.0.1:0", tlsConf)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(srv.Addr())
	bufio.NewReader(os.Stdin).ReadString(0)
	srv.Close()
	return 0
}

// children are the perf servers started for benchmarks, one per stack.
var children = &childServers{addrs: map[string]string{}}

type childServers struct {
	mu    sync.Mutex
	addrs map[string]string
	cmds  []*exec.Cmd
}

func (c *childServers) addr(tb testing.TB, stack string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.addrs[stack]; ok {
		return a
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serverEnv+"="+stack)
	cmd.Stderr = os.Stderr
	if _, err := cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		tb.Fatalf("child server: %v", err)
	}
	a := strings.TrimSpace(line)
	c.addrs[stack] = a
	c.cmds = append(c.cmds, cmd)
	return a
}

func (c *childServers) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cmd := range c.cmds {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// packetBytes is the stream data one op carries: a full packet's worth.
const packetBytes = 1200

func BenchmarkSend(b *testing.B) {
	for _, stack := range perf.Stacks {
		b.Run(stack, func(b *testing.B) { benchTransfer(b, stack, true) })
	}
}

func BenchmarkReceive(b *testing.B) {
	for _, stack := range perf.Stacks {
		b.Run(stack, func(b *testing.B) { benchTransfer(b, stack, false) })
	}
}

// benchTransfer uploads (send) or downloads b.N*1200 bytes on one stream of
// a session to a perf server in a child process, and reports allocations
// per op and, where the stack counts packets, per packet.
func benchTransfer(b *testing.B, stack string, send bool) {
	addr := children.addr(b, stack)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := perf.NewClient(stack, perf.ClientTLS())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	conn, err := c.Dial(ctx, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	st, err := conn.OpenStream(ctx)
	if err != nil {
		b.Fatal(err)
	}
	size := int64(b.N) * packetBytes
	up, down := size, int64(0)
	if !send {
		up, down = 0, size
	}
	sent0, recv0, counted := conn.PacketCounts()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs0 := ms.Mallocs
	b.SetBytes(packetBytes)
	b.ReportAllocs()
	b.ResetTimer()
	if err := perf.Request(st, up, down); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs - mallocs0
	b.ReportMetric(float64(mallocs)/float64(b.N), "allocs/1200B")
	if counted {
		sent, recv, _ := conn.PacketCounts()
		pkts := recv - recv0
		if send {
			pkts = sent - sent0
		}
		if pkts > 0 {
			b.ReportMetric(float64(mallocs)/float64(pkts), "allocs/pkt")
			b.ReportMetric(float64(size)/float64(pkts), "B/pkt")
		}
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/quince-go/quic/bench/perf"
)

// procTimeout bounds every client process.
const procTimeout = 10 * time.Minute

// server is a perf server process.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	addr  string
}

// startServer starts a perf server of stack on an ephemeral loopback port,
// with extra arguments such as -h3.
func startServer(perfBin, stack string, extra ...string) (*server, error) {
	cmd := exec.Command(perfBin, append([]string{"server", "-stack", stack, "-listen", "127.0.0.1:0"}, extra...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := s.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 || f[0] != "listening" {
		s.kill()
		return nil, fmt.Errorf("perf server %s: unexpected start line %q: %v", stack, line, err)
	}
	s.addr = f[2]
	return s, nil
}

// rssKiB collects the server's garbage, then reads its resident size.
func (s *server) rssKiB() (float64, error) {
	if _, err := io.WriteString(s.stdin, "gc\n"); err != nil {
		return 0, err
	}
	if line, err := s.out.ReadString('\n'); err != nil || strings.TrimSpace(line) != "ok" {
		return 0, fmt.Errorf("perf server gc: %q %v", line, err)
	}
	return vmRSS(s.cmd.Process.Pid)
}

// stop ends the server by closing its standard input and returns its CPU
// time, user plus system.
func (s *server) stop() (time.Duration, error) {
	s.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return 0, err
		}
	case <-time.After(30 * time.Second):
		s.kill()
		return 0, fmt.Errorf("perf server did not stop")
	}
	return cpuTime(s.cmd.ProcessState), nil
}

func (s *server) kill() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

func cpuTime(ps *os.ProcessState) time.Duration {
	return ps.UserTime() + ps.SystemTime()
}

// runClient runs a perf client to completion and decodes its JSON line.
func runClient(perfBin, stack, addr string, args ...string) (perf.Result, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), procTimeout)
	defer cancel()
	args = append([]string{"client", "-stack", stack, "-addr", addr, "-json"}, args...)
	cmd := exec.CommandContext(ctx, perfBin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return perf.Result{}, 0, fmt.Errorf("perf %s: %w", strings.Join(args, " "), err)
	}
	var res perf.Result
	if err := json.Unmarshal(out, &res); err != nil {
		return perf.Result{}, 0, fmt.Errorf("perf client output %q: %w", out, err)
	}
	return res, cpuTime(cmd.ProcessState), nil
}

// idleClient is a perf client holding sessions idle.
type idleClient struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startIdle opens n idle sessions, parallel handshakes at a time, and
// returns once they are all open.
func startIdle(perfBin, stack, addr string, n, parallel int) (*idleClient, error) {
	cmd := exec.Command(perfBin, "client", "-stack", stack, "-addr", addr,
		"-idle", strconv.Itoa(n), "-conns", strconv.Itoa(parallel))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("perf idle client %s: %q %v", stack, line, err)
	}
	return &idleClient{cmd: cmd, stdin: stdin}, nil
}

func (c *idleClient) stop() {
	c.stdin.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// vmRSS reads VmRSS of pid from /proc, in KiB.
func vmRSS(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				return strconv.ParseFloat(f[0], 64)
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

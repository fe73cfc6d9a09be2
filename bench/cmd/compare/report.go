package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/quince-go/quic/bench/perf"
)

// markdown renders the results as RESULTS.md.
func (r *results) markdown() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "# quince vs quic-go\n\n")
	fmt.Fprintf(&b, "Measured by `cd bench && go run ./cmd/compare` on loopback: %s. ", machine())
	fmt.Fprintf(&b, "Median of %d run(s); the whole took %s. ", o.runs, r.Elapsed.Round(1e9))
	fmt.Fprintf(&b, "Each stack talks to itself; clients and servers are separate processes (cmd/perf), ")
	fmt.Fprintf(&b, "with each stack's default configuration (idle timeout raised to %s).\n\n", perf.IdleTimeout)

	ceil, ceilName := r.bestCeiling()
	stacks := r.Stacks
	fmt.Fprintf(&b, "| Figure | Unit |")
	for _, s := range stacks {
		fmt.Fprintf(&b, " %s |", s)
	}
	hasRatio := len(stacks) == 2 && stacks[0] == perf.Quince
	if hasRatio {
		fmt.Fprintf(&b, " %s/%s |", stacks[0], stacks[1])
	}
	for _, s := range stacks {
		fmt.Fprintf(&b, " %s %% of ceiling |", s)
	}
	b.WriteString("\n|---|---|")
	for range stacks {
		b.WriteString("---:|")
	}
	if hasRatio {
		b.WriteString("---:|")
	}
	for range stacks {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, f := range r.Figures {
		name := strings.TrimSpace(f.Name)
		if strings.HasPrefix(f.Name, " ") {
			name = "&nbsp;&nbsp;" + name
		}
		better := "higher is better"
		if f.LowerBetter {
			better = "lower is better"
		}
		fmt.Fprintf(&b, "| %s | %s (%s) |", name, f.Unit, better)
		for _, s := range stacks {
			fmt.Fprintf(&b, " %s |", f.cell(s))
		}
		if hasRatio {
			a, okA := f.median(stacks[0])
			c, okC := f.median(stacks[1])
			if okA && okC && c != 0 {
				fmt.Fprintf(&b, " %.2f |", a/c)
			} else {
				b.WriteString(" – |")
			}
		}
		for _, s := range stacks {
			m, ok := f.median(s)
			if f.Throughput && ok && ceil > 0 {
				fmt.Fprintf(&b, " %.1f%% |", 100*m/ceil)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## The ceiling\n\n| Figure | Mbit/s |\n|---|---:|\n")
	for _, c := range r.Ceiling {
		fmt.Fprintf(&b, "| %s | %s |\n", c.Name, c.cell(""))
	}
	if ceil > 0 {
		fmt.Fprintf(&b, "\n\"%% of ceiling\" is against the fastest raw UDP figure (%s, %s Mbit/s): what loopback delivers to one receiver reading with recvmmsg.\n", ceilName, fmtNum(ceil))
	}

	b.WriteString("\n## Notes\n\n")
	b.WriteString("- Throughput counts stream data only and includes the handshake; CPU is user + system time from rusage of the client and server processes, per GiB of stream data.\n")
	b.WriteString("- Handshakes: a client process dials from one UDP socket and closes each session once its handshake completes; ECDSA P-256 certificate, not verified.\n")
	b.WriteString("- RSS per idle session: the server's VmRSS after a GC and returning freed memory to the OS, before and after the sessions open, divided by their number.\n")
	fmt.Fprintf(&b, "- Allocations: `go test -bench . -benchtime %dx` in bench/ (BenchmarkSend, BenchmarkReceive): one stream carrying %d x 1,200 bytes to or from a perf server of the same stack in a child process, so only the measured side is counted; per 1,200 bytes of stream data, since quince does not count its packets.\n", o.benchN, o.benchN)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	var failed []string
	for _, f := range append(append([]*figure{}, r.Figures...), r.Ceiling...) {
		for s, e := range f.Failed {
			failed = append(failed, fmt.Sprintf("- %s, %s failed: %s", f.Name, s, e))
		}
	}
	sort.Strings(failed)
	for _, l := range failed {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// cell is a stack's median, or "failed" / "–".
func (f *figure) cell(stack string) string {
	if m, ok := f.median(stack); ok {
		return fmtNum(m)
	}
	if _, ok := f.Failed[stack]; ok {
		return "failed"
	}
	return "–"
}

func fmtNum(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

package main

import (
	"fmt"
	"runtime/debug"
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
	r.writeTable(&b, r.Figures, ceil)

	if len(r.H3) > 0 {
		b.WriteString("\n## HTTP/3\n\n")
		fmt.Fprintf(&b, "Each stack's own http3 package (quince's `http3`, quic-go's `http3` %s) on both sides: ", quicGoVersion())
		b.WriteString("an `http.Client` on the stack's HTTP/3 Transport (`perf client -h3`) against the stack's HTTP/3 server (`perf server -h3`) ")
		b.WriteString("serving `GET /bytes?n=N` from a `http.ServeMux`, on one session.\n\n")
		r.writeTable(&b, r.H3, ceil)
	}
	b.WriteString("\n## The ceiling\n\n| Figure | Mbit/s |\n|---|---:|\n")
	for _, c := range r.Ceiling {
		fmt.Fprintf(&b, "| %s | %s |\n", c.Name, c.cell(""))
	}
	if ceil > 0 {
		fmt.Fprintf(&b, "\n\"%% of ceiling\" is against the fastest raw UDP figure (%s, %s Mbit/s): what loopback delivers to one receiver reading with recvmmsg.\n", ceilName, fmtNum(ceil))
	}

	b.WriteString("\n## Notes\n\n")
	if r.LoadBefore != "" {
		fmt.Fprintf(&b, "- The machine may be shared with other work: its 1-minute load average was %s when the run started and %s when it ended.\n", r.LoadBefore, r.LoadAfter)
	}
	b.WriteString("- Throughput counts stream data only and includes the handshake; CPU is user + system time from rusage of the client and server processes, per GiB of stream data.\n")
	b.WriteString("- Handshakes: a client process dials from one UDP socket and closes each session once its handshake completes; ECDSA P-256 certificate, not verified.\n")
	b.WriteString("- RSS per idle session: the server's VmRSS after a GC and returning freed memory to the OS, before and after the sessions open, divided by their number.\n")
	if len(r.H3) > 0 {
		fmt.Fprintf(&b, "- HTTP/3 GETs per second: %d GETs of %s, one at a time or 32 at a time on the client's one session, after one untimed GET that opens the session; the response body is read to its end.\n", o.h3Requests, perf.FormatBytes(o.h3Size))
		fmt.Fprintf(&b, "- HTTP/3 one GET: a fresh client's one GET of %s, handshake included, as in the perf figures; CPU as there.\n", perf.FormatBytes(o.h3Bulk))
	}
	fmt.Fprintf(&b, "- Allocations: `go test -bench 'Send|Receive' -benchtime %dx` in bench/ (BenchmarkSend, BenchmarkReceive): one stream carrying %d x 1,200 bytes to or from a perf server of the same stack in a child process, so only the measured side is counted; per 1,200 bytes of stream data, since quince does not count its packets.\n", o.benchN, o.benchN)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	var failed []string
	for _, f := range append(append(append([]*figure{}, r.Figures...), r.H3...), r.Ceiling...) {
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

// writeTable renders figs as a Markdown table, a column per stack, the
// ratio of the first two, and each stack's share of the ceiling ceil.
func (r *results) writeTable(b *strings.Builder, figs []*figure, ceil float64) {
	stacks := r.Stacks
	fmt.Fprintf(b, "| Figure | Unit |")
	for _, s := range stacks {
		fmt.Fprintf(b, " %s |", s)
	}
	hasRatio := len(stacks) == 2 && stacks[0] == perf.Quince
	if hasRatio {
		fmt.Fprintf(b, " %s/%s |", stacks[0], stacks[1])
	}
	for _, s := range stacks {
		fmt.Fprintf(b, " %s %% of ceiling |", s)
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
	for _, f := range figs {
		name := strings.TrimSpace(f.Name)
		if strings.HasPrefix(f.Name, " ") {
			name = "&nbsp;&nbsp;" + name
		}
		better := "higher is better"
		if f.LowerBetter {
			better = "lower is better"
		}
		fmt.Fprintf(b, "| %s | %s (%s) |", name, f.Unit, better)
		for _, s := range stacks {
			fmt.Fprintf(b, " %s |", f.cell(s))
		}
		if hasRatio {
			a, okA := f.median(stacks[0])
			c, okC := f.median(stacks[1])
			if okA && okC && c != 0 {
				fmt.Fprintf(b, " %.2f |", a/c)
			} else {
				b.WriteString(" – |")
			}
		}
		for _, s := range stacks {
			m, ok := f.median(s)
			if f.Throughput && ok && ceil > 0 {
				fmt.Fprintf(b, " %.1f%% |", 100*m/ceil)
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}

}

// quicGoVersion is the version of quic-go this binary was built with.
func quicGoVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/quic-go/quic-go" {
				return d.Version
			}
		}
	}
	return "(version unknown)"
}

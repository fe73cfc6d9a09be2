package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quince-go/quic/bench/perf"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{in: nil},
		{in: []float64{3}, want: 3, ok: true},
		{in: []float64{5, 1, 3}, want: 3, ok: true},
		{in: []float64{4, 1, 3, 2}, want: 2.5, ok: true},
	}
	for _, tt := range tests {
		got, ok := median(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("median(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestReport renders a small result set as Markdown and PNG.
func TestReport(t *testing.T) {
	r := &results{Stacks: perf.Stacks, Options: options{runs: 2}}
	tput := &figure{Name: "bulk", Unit: "Mbit/s", Throughput: true}
	tput.add(perf.Quince, 1000)
	tput.add(perf.Quince, 3000)
	tput.add(perf.QuicGo, 1000)
	hs := &figure{Name: "handshakes", Unit: "per s"}
	hs.add(perf.QuicGo, 500)
	hs.fail(perf.Quince, os.ErrDeadlineExceeded)
	ceil := &figure{Name: "UDP, plain", Unit: "Mbit/s"}
	ceil.add("", 8000)
	r.Figures = []*figure{tput, hs}
	rps := &figure{Name: "HTTP/3 GETs", Unit: "per s"}
	rps.add(perf.Quince, 300)
	rps.add(perf.QuicGo, 600)
	r.H3 = []*figure{rps}
	r.Ceiling = []*figure{ceil}

	md := r.markdown()
	for _, want := range []string{
		"| bulk | Mbit/s (higher is better) | 2000 | 1000 | 2.00 | 25.0% | 12.5% |",
		"| handshakes | per s (higher is better) | failed | 500 | – | – | – |",
		"| UDP, plain | 8000 |",
		"## HTTP/3\n",
		"| HTTP/3 GETs | per s (higher is better) | 300 | 600 | 0.50 | – | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}

	path := filepath.Join(t.TempDir(), "r.png")
	if err := writeChart(path, r); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("chart is not a PNG: %v", err)
	}
}

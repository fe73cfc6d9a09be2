package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// progress shows, on a terminal, one status line for the downloads under
// way once they have taken longer than a second. Elsewhere it does nothing.
type progress struct {
	w     io.Writer
	mu    sync.Mutex
	list  []*download
	quit  chan struct{}
	ended chan struct{}
	once  sync.Once
}

// newProgress starts a progress display on f if f is a terminal.
func newProgress(f *os.File) *progress {
	p := &progress{w: f, quit: make(chan struct{}), ended: make(chan struct{})}
	if info, err := f.Stat(); err != nil || info.Mode()&os.ModeCharDevice == 0 {
		close(p.ended)
		return p
	}
	go p.run()
	return p
}

func (p *progress) add(d *download) {
	p.mu.Lock()
	p.list = append(p.list, d)
	p.mu.Unlock()
}

// stop ends the display and clears its line; it may be called many times.
func (p *progress) stop() {
	p.once.Do(func() { close(p.quit) })
	<-p.ended
}

func (p *progress) run() {
	defer close(p.ended)
	start := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	shown := false
	var last int64
	lastTime := start
	for {
		select {
		case <-p.quit:
			if shown {
				fmt.Fprint(p.w, "\r\033[K")
			}
			return
		case now := <-tick.C:
			if now.Sub(start) < time.Second {
				continue
			}
			line, total := p.line()
			rate := float64(total-last) / now.Sub(lastTime).Seconds()
			last, lastTime = total, now
			fmt.Fprintf(p.w, "\r\033[K%s  %s/s", line, size(int64(rate)))
			shown = true
		}
	}
}

// line describes the downloads under way and returns the bytes received in
// all.
func (p *progress) line() (string, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	var total int64
	active := 0
	for _, d := range p.list {
		n := d.n.Load()
		total += n
		if !d.started.Load() || d.done.Load() {
			continue
		}
		if active < 4 {
			fmt.Fprintf(&b, "%s %s  ", path.Base(d.url), size(n))
		}
		active++
	}
	if active > 4 {
		fmt.Fprintf(&b, "and %d more  ", active-4)
	}
	fmt.Fprintf(&b, "total %s", size(total))
	return b.String(), total
}

// size formats a byte count.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

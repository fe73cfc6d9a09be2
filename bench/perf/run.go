package perf

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Result is one client run's outcome; it is printed as JSON by perf -json.
type Result struct {
	Stack   string  `json:"stack"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	Mbps    float64 `json:"mbps"`

	// For handshake runs.
	Handshakes    int     `json:"handshakes,omitempty"`
	HandshakesSec float64 `json:"handshakes_per_sec,omitempty"`
	// Dial latency (dial to handshake complete) in milliseconds: median,
	// 99th percentile and maximum.
	HandshakeP50 float64 `json:"handshake_p50_ms,omitempty"`
	HandshakeP99 float64 `json:"handshake_p99_ms,omitempty"`
	HandshakeMax float64 `json:"handshake_max_ms,omitempty"`

	// For HTTP/3 request runs.
	Requests    int     `json:"requests,omitempty"`
	RequestsSec float64 `json:"requests_per_sec,omitempty"`

	// Packets counted by the stack, summed over connections, if it counts.
	PacketsSent     uint64 `json:"packets_sent,omitempty"`
	PacketsReceived uint64 `json:"packets_received,omitempty"`
}

// Transfer describes a throughput run.
type Transfer struct {
	Addr     string
	Conns    int   // concurrent connections, each dialed once
	Streams  int   // concurrent streams per connection
	Upload   int64 // bytes each stream uploads
	Download int64 // bytes each stream downloads
}

// maxDialing is how many handshakes RunTransfer has in flight at once.
const maxDialing = 16

// RunTransfer dials t.Conns connections from c (at most 16 handshakes at
// a time), runs t.Streams concurrent
// requests on each, and times the whole, handshakes included.
func RunTransfer(ctx context.Context, c Client, t Transfer) (Result, error) {
	conns := max(t.Conns, 1)
	streams := max(t.Streams, 1)
	var (
		mu       sync.Mutex
		firstErr error
		sent     uint64
		recv     uint64
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	// Handshakes in flight are bounded: a quic-go server refuses sessions
	// beyond 32 completed but not yet accepted, which a starved accept loop
	// reaches when 100 handshakes complete at once on a small machine.
	dialing := make(chan struct{}, maxDialing)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dialing <- struct{}{}
			conn, err := c.Dial(ctx, t.Addr)
			<-dialing
			if err != nil {
				fail(fmt.Errorf("dial: %w", err))
				return
			}
			defer conn.Close()
			var swg sync.WaitGroup
			for range streams {
				swg.Add(1)
				go func() {
					defer swg.Done()
					st, err := conn.OpenStream(ctx)
					if err != nil {
						fail(fmt.Errorf("open stream: %w", err))
						return
					}
					if err := Request(st, t.Upload, t.Download); err != nil {
						fail(err)
					}
				}()
			}
			swg.Wait()
			if s, r, ok := conn.PacketCounts(); ok {
				mu.Lock()
				sent += s
				recv += r
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if firstErr != nil {
		return Result{}, firstErr
	}
	total := int64(conns) * int64(streams) * (t.Upload + t.Download)
	return Result{
		Bytes:           total,
		Seconds:         secs,
		Mbps:            float64(total) * 8 / secs / 1e6,
		PacketsSent:     sent,
		PacketsReceived: recv,
	}, nil
}

// RunHandshakes completes n handshakes, parallel at a time, closing each
// session as soon as its handshake is done.
func RunHandshakes(ctx context.Context, c Client, addr string, n, parallel int) (Result, error) {
	parallel = max(1, min(parallel, n))
	var (
		mu       sync.Mutex
		firstErr error
		next     int
		wg       sync.WaitGroup
	)
	lat := make([]time.Duration, n)
	start := time.Now()
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= n || firstErr != nil {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				t0 := time.Now()
				conn, err := c.Dial(ctx, addr)
				lat[i] = time.Since(t0)
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("dial: %w", err)
					}
					mu.Unlock()
					return
				}
				conn.Close()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	if firstErr != nil {
		return Result{}, firstErr
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		return float64(lat[min(n-1, int(q*float64(n)))]) / 1e6
	}
	return Result{
		Seconds: secs, Handshakes: n, HandshakesSec: float64(n) / secs,
		HandshakeP50: ms(0.5), HandshakeP99: ms(0.99), HandshakeMax: ms(1),
	}, nil
}

// OpenIdle opens n sessions, parallel handshakes at a time, and returns
// them open and idle. On error it closes those it opened.
func OpenIdle(ctx context.Context, c Client, addr string, n, parallel int) ([]Conn, error) {
	parallel = max(1, min(parallel, n))
	conns := make([]Conn, n)
	errs := make([]error, parallel)
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += parallel {
				conn, err := c.Dial(ctx, addr)
				if err != nil {
					errs[w] = fmt.Errorf("dial %d: %w", i, err)
					return
				}
				conns[i] = conn
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		CloseAll(conns)
		return nil, err
	}
	return conns, nil
}

// CloseAll closes every non-nil conn.
func CloseAll(conns []Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

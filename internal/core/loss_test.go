package core

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runOutcome is everything a seeded run is compared by.
type runOutcome struct {
	Trace                []string
	End                  time.Duration
	Client, Server       Stats
	ClientCwnd, ClientIF int
	ServerCwnd, ServerIF int
}

// seededRun does a handshake and a transfer of several streams over an
// impaired link and reports what happened.
func seededRun(t *testing.T, seed uint64, sizes []int, serverCfg *Config) runOutcome {
	t.Helper()
	link := linkConfig{
		delay:     10 * time.Millisecond,
		jitter:    5 * time.Millisecond,
		loss:      0.05,
		duplicate: 0.03,
		corrupt:   0.02,
	}
	p := newTestPair(t, seed, link, nil, serverCfg)
	runTransfer(t, p, sizes, time.Hour)
	var o runOutcome
	o.Trace = p.trace
	o.End = p.now.Sub(testStart)
	o.Client, o.ClientCwnd, o.ClientIF = p.client.Stats()
	o.Server, o.ServerCwnd, o.ServerIF = p.server.Stats()
	return o
}

// TestDeterminism runs the same seed twice and expects the very same run:
// every datagram at the same fake time with the same size, the same
// counters. A different seed must give a different run, or the comparison
// would prove nothing.
func TestDeterminism(t *testing.T) {
	for _, tc := range []struct {
		name  string
		sizes []int
		// server returns a fresh server Config for each run.
		server func() *Config
	}{
		{"streams", append(repeat(30, 20<<10), 1<<20), func() *Config { return nil }},
		// Small windows keep many streams blocked on connection and stream
		// flow control, so the order in which they resume matters.
		{"flow_blocked", repeat(40, 50<<10), func() *Config {
			return &Config{InitialMaxData: 32 << 10, MaxData: 64 << 10, InitialMaxStreamData: 8 << 10, MaxStreamData: 16 << 10, MaxBidiStreams: 10}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := seededRun(t, 1234, tc.sizes, tc.server())
			b := seededRun(t, 1234, tc.sizes, tc.server())
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("same seed, different runs (-first +second):\n%s", diff)
			}
			c := seededRun(t, 4321, tc.sizes, tc.server())
			if cmp.Equal(a.Trace, c.Trace) {
				t.Errorf("seeds 1234 and 4321 gave the same trace of %d datagrams", len(a.Trace))
			}
		})
	}
}

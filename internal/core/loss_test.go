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
	o.Client = p.client.Stats()
	o.ClientCwnd, o.ClientIF = o.Client.CongestionWindow, o.Client.BytesInFlight
	o.Server = p.server.Stats()
	o.ServerCwnd, o.ServerIF = o.Server.CongestionWindow, o.Server.BytesInFlight
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

// TestLossBlackout cuts the link in both directions for a while in the
// middle of a transfer, shorter than the idle timeout: the PTO backs off
// (RFC 9002, Section 6.2.1), and once the link returns the transfer resumes
// and completes.
func TestLossBlackout(t *testing.T) {
	for _, outage := range []time.Duration{time.Second, 5 * time.Second} {
		t.Run(outage.String(), func(t *testing.T) {
			p := newTestPair(t, 9, linkConfig{delay: 10 * time.Millisecond, jitter: 2 * time.Millisecond, loss: 0.02}, nil, nil)
			p.handshake()
			tr := newTransfer(p, []int{2 << 20, 300 << 10}, 1)
			var from time.Time
			p.onDatagram = func(toServer bool, d []byte) bool {
				if from.IsZero() {
					if got := tr.got[tr.ids[0]]; got != nil && got.Len() > 512<<10 {
						from = p.now
					}
				}
				return from.IsZero() || p.now.Sub(from) >= outage
			}
			if !p.run(time.Hour, tr.done) {
				t.Fatalf("transfer did not finish: client err %v, server err %v", p.client.Err(), p.serverErr())
			}
			if from.IsZero() {
				t.Fatalf("the outage never started")
			}
			tr.check(t)
			checkOpen(t, p)
			cs := p.client.Stats()
			if cs.PTOCount == 0 {
				t.Errorf("no PTO during a %v outage", outage)
			}
		})
	}
}

// TestLossyHandshake completes handshakes over links losing a third of all
// datagrams, across seeds.
func TestLossyHandshake(t *testing.T) {
	link := linkConfig{delay: 15 * time.Millisecond, jitter: 5 * time.Millisecond, loss: 0.33, duplicate: 0.05}
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run("seed"+itoa(int(seed)), func(t *testing.T) {
			p := newTestPair(t, seed, link, nil, nil)
			runTransfer(t, p, []int{20 << 10}, 10*time.Minute)
		})
	}
}

package quic

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quince-go/quic/internal/qlog"
)

// waitEnded waits until the session's goroutine has returned, which closes
// its trace.
func waitEnded(t *testing.T, s *Session) {
	t.Helper()
	select {
	case <-s.loopDone:
	case <-testCtx(t).Done():
		t.Fatal("session did not end")
	}
}

// TestQlogDir checks that sessions with Config.QlogDir write one JSON-SEQ
// trace each, named by the connection's original destination connection
// ID and role, whose records parse and name QUIC events.
func TestQlogDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "qlog") // created by the sessions
	conf := &Config{QlogDir: dir}
	l := listen(t, conf)
	echoServer(l)
	_, ctls := testTLS(t)
	c, err := Dial(testCtx(t), "udp", l.Addr().String(), ctls, conf)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := echo(testCtx(t), c, []byte("traced")); err != nil || string(got) != "traced" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	c.Close()
	waitEnded(t, c)
	l.Close() // waits for the server's session

	odcid := hex.EncodeToString(c.odcid)
	for _, role := range []string{"client", "server"} {
		name := filepath.Join(dir, odcid+"_"+role+".sqlog")
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		events := map[string]int{}
		for i, rec := range bytes.Split(b, []byte{0x1e}) {
			if i == 0 {
				if len(rec) != 0 {
					t.Fatalf("%s does not start with a record separator", name)
				}
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(rec, &m); err != nil {
				t.Fatalf("%s: record %d: %v: %q", name, i, err, rec)
			}
			if i == 1 {
				if m["file_schema"] != qlog.FileSchema {
					t.Errorf("%s: header file_schema = %v", name, m["file_schema"])
				}
				continue
			}
			if _, ok := m["time"].(float64); !ok {
				t.Errorf("%s: record %d has no time", name, i)
			}
			ev, _ := m["name"].(string)
			events[ev]++
		}
		for _, ev := range []string{"quic:packet_sent", "quic:packet_received", "quic:connection_state_updated", "quic:parameters_set"} {
			if events[ev] == 0 {
				t.Errorf("%s: no %s event; have %v", name, ev, events)
			}
		}
	}
}

// recorder is a slog.Handler that keeps the records of level and above.
type recorder struct {
	level slog.Level
	mu    sync.Mutex
	recs  []slog.Record
}

func (r *recorder) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// messages returns "role: message" for each record with conn_id id, and
// how many records had another or none.
func (r *recorder) messages(id string) (msgs []string, other int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.recs {
		var connID, role string
		rec.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "conn_id":
				connID = a.Value.String()
			case "role":
				role = a.Value.String()
			}
			return true
		})
		if connID != id {
			other++
			continue
		}
		msgs = append(msgs, role+": "+rec.Message)
	}
	return msgs, other
}

// TestLogger checks the records a Config.Logger gets at Info and at Debug
// level: each names the connection, both sides alike.
func TestLogger(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  []string // in any order
	}{
		{slog.LevelInfo, []string{
			"client: quic: handshake complete", "server: quic: handshake complete",
			"client: quic: migrating to a new socket", "client: quic: migration complete",
			"server: quic: peer address changed",
			"client: quic: session closed", "server: quic: session closed",
		}},
		{slog.LevelDebug, []string{"client: quic: key update", "server: quic: key update"}},
	}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			rec := &recorder{level: tt.level}
			conf := &Config{Logger: slog.New(rec)}
			l := listen(t, conf)
			c, s := pair(t, l, conf)
			download(t, c, s, 1000, 1, func() {})
			if err := c.Migrate(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if err := c.UpdateKeys(); err != nil {
				t.Fatal(err)
			}
			download(t, c, s, 64<<10, 1, func() {})
			c.Close()
			waitEnded(t, c)
			l.Close()
			got, other := rec.messages(hex.EncodeToString(c.odcid))
			if other != 0 {
				t.Errorf("%d records without the connection's conn_id", other)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("no record %q; got %q", w, got)
				}
			}
			if tt.level > slog.LevelDebug {
				for _, m := range got {
					if strings.Contains(m, "key update") {
						t.Errorf("record %q at level %v", m, tt.level)
					}
				}
			}
		})
	}
}

// TestTransferAllocsLoggerOff checks that a Logger whose level is off
// costs the datapath no allocation.
func TestTransferAllocsLoggerOff(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	r := testing.Benchmark(BenchmarkTransferLoggerOff)
	perDatagram := r.Extra["allocs/datagram"]
	t.Logf("%v allocs/datagram, %d allocs/op", perDatagram, r.AllocsPerOp())
	if perDatagram > 0.05 {
		t.Errorf("%v allocations per received datagram, want at most 0.05", perDatagram)
	}
}

// BenchmarkTransferLoggerOff is BenchmarkTransfer with a Logger on both
// sides that enables no level the sessions log at.
func BenchmarkTransferLoggerOff(b *testing.B) {
	benchmarkTransfer(b, &Config{Logger: slog.New(&recorder{level: slog.LevelError + 1})})
}

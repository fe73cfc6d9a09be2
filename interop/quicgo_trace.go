package interop

import (
	"context"
	"sync/atomic"

	quicgo "github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/qlog"
	"github.com/quic-go/quic-go/qlogwriter"
)

// keyUpdateTrace is a quic-go qlog trace that keeps nothing but counts
// the connection's 1-RTT key updates, by who started them: quic-go's
// public API reports key updates only as qlog events.
type keyUpdateTrace struct {
	local, remote atomic.Int64
}

func (t *keyUpdateTrace) AddProducer() qlogwriter.Recorder { return keyUpdateRecorder{t} }

type keyUpdateRecorder struct{ t *keyUpdateTrace }

// RecordEvent counts one event per update: each update changes both
// directions' keys, logged as two events, and the server's is counted.
func (r keyUpdateRecorder) RecordEvent(ev qlogwriter.Event) {
	ku, ok := ev.(qlog.KeyUpdated)
	if !ok || ku.KeyType != qlog.KeyTypeServer1RTT {
		return
	}
	switch ku.Trigger {
	case qlog.KeyUpdateLocal:
		r.t.local.Add(1)
	case qlog.KeyUpdateRemote:
		r.t.remote.Add(1)
	}
}

func (keyUpdateRecorder) Close() error { return nil }

// keyUpdateTracer is a quic-go Config.Tracer that gives each connection
// a keyUpdateTrace, which its QlogTrace returns.
func keyUpdateTracer(context.Context, bool, quicgo.ConnectionID) qlogwriter.Trace {
	return new(keyUpdateTrace)
}

// quicgoKeyUpdates returns conn's key update counts from its trace.
func quicgoKeyUpdates(conn *quicgo.Conn) (all, remote int64) {
	t, ok := conn.QlogTrace().(*keyUpdateTrace)
	if !ok {
		return 0, -1
	}
	return t.local.Load() + t.remote.Load(), t.remote.Load()
}

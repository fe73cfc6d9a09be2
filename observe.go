package quic

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/netip"
	"os"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/qlog"
)

// Observability (issue 8): qlog traces and structured logs of sessions.
//
// A session's qlog trace and log records are named by the connection's
// original destination connection ID (the client's first choice), in hex:
// the trace's file is <odcid>_client.sqlog or <odcid>_server.sqlog in
// Config.QlogDir, and each log record has it as the attribute "conn_id".
// Both sides of a connection thus share the name.

// startTrace returns the qlog tracer of a new session, or nil without
// Config.QlogDir. A trace that cannot be created is logged and skipped: a
// debugging aid never fails a session.
func (c *Config) startTrace(client bool, odcid []byte) *qlog.Tracer {
	if c == nil || c.QlogDir == "" {
		return nil
	}
	err := os.MkdirAll(c.QlogDir, 0o755)
	var t *qlog.Tracer
	if err == nil {
		t, err = qlog.DirTracerFactory(c.QlogDir)(client, odcid)
	}
	if err != nil {
		if l := c.logger(); l != nil && l.Enabled(context.Background(), slog.LevelWarn) {
			l.LogAttrs(context.Background(), slog.LevelWarn, "quic: no qlog trace",
				slog.String("conn_id", hex.EncodeToString(odcid)), slog.Any("err", err))
		}
		return nil
	}
	return t
}

// trace starts the qlog trace of a new connection, whose core config is
// cfg, and returns it, or nil. The session closes it when it ends; whoever
// fails to make the session closes it.
func (c *Config) trace(cfg *core.Config, client bool, odcid []byte) *qlog.Tracer {
	t := c.startTrace(client, odcid)
	if t != nil {
		cfg.Tracer = t // only a non-nil *Tracer: a nil one in the interface would be called
	}
	return t
}

// observed records what names the session in its logs, and its trace.
func (s *Session) observed(odcid []byte, t *qlog.Tracer) {
	s.odcid = odcid
	s.trace = t
}

func (c *Config) logger() *slog.Logger {
	if c == nil {
		return nil
	}
	return c.Logger
}

// logs reports whether records of level are wanted. Callers check it before
// they build a record, so that nothing is formatted or allocated when the
// level is off.
func (s *Session) logs(level slog.Level) bool {
	return s.logger != nil && s.logger.Enabled(context.Background(), level)
}

// log writes a record with the session's connection ID and role; the
// caller has checked logs(level).
func (s *Session) log(level slog.Level, msg string, attrs ...slog.Attr) {
	role := "server"
	if s.conn.IsClient() {
		role = "client"
	}
	attrs = append(attrs, slog.String("conn_id", hex.EncodeToString(s.odcid)), slog.String("role", role))
	s.logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// logHandshake logs the completed handshake. Loop goroutine.
func (s *Session) logHandshake(cs *ConnectionState) {
	if !s.logs(slog.LevelInfo) {
		return
	}
	s.log(slog.LevelInfo, "quic: handshake complete",
		slog.String("remote", s.peerAddr.String()),
		slog.String("version", versionName(cs.Version)),
		slog.String("alpn", cs.ALPN),
		slog.Bool("resumed", cs.Resumed),
		slog.Bool("0rtt", cs.EarlyDataAccepted),
		slog.Bool("retry", cs.Retried))
}

// logClosed logs the end of the session and why. Loop goroutine.
func (s *Session) logClosed(err error) {
	if !s.logs(slog.LevelInfo) {
		return
	}
	s.log(slog.LevelInfo, "quic: session closed", slog.Any("err", err))
}

// logKeyUpdates logs the 1-RTT key updates (RFC 9001, Section 6) since
// the last call, at Debug level: a long transfer may have many. It costs
// one Enabled call when the level is off. Loop goroutine.
func (s *Session) logKeyUpdates() {
	if !s.logs(slog.LevelDebug) {
		return
	}
	n := s.conn.Stats().KeyUpdates
	if n == s.keyUpdatesLogged {
		return
	}
	s.keyUpdatesLogged = n
	s.log(slog.LevelDebug, "quic: key update", slog.Uint64("key_updates", n))
}

// logPath logs a change of path (RFC 9000, Section 9). Loop goroutine.
func (s *Session) logPath(msg string, addr netip.AddrPort, attrs ...slog.Attr) {
	if !s.logs(slog.LevelInfo) {
		return
	}
	s.stateMu.Lock()
	local := s.local
	s.stateMu.Unlock()
	attrs = append(attrs, slog.String("remote", addr.String()), slog.String("local", local.String()))
	s.log(slog.LevelInfo, msg, attrs...)
}

// versionName names a QUIC version in logs.
func versionName(v uint32) string {
	switch v {
	case Version1:
		return "v1"
	case Version2:
		return "v2"
	}
	return "0x" + hex.EncodeToString([]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

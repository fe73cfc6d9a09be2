package hq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/quince-go/quic"
)

// requestTimeout bounds how long a server waits for a request's FIN.
const requestTimeout = 10 * time.Second

// Server serves the files of FS with hq-interop.
type Server struct {
	// FS holds the files; a request for "/" serves index.html.
	FS fs.FS
	// Logger receives one line per session and per request; nil discards.
	Logger *slog.Logger
}

// Serve accepts sessions from l and serves each of them until ctx ends or
// l closes; it returns nil when l closed, ctx's error otherwise. It does not
// close l.
func (s *Server) Serve(ctx context.Context, l *quic.Listener) error {
	for {
		sess, err := l.Accept(ctx)
		if err != nil {
			if errors.Is(err, quic.ErrListenerClosed) {
				return nil
			}
			return err
		}
		go s.ServeSession(ctx, sess)
	}
}

// ServeSession serves the requests of one session until it ends or ctx
// ends.
func (s *Server) ServeSession(ctx context.Context, sess *quic.Session) {
	log := s.logger().With("remote", sess.RemoteAddr().String())
	cs := sess.ConnectionState()
	log.Info("session", "alpn", cs.ALPN, "version", VersionName(cs.Version))
	for {
		st, err := sess.AcceptStream(ctx)
		if err != nil {
			log.Info("session ended", "cause", context.Cause(sess.Context()))
			return
		}
		go s.serveStream(log, st)
	}
}

// serveStream answers the request on st.
func (s *Server) serveStream(log *slog.Logger, st *quic.Stream) {
	defer st.Close()
	st.SetReadDeadline(time.Now().Add(requestTimeout))
	path, err := ReadRequest(st)
	if err != nil {
		log.Warn("bad request", "stream", st.StreamID(), "err", err)
		st.CancelRead(CodeBadRequest)
		st.CancelWrite(CodeBadRequest)
		return
	}
	start := time.Now()
	f, err := s.open(path)
	if err != nil {
		log.Info("not found", "path", path, "err", err)
		st.CancelWrite(CodeNotFound)
		return
	}
	defer f.Close()
	n, err := io.Copy(st, f)
	if err != nil {
		log.Warn("send failed", "path", path, "bytes", n, "err", err)
		st.CancelWrite(CodeInternal)
		return
	}
	log.Info("sent", "path", path, "bytes", n, "duration", time.Since(start).Round(time.Millisecond))
}

// open opens the regular file for a request path.
func (s *Server) open(path string) (fs.File, error) {
	name := strings.TrimPrefix(path, "/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	if !fs.ValidPath(name) {
		return nil, fs.ErrInvalid
	}
	f, err := s.FS.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// VersionName names a QUIC version as "v1" or "v2".
func VersionName(v uint32) string {
	switch v {
	case quic.Version1:
		return "v1"
	case quic.Version2:
		return "v2"
	}
	return fmt.Sprintf("%#x", v)
}

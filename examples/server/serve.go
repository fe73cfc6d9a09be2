package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/examples/internal/hq"
	"github.com/quince-go/quic/http3"
)

// serve accepts sessions from l and hands each, by the application
// protocol its client chose (ALPN), to h3 or to hqSrv. It returns nil
// when l closes. It does not close l.
func serve(ctx context.Context, l *quic.Listener, hqSrv *hq.Server, h3 *http3.Server, log *slog.Logger) error {
	for {
		sess, err := l.Accept(ctx)
		if err != nil {
			if errors.Is(err, quic.ErrListenerClosed) {
				return nil
			}
			return err
		}
		switch alpn := sess.ConnectionState().ALPN; alpn {
		case http3.NextProtoH3:
			go func() {
				log.Info("session", "remote", sess.RemoteAddr().String(), "alpn", alpn)
				h3.ServeSession(sess)
			}()
		default:
			go hqSrv.ServeSession(ctx, sess)
		}
	}
}

// filesHandler serves the files of files over HTTP: "/" is index.html,
// other paths name files; anything else is 404. HEAD and GET only.
func filesHandler(files fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		if !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		f, err := files.Open(name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(name, ".html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		w.Header().Set("Content-Length", fmt.Sprint(st.Size()))
		if r.Method == http.MethodHead {
			return
		}
		io.Copy(w, f)
	})
}

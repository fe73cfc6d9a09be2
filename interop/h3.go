package interop

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The HTTP/3 cases share one application on every server that runs Go
// code (quince's and quic-go's http3 packages):
//
//	GET  /f/<size>/<name>  the File's bytes, with Content-Length
//	POST /upload           reads the body; answers "<sha256 hex> <bytes>"
//	GET  /                 an HTML page holding PageMarker (for browsers)
//	GET  /page/<size>      the same page padded to about size bytes, the
//	                       marker last
//
// ngtcp2's gtlsserver serves only files from a directory, so the cases
// against it write the Files there (File.WriteTo).

// PageMarker is the text the index page holds, which a browser's DOM dump
// must contain.
const PageMarker = "quince-h3-interop-page-7f3a"

// pageHTML is the index page.
var pageHTML = "<!DOCTYPE html>\n<html><head><title>quince HTTP/3</title></head>\n" +
	"<body><p id=\"marker\">" + html.EscapeString(PageMarker) + "</p></body></html>\n"

// H3Handler is the HTTP/3 cases' application. conn, if not nil, returns an
// identity of the connection a request came on (such as a session
// pointer), which the handler records for Conns.
type H3Handler struct {
	conn func(*http.Request) any

	mu     sync.Mutex
	conns  map[any]bool
	agents []string // User-Agent of each index page request
	protos map[string]int

	inFlight, maxInFlight int

	// hold: requests whose path contains holdPrefix wait in the handler
	// until holdN of them are there (then held is closed) or holdFor
	// passes.
	holdPrefix string
	holdN      int
	holdFor    time.Duration
	holding    int
	held       chan struct{}
}

// Hold makes requests whose path contains prefix wait in the handler until
// n such requests are there at once, or at most d. Held reports whether
// they all were.
func (h *H3Handler) Hold(prefix string, n int, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holdPrefix, h.holdN, h.holdFor = prefix, n, d
	h.held = make(chan struct{})
}

// Held reports whether the requests Hold named were all in the handler at
// once.
func (h *H3Handler) Held() bool {
	h.mu.Lock()
	held := h.held
	h.mu.Unlock()
	select {
	case <-held:
		return true
	default:
		return false
	}
}

// NewH3Handler returns a handler that records connections with conn.
func NewH3Handler(conn func(*http.Request) any) *H3Handler {
	return &H3Handler{conn: conn, conns: make(map[any]bool), protos: make(map[string]int)}
}

// Conns returns how many connections carried requests.
func (h *H3Handler) Conns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// MaxInFlight returns the most requests the handler was serving at once.
func (h *H3Handler) MaxInFlight() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxInFlight
}

// PageAgents returns the User-Agent of each request for a page (/ or
// /page/<size>).
func (h *H3Handler) PageAgents() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.agents...)
}

// Protos returns how many requests came with each protocol version
// (r.Proto, "HTTP/3.0" for HTTP/3).
func (h *H3Handler) Protos() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.protos))
	for k, v := range h.protos {
		out[k] = v
	}
	return out
}

func (h *H3Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.conn != nil {
		if c := h.conn(r); c != nil {
			h.conns[c] = true
		}
	}
	h.protos[r.Proto]++
	if r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/page/") {
		h.agents = append(h.agents, r.UserAgent())
	}
	h.inFlight++
	h.maxInFlight = max(h.maxInFlight, h.inFlight)
	held, holdFor := h.held, h.holdFor
	hold := held != nil && strings.Contains(r.URL.Path, h.holdPrefix)
	if hold {
		h.holding++
		if h.holding == h.holdN {
			close(h.held)
		}
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
	}()
	if hold {
		t := time.NewTimer(holdFor)
		select {
		case <-held:
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}

	switch {
	case r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, pageHTML)
	case r.URL.Path == "/upload" && r.Method == http.MethodPost:
		sum := sha256.New()
		n, err := io.Copy(sum, r.Body)
		if err != nil {
			http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%x %d", sum.Sum(nil), n)
	case strings.HasPrefix(r.URL.Path, "/page/") && r.Method == http.MethodGet:
		size, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/page/"))
		if err != nil || size < 0 || size > maxFileSize {
			http.Error(w, "bad size", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		writePaddedPage(w, size)
	case strings.HasPrefix(r.URL.Path, "/f/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		f, err := ParsePath(r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(f.Size))
		if r.Method == http.MethodGet {
			io.Copy(w, f.Reader())
		}
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// writePaddedPage writes an HTML page of about size bytes: paragraphs of
// filler, then the marker.
func writePaddedPage(w io.Writer, size int) {
	io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>quince HTTP/3</title></head>\n<body>\n")
	const line = "<p>quince serves this filler over HTTP/3 to make the page large.</p>\n"
	for n := 0; n+len(line) <= size; n += len(line) {
		io.WriteString(w, line)
	}
	io.WriteString(w, "<p id=\"marker\">"+html.EscapeString(PageMarker)+"</p></body></html>\n")
}

// UploadAnswer is the body the handler answers an upload of f with.
func UploadAnswer(f File) string {
	sum := f.Sum()
	return fmt.Sprintf("%s %d", hex.EncodeToString(sum[:]), f.Size)
}

// CheckBody reads body to its end and checks that it is f's content.
func CheckBody(body io.Reader, f File) error {
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return fmt.Errorf("%s: reading the body after %d bytes: %w", f.Path, n, err)
	}
	want := f.Sum()
	if n != int64(f.Size) || string(h.Sum(nil)) != string(want[:]) {
		return fmt.Errorf("%s: got %d bytes with SHA-256 %x, want %d bytes with %x", f.Path, n, h.Sum(nil), f.Size, want)
	}
	return nil
}

// H3Get fetches base+f.Path with c and checks the response is f over
// HTTP/3.
func H3Get(ctx context.Context, c *http.Client, base string, f File) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+f.Path, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", f.Path, err)
	}
	defer resp.Body.Close()
	if err := checkResponse(resp); err != nil {
		return fmt.Errorf("GET %s: %w", f.Path, err)
	}
	return CheckBody(resp.Body, f)
}

// H3Post uploads f's content to base+path with c, streaming it, and
// returns the response body.
func H3Post(ctx context.Context, c *http.Client, base, path string, f File) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, io.NopCloser(f.Reader()))
	if err != nil {
		return "", err
	}
	req.ContentLength = int64(f.Size)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	if err := checkResponse(resp); err != nil {
		return "", fmt.Errorf("POST %s: %w", path, err)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("POST %s: reading the response: %w", path, err)
	}
	return string(b), nil
}

func checkResponse(resp *http.Response) error {
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("status %s: %q", resp.Status, b)
	}
	if resp.ProtoMajor != 3 {
		return fmt.Errorf("response protocol %s, want HTTP/3", resp.Proto)
	}
	return nil
}

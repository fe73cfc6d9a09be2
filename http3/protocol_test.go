package http3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quince-go/quic"
	"github.com/quince-go/quic/internal/core/wire"
)

// rawClient is an HTTP/3 client session driven frame by frame, to send
// what Transport never would.
type rawClient struct {
	t *testing.T
	c *conn
}

func newRawClient(t *testing.T, e *testEnv) *rawClient {
	t.Helper()
	conf := e.tr.TLSClientConfig.Clone()
	conf.NextProtos = []string{NextProtoH3}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := quic.Dial(ctx, "udp", e.l.Addr().String(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := newConn(ctx, s, false, makeLimits(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return &rawClient{t: t, c: c}
}

// request opens a stream, writes frames (HEADERS frames are encoded from
// fields) and its FIN, and returns the stream.
func (rc *rawClient) request(fields []field, extra ...[]byte) *quic.Stream {
	rc.t.Helper()
	st, err := rc.c.s.OpenStream(context.Background())
	if err != nil {
		rc.t.Fatal(err)
	}
	var b []byte
	if fields != nil {
		if b, err = rc.c.encodeHeaders(nil, st.StreamID(), fields); err != nil {
			rc.t.Fatal(err)
		}
	}
	for _, x := range extra {
		b = append(b, x...)
	}
	if _, err := st.Write(b); err != nil {
		rc.t.Fatal(err)
	}
	st.CloseWrite()
	return st
}

// readResponse reads the response on st: its status, or the code of the
// stream's reset, or the code of the connection's close.
func (rc *rawClient) readResponse(st *quic.Stream) (status int, code ErrCode, conn bool) {
	rc.t.Helper()
	fr := newFrameReader(st, 1<<20)
	f, err := fr.next()
	if err != nil {
		var h3err *Error
		if errors.As(fromQUIC(err), &h3err) && h3err.Remote {
			return 0, h3err.Code, h3err.Connection
		}
		rc.t.Fatalf("reading response: %v", err)
	}
	fields, err := rc.c.decodeHeaders(context.Background(), st.StreamID(), f.payload)
	if err != nil {
		rc.t.Fatal(err)
	}
	m, err := parseFields(fields, responseSection)
	if err != nil {
		rc.t.Fatal(err)
	}
	return m.status, 0, false
}

func reqFields(kv ...string) []field {
	return fl(append([]string{":method", "GET", ":scheme", "https", ":authority", "localhost", ":path", "/"}, kv...)...)
}

func TestMalformedRequests(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("ok"))
	}))
	dataFrame := appendFrame(nil, frameData, []byte("abc"))
	tests := []struct {
		name   string
		fields []field
		extra  [][]byte
		status int
		code   ErrCode
		conn   bool
	}{
		{name: "valid", fields: reqFields(), status: 200},
		{name: "valid with unknown frames", fields: reqFields(), extra: [][]byte{appendFrame(nil, 0x21, []byte("x")), dataFrame}, status: 200},
		{name: "uppercase name", fields: reqFields("X-Upper", "v"), code: ErrCodeMessageError},
		{name: "connection header", fields: reqFields("connection", "close"), code: ErrCodeMessageError},
		{name: "missing path", fields: fl(":method", "GET", ":scheme", "https", ":authority", "h"), code: ErrCodeMessageError},
		{name: "pseudo after regular", fields: fl(":method", "GET", "x", "y", ":scheme", "https", ":authority", "h", ":path", "/"), code: ErrCodeMessageError},
		{name: "content-length mismatch", fields: reqFields("content-length", "10"), extra: [][]byte{dataFrame}, code: ErrCodeMessageError},
		{name: "no HEADERS", code: ErrCodeRequestIncomplete},
		{name: "DATA first", extra: [][]byte{dataFrame}, code: ErrCodeFrameUnexpected, conn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newRawClient(t, e)
			st := rc.request(tt.fields, tt.extra...)
			status, code, conn := rc.readResponse(st)
			if status != tt.status || code != tt.code || conn != tt.conn {
				t.Errorf("got status %d code %v conn %v, want %d %v %v", status, code, conn, tt.status, tt.code, tt.conn)
			}
		})
	}
}

func TestOversizedHeaders(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}), func(s *Server) { s.MaxHeaderBytes = 1000 })
	big := strings.Repeat("v", 200)
	var many []string
	for i := range 10 {
		many = append(many, fmt.Sprintf("x-big-%d", i), big)
	}

	// Over the decoded size limit: 431.
	rc := newRawClient(t, e)
	if status, code, _ := rc.readResponse(rc.request(reqFields(many...))); status != 431 {
		t.Errorf("header section over the limit: status %d code %v, want 431", status, code)
	}
	// A HEADERS frame far over any limit: H3_EXCESSIVE_LOAD.
	rc = newRawClient(t, e)
	huge := appendFrameHeader(nil, frameHeaders, 1<<30)
	st := rc.request(nil, huge, make([]byte, 100))
	if _, code, conn := rc.readResponse(st); code != ErrCodeExcessiveLoad || !conn {
		t.Errorf("huge HEADERS frame: code %v conn %v, want connection H3_EXCESSIVE_LOAD", code, conn)
	}
	// The Transport refuses to send what the server announced it would
	// refuse, once the server's SETTINGS came.
	tr := &Transport{TLSClientConfig: e.tr.TLSClientConfig}
	defer tr.Close()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	tr.mu.Lock()
	for _, cc := range tr.conns {
		<-cc.c.settingsReady
	}
	tr.mu.Unlock()
	req, _ := http.NewRequest("GET", e.url+"/", nil)
	for i := 0; i < len(many); i += 2 {
		req.Header.Set(many[i], many[i+1])
	}
	if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized request: %v", err)
	}
}

func TestControlStreamErrors(t *testing.T) {
	e := newTestEnv(t, http.NotFoundHandler())
	uni := func(b ...byte) []byte { return b }
	tests := []struct {
		name string
		data []byte
		code ErrCode
	}{
		{name: "second control stream", data: uni(streamControl, frameSettings, 0), code: ErrCodeStreamCreationError},
		{name: "push stream from client", data: uni(streamPush, 0), code: ErrCodeStreamCreationError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newRawClient(t, e)
			st, err := rc.c.s.OpenUniStream(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			st.Write(tt.data)
			<-rc.c.s.Context().Done()
			var ae *quic.ApplicationError
			if err := context.Cause(rc.c.s.Context()); !errors.As(err, &ae) || ErrCode(ae.Code) != tt.code {
				t.Errorf("session ended with %v, want %v", err, tt.code)
			}
		})
	}
}

// TestMissingSettings opens a session whose control stream starts with
// something other than SETTINGS.
func TestMissingSettings(t *testing.T) {
	e := newTestEnv(t, http.NotFoundHandler())
	conf := e.tr.TLSClientConfig.Clone()
	conf.NextProtos = []string{NextProtoH3}
	s, err := quic.Dial(context.Background(), "udp", e.l.Addr().String(), conf, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.OpenUniStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.Write(append([]byte{streamControl}, appendGoAway(nil, 0)...))
	<-s.Context().Done()
	var ae *quic.ApplicationError
	if err := context.Cause(s.Context()); !errors.As(err, &ae) || ErrCode(ae.Code) != ErrCodeMissingSettings {
		t.Errorf("session ended with %v, want H3_MISSING_SETTINGS", err)
	}
}

// TestUnknownStreamType checks that a stream of an unknown type is
// refused with STOP_SENDING H3_STREAM_CREATION_ERROR, and the session
// goes on.
func TestUnknownStreamType(t *testing.T) {
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	rc := newRawClient(t, e)
	st, err := rc.c.s.OpenUniStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	typ := wire.AppendVarint(nil, 0x54)
	for {
		_, err = st.Write(append(typ, make([]byte, 1000)...))
		if err != nil {
			break
		}
		typ = nil
	}
	var se *quic.StreamError
	if !errors.As(err, &se) || ErrCode(se.ErrorCode) != ErrCodeStreamCreationError || !se.Remote {
		t.Errorf("write error %v, want STOP_SENDING H3_STREAM_CREATION_ERROR", err)
	}
	if status, _, _ := rc.readResponse(rc.request(reqFields())); status != 200 {
		t.Errorf("status %d after the unknown stream", status)
	}
}

func TestShutdownGoAway(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		w.Write([]byte("done " + r.URL.Path))
	}))
	// A request in flight when Shutdown begins completes.
	slow := make(chan string, 1)
	go func() {
		resp, err := e.client.Get(e.url + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-started
	var cc *clientConn
	e.tr.mu.Lock()
	for _, c := range e.tr.conns {
		cc = c
	}
	e.tr.mu.Unlock()
	<-cc.ready

	shut := make(chan error, 1)
	go func() { shut <- e.srv.Shutdown(context.Background()) }()
	// The client sees GOAWAY with the ID after the slow request's stream.
	select {
	case <-cc.c.goawayCh:
	case <-time.After(10 * time.Second):
		t.Fatal("no GOAWAY")
	}
	if got := cc.c.goneAway(); got != 4 {
		t.Errorf("GOAWAY ID %d, want 4", got)
	}
	// The session takes no new requests; Shutdown waits for the slow one.
	if cc.usable() {
		t.Error("session usable after GOAWAY")
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	close(release)
	if got := <-slow; got != "done /slow" {
		t.Errorf("slow request: %q", got)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestGoAwayRetry checks that requests after a GOAWAY go to a new session,
// and that a request the server rejected is retried there.
func TestGoAwayRetry(t *testing.T) {
	var mu sync.Mutex
	sessions := map[*quic.Session]string{}
	e := newTestEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := SessionFromContext(r.Context())
		mu.Lock()
		if sessions[s] == "" {
			sessions[s] = fmt.Sprint(len(sessions))
		}
		name := sessions[s]
		mu.Unlock()
		w.Write([]byte(name))
	}))
	get := func() string {
		resp, err := e.client.Get(e.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	first := get()
	e.srv.mu.Lock()
	var sc *serverConn
	for c := range e.srv.conns {
		sc = c
	}
	e.srv.mu.Unlock()
	var cc *clientConn
	e.tr.mu.Lock()
	for _, c := range e.tr.conns {
		cc = c
	}
	e.tr.mu.Unlock()
	<-cc.ready
	sc.goAway() // as Shutdown does, but the server keeps serving
	<-cc.c.goawayCh
	second := get()
	if first == second {
		t.Errorf("request after GOAWAY used the same session %s", first)
	}
	// The old session closes once idle.
	<-cc.c.s.Context().Done()
}

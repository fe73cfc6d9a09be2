package http3

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAltSvcHandler(t *testing.T) {
	h := AltSvcHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}), 8443)
	for _, tt := range []struct {
		major int
		want  string
	}{{1, `h3=":8443"; ma=86400`}, {2, `h3=":8443"; ma=86400`}, {3, ""}} {
		r := httptest.NewRequest("GET", "/", nil)
		r.ProtoMajor = tt.major
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Alt-Svc"); got != tt.want || w.Body.String() != "ok" {
			t.Errorf("HTTP/%d: Alt-Svc %q body %q, want %q", tt.major, got, w.Body.String(), tt.want)
		}
	}
}

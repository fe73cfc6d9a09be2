package http3

import (
	"fmt"
	"net/http"
)

// AltSvcHandler wraps h, a handler served over TCP (HTTP/1.1 or HTTP/2),
// so that its responses carry an Alt-Svc header field (RFC 7838)
// advertising HTTP/3 on UDP port port of the same host, for a day. Clients
// such as browsers then switch to HTTP/3 (RFC 9114, Section 3.1.1).
// Requests that came over HTTP/3 are passed through unchanged.
func AltSvcHandler(h http.Handler, port int) http.Handler {
	v := fmt.Sprintf(`%s=":%d"; ma=86400`, NextProtoH3, port)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor < 3 {
			w.Header().Add("Alt-Svc", v)
		}
		h.ServeHTTP(w, r)
	})
}

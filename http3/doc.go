// Package http3 is HTTP/3 (RFC 9114) on quince's QUIC sessions, used the
// way net/http is: a Server runs an http.Handler, a Transport is an
// http.RoundTripper for http.Client.
//
// # Server
//
// Server.Serve takes a *quic.Listener whose TLS configuration offers ALPN
// "h3" (NextProtoH3); ListenAndServe and ListenAndServeTLS make one.
// ServeSession serves a single session, for programs that speak several
// protocols on one Listener. Each request runs its handler in its own
// goroutine with an ordinary *http.Request: Method, URL (path and query
// from :path, scheme and host from :scheme and :authority), Host, Header,
// a Body that streams the DATA frames as they arrive, Trailer filled once
// the body reached its end, and a Context that ends when the session ends
// or when the client's cancellation (RESET_STREAM or STOP_SENDING) is seen
// by a Read of the body or a Write of the response. The http.ResponseWriter
// streams: the header section goes out with the first 4 KiB of content or
// on Flush (it implements http.Flusher), and trailers are those declared
// in the "Trailer" header or set with http.TrailerPrefix. A handler that
// panics resets its stream with H3_INTERNAL_ERROR.
//
// Shutdown sends GOAWAY on every session (RFC 9114, Section 5.2), rejects
// later requests with H3_REQUEST_REJECTED, and closes the sessions once the
// requests in flight are done. AltSvcHandler advertises the HTTP/3 endpoint
// on a TCP server's responses (RFC 7838).
//
// # Client
//
// Transport sends the requests to one authority on one pooled session,
// concurrently up to the server's stream limit, and dials a new session
// after a GOAWAY; requests the server did not process are retried there if
// their body can be replayed. A request's context cancels its stream with
// H3_REQUEST_CANCELLED, as does closing a response body before its end.
//
// # Protocol
//
// Both sides open a control stream that starts with SETTINGS (QPACK table
// capacity and blocked streams, SETTINGS_MAX_FIELD_SECTION_SIZE), the QPACK
// encoder and decoder streams, and a greased stream of a reserved type;
// greased settings and frames are sent too. Unknown stream types are
// refused with STOP_SENDING H3_STREAM_CREATION_ERROR, unknown frame types
// skipped. Field sections are compressed with QPACK (RFC 9204) including
// its dynamic table. Server push is not offered: no MAX_PUSH_ID is sent,
// so PUSH_PROMISE and push streams are connection errors.
//
// Every frame is checked as it is read: a frame cut short is
// H3_FRAME_ERROR, a frame out of place H3_FRAME_UNEXPECTED, a frame over
// its size limit H3_EXCESSIVE_LOAD (connection errors); a malformed
// message (pseudo-header fields, uppercase or connection-specific fields,
// Content-Length mismatch) is a stream error H3_MESSAGE_ERROR; a header
// section over MaxHeaderBytes gets status 431. Errors carrying HTTP/3 codes
// are *Error values.
package http3

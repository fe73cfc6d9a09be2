// Package hq is the hq-interop protocol (HTTP/0.9 over QUIC) shared by the
// example server and client, kept out of package quic's public API.
//
// hq-interop is the convention of the QUIC interop runner: the client opens
// one bidirectional stream per request and sends "GET /path\r\n" and a FIN;
// the server answers with the file's bytes and a FIN, or, for a file it does
// not have, resets the stream with CodeNotFound.
package hq

// ALPN is the application protocol negotiated in TLS.
const ALPN = "hq-interop"

// Application error codes of the RESET_STREAM a server sends instead of a
// response. hq-interop fixes no codes; the examples agree on these.
const (
	CodeBadRequest uint64 = 0x400 // not "GET /path\r\n" and a FIN
	CodeNotFound   uint64 = 0x404 // no such file
	CodeInternal   uint64 = 0x500 // the file could not be read
)

// maxRequest bounds a request line: a peer that sends more without a FIN is
// refused, so a request never holds more memory than this.
const maxRequest = 8 << 10

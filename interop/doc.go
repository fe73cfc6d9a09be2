// Package interop tests quince against independent QUIC stacks over real
// UDP on loopback: quic-go v0.65.0 (both directions) and, when installed,
// ngtcp2's gtlsclient and gtlsserver, and headless chromium for HTTP/3.
//
// The QUIC cases (interop_test.go) follow the QUIC interop runner's list
// and speak hq-interop, through a UDP relay that drops, corrupts,
// blackholes and rebinds with a fixed seed while it counts what crosses it
// (relay.go, header.go). Each runs quince as client and as server against
// quic-go, and quince against itself, on an hq-interop client and server
// for each stack (hq.go, hq_quince.go, hq_quicgo.go); quic-go's key
// updates are counted from its qlog events (quicgo_trace.go). ngtcp2
// speaks HTTP/3 only, so its QUIC cases (ngtcp2_test.go) check a handshake
// with ALPN h3, Retry, ChaCha20-Poly1305 and a key update.
//
// The HTTP/3 section (h3*.go, chromium_test.go) runs GETs, uploads and
// concurrent requests between quince's http3 package, quic-go's, ngtcp2
// and chromium, directly over loopback: only the cases against gtlsserver
// go through the relay.
//
// The rest is shared: deterministic file content (content.go), throwaway
// certificates (certs.go) and the result matrix (matrix.go), which a full
// `go test` prints and writes to MATRIX.md.
//
// hq-interop is the QUIC interop runner's minimal application protocol:
// the client opens a bidirectional stream per file, sends "GET /path\r\n"
// and closes its side; the server answers with the file's bytes and a FIN.
package interop

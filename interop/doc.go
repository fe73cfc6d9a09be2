// Package interop tests quince against independent QUIC stacks over real
// UDP on loopback: quic-go v0.65.0 (hq-interop, both directions) and, when
// installed, ngtcp2's gtlsclient and gtlsserver (HTTP/3 handshakes only).
//
// The package holds the pieces the tests share: an hq-interop client and
// server on each stack (hq_quince.go, hq_quicgo.go), deterministic file
// content (content.go), throwaway certificates (certs.go), a UDP relay that
// drops, corrupts, blackholes and rebinds with a fixed seed while it counts
// what crosses it (relay.go, header.go), and the result matrix (matrix.go).
// The cases themselves are in interop_test.go; `go test` writes the matrix
// to MATRIX.md.
//
// hq-interop is the QUIC interop runner's minimal application protocol:
// the client opens a bidirectional stream per file, sends "GET /path\r\n"
// and closes its side; the server answers with the file's bytes and a FIN.
package interop

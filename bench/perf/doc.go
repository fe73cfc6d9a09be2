// Package perf implements the QUIC perf protocol (ALPN "perf") on two
// stacks, quince and quic-go, so that any client can be measured against
// any server.
//
// On each bidirectional stream the client sends the number of bytes it wants
// from the server as an 8-byte big-endian integer, then the bytes it uploads,
// then FIN. The server reads the 8 bytes, discards the upload up to FIN, then
// sends the requested number of bytes and FIN.
package perf

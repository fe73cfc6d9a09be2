// Package wire reads and writes the QUIC wire format: variable-length
// integers, packet numbers, packet headers, frames and transport parameters
// (RFC 9000, RFC 8999, RFC 9221, RFC 9368, RFC 9369).
//
// Nothing here allocates on the steady-state path, keeps state between calls
// or does I/O. Parsers take untrusted bytes from the network: they never
// panic, and every malformed input is reported as a *TransportError carrying
// the QUIC error code the connection should close with.
package wire

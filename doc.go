// Package quic is quince, an implementation of QUIC (RFC 9000, RFC 9001,
// RFC 9002; versions 1 and 2) for Go programs.
//
// The connection state machine lives in internal/core, a sans-I/O core that
// takes datagrams and the time in and gives datagrams and deadlines out.
// The public API that puts it on UDP sockets (Listen, Dial, Session, Stream)
// is being built; see README.md for what works today.
package quic

// Package quic is quince, an implementation of QUIC (RFC 9000, RFC 9001,
// RFC 9002; versions 1 and 2) for Go programs, used the way net.Listen and
// net.Dial are.
//
// A server calls Listen and then Accept for each new Session; a client calls
// Dial (or a Dialer's DialContext). A Session carries Streams, opened with
// OpenStream and taken with AcceptStream; a Stream is a net.Conn. Errors are
// typed (*TransportError, *ApplicationError, *StreamError, ErrIdleTimeout,
// ErrStatelessReset, ErrHandshakeTimeout) and work with errors.As and
// errors.Is. A Listener can also Dial from its own socket.
//
// Code written for net.Listener and net.Conn runs over QUIC streams with
// StreamListener, whose Accept returns every bidirectional stream peers
// open, and StreamDialer, whose DialContext opens a stream on a session
// shared per address: for instance http.Serve with an http.Transport whose
// DialContext is a StreamDialer's.
//
// Underneath, each Session is one goroutine that owns a sans-I/O connection
// (internal/core): datagrams and the time go in, datagrams and deadlines come
// out. internal/mux shares one UDP socket among many sessions.
//
// To read a session in Wireshark, set tls.Config.KeyLogWriter (the examples
// honour SSLKEYLOGFILE). On Linux, quince sends runs of datagrams with UDP
// segmentation offload, which a capture on loopback records as one datagram
// that Wireshark cannot dissect: set the environment variable
// QUINCE_DISABLE_GSO=1 in the process that sends, before it listens or
// dials, to send each datagram alone while capturing.
package quic

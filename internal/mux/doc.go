// Package mux shares one UDP socket among many QUIC connections.
//
// A Mux owns a *net.UDPConn and one reader goroutine. The reader reads each
// datagram into a pooled buffer, parses only the version-independent header
// (RFC 8999, Section 5) and then:
//
//   - hands a datagram whose Destination Connection ID is registered to the
//     inbox channel of the session that registered it (Register);
//   - on a server mux, queues a client's first Initial of a supported
//     version for Accept, within Config.AcceptBacklog, and answers it with
//     CONNECTION_CLOSE(CONNECTION_REFUSED) when the backlog is full;
//   - answers a long header of an unsupported version with Version
//     Negotiation (RFC 9000, Section 6.1);
//   - answers a short header with an unknown connection ID with a stateless
//     reset (RFC 9000, Section 10.3), unless it comes from the address of a
//     registered peer (RegisterPeer), which may be sending its own reset;
//   - drops and counts everything else.
//
// Nothing queues without bound: a full inbox or backlog drops the datagram,
// as a congested network would, and every reply the mux sends on its own
// (Version Negotiation, stateless reset, refusal) is rate-limited by one
// token bucket. Buffers come from a pool, so routing a datagram to a
// session allocates nothing in the steady state.
//
// New asks the kernel for socket buffers of SocketBufferSize, so that bursts
// (many handshakes at once, a fast sender) wait in the socket rather than
// being dropped there while the reader waits for a CPU.
//
// On Linux (amd64 and arm64) the reader takes up to 32 datagrams per
// recvmmsg(2) system call, through syscall.RawConn so that it waits in the
// runtime's poller, with message headers made once and buffers from the
// pool: no allocation per datagram. golang.org/x/net/ipv4's ReadBatch is
// not used because it allocates a net.Addr per message. Elsewhere, or if
// the socket's raw connection is unavailable, it makes one
// ReadFromUDPAddrPort call per datagram.
//
// There, where the kernel takes it (Linux 5.0), the mux also turns on UDP
// generic receive offload (UDP_GRO): one message may then hold a run of
// datagrams from one sender, coalesced by the kernel (on loopback, a
// peer's GSO send arrives whole), with their segment size in a control
// message. The reader reads such messages into 64 KiB buffers of its own,
// taken from a pool shared by all muxes only while the socket has data,
// and copies each datagram out into a pooled Datagram, so that sessions
// only ever see ordinary datagrams in buffers of MaxDatagramSize+1 bytes
// and an idle mux holds no large buffer.
//
// Sessions built on the mux follow this contract:
//
//   - A session owns an inbox channel (buffered, Config.InboxSize is a good
//     capacity) and never closes it while any of its connection IDs or peer
//     addresses are registered; after Unregister and UnregisterPeer return,
//     the mux sends nothing more to it.
//   - Every *Datagram received from an inbox or from Accept is released with
//     Release exactly once, after which its Data must not be used.
//   - A session sends with WriteTo; any goroutine may call it.
//   - Connection IDs are ConnIDLen bytes, the length the core issues
//     (core.ConnIDLen), and the session's core uses the mux's
//     StatelessResetKey so that the mux's resets carry the right tokens.
package mux

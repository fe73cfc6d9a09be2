package core

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core/streambuf"
	"github.com/quince-go/quic/internal/core/wire"
)

// Misbehaving peers: each case has one side of an established connection
// send frames a conforming endpoint never sends. The other side must close
// with the code RFC 9000 assigns, and the offender must learn that code from
// the CONNECTION_CLOSE.

// streamData is n bytes of stream payload.
func streamData(n int) []byte { return bytes.Repeat([]byte{'x'}, n) }

func TestMisbehavingPeer(t *testing.T) {
	const (
		window     = 512 << 10 // default InitialMaxStreamData
		connWindow = 1 << 20   // default InitialMaxData
	)
	tests := []struct {
		name       string
		fromServer bool // the server misbehaves; by default the client does
		setup      func(p *testPair)
		// packets are the payloads sent one packet each, in order.
		packets func(p *testPair) [][]byte
		want    wire.ErrorCode
	}{
		// RFC 9000, Section 4.1: data beyond the advertised limits.
		{
			name: "stream data beyond stream window",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: 0, Offset: window, Data: streamData(1)})}
			},
			want: wire.FlowControlError,
		},
		{
			name: "stream data beyond stream window by a FIN-less jump",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(100)}),
					frames(&wire.StreamFrame{StreamID: 0, Offset: window - 10, Data: streamData(11)}),
				}
			},
			want: wire.FlowControlError,
		},
		{
			name: "stream data beyond connection window over several streams",
			packets: func(*testPair) [][]byte {
				// Each stream stays within its window; together they pass
				// the connection's.
				const off = 400 << 10
				return [][]byte{frames(
					&wire.StreamFrame{StreamID: 0, Offset: off, Data: streamData(1)},
					&wire.StreamFrame{StreamID: 4, Offset: off, Data: streamData(1)},
					&wire.StreamFrame{StreamID: 8, Offset: off, Data: streamData(1)},
				)}
			},
			want: wire.FlowControlError,
		},
		{
			name: "RESET_STREAM final size beyond stream window",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.ResetStreamFrame{StreamID: 0, FinalSize: window + 1})}
			},
			want: wire.FlowControlError,
		},
		{
			name:       "server stream data beyond client stream window",
			fromServer: true,
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: 1, Offset: window, Data: streamData(1)})}
			},
			want: wire.FlowControlError,
		},

		// RFC 9000, Section 4.6: streams beyond MAX_STREAMS.
		{
			name: "bidi stream beyond MAX_STREAMS",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: defaultMaxStreams << 2, Data: streamData(1)})}
			},
			want: wire.StreamLimitError,
		},
		{
			name: "uni stream beyond MAX_STREAMS",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: defaultMaxStreams<<2 | streamUniBit, Data: streamData(1)})}
			},
			want: wire.StreamLimitError,
		},
		{
			name: "last bidi stream within MAX_STREAMS, then one more",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: (defaultMaxStreams - 1) << 2, Data: streamData(1)}),
					frames(&wire.StreamFrame{StreamID: defaultMaxStreams << 2, Data: streamData(1)}),
				}
			},
			want: wire.StreamLimitError,
		},
		{
			name: "RESET_STREAM opens a stream beyond MAX_STREAMS",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.ResetStreamFrame{StreamID: defaultMaxStreams << 2})}
			},
			want: wire.StreamLimitError,
		},
		{
			name:       "server bidi stream beyond client MAX_STREAMS",
			fromServer: true,
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: defaultMaxStreams<<2 | streamServerBit, Data: streamData(1)})}
			},
			want: wire.StreamLimitError,
		},

		// RFC 9000, Section 19.8: STREAM on a stream the receiver can't
		// receive on.
		{
			name: "STREAM on the receiver's send-only stream",
			setup: func(p *testPair) {
				if _, err := p.server.OpenStream(false); err != nil {
					p.t.Fatal(err)
				}
			},
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: streamServerBit | streamUniBit, Data: streamData(1)})}
			},
			want: wire.StreamStateError,
		},
		{
			name: "STREAM on a bidi stream the receiver never opened",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: streamServerBit, Data: streamData(1)})}
			},
			want: wire.StreamStateError,
		},
		{
			name: "STREAM on a uni stream the receiver never opened",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: streamServerBit | streamUniBit, Data: streamData(1)})}
			},
			want: wire.StreamStateError,
		},
		{
			name:       "server STREAM on the client's send-only stream",
			fromServer: true,
			setup: func(p *testPair) {
				if _, err := p.client.OpenStream(false); err != nil {
					p.t.Fatal(err)
				}
			},
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.StreamFrame{StreamID: streamUniBit, Data: streamData(1)})}
			},
			want: wire.StreamStateError,
		},
		{
			name: "MAX_STREAM_DATA on the receiver's receive-only stream",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.MaxStreamDataFrame{StreamID: streamUniBit, Max: 1 << 20})}
			},
			want: wire.StreamStateError,
		},

		// RFC 9000, Section 4.5: final size.
		{
			name: "FIN with a different final size",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(10), Fin: true}),
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(5), Fin: true}),
				}
			},
			want: wire.FinalSizeError,
		},
		{
			name: "data past the final size",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(10), Fin: true}),
					frames(&wire.StreamFrame{StreamID: 0, Offset: 10, Data: streamData(5)}),
				}
			},
			want: wire.FinalSizeError,
		},
		{
			name: "FIN below data already received",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Offset: 20, Data: streamData(10)}),
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(5), Fin: true}),
				}
			},
			want: wire.FinalSizeError,
		},
		{
			name: "RESET_STREAM final size below data received",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(10)}),
					frames(&wire.ResetStreamFrame{StreamID: 0, Code: 1, FinalSize: 5}),
				}
			},
			want: wire.FinalSizeError,
		},
		{
			name: "RESET_STREAM final size differs from FIN",
			packets: func(*testPair) [][]byte {
				return [][]byte{
					frames(&wire.StreamFrame{StreamID: 0, Data: streamData(10), Fin: true}),
					frames(&wire.ResetStreamFrame{StreamID: 0, Code: 1, FinalSize: 11}),
				}
			},
			want: wire.FinalSizeError,
		},

		// RFC 9000, Section 12.4: malformed frames.
		{
			name: "truncated STREAM frame",
			packets: func(*testPair) [][]byte {
				// Type 0x0a (LEN), stream 0, length 100, then 5 bytes.
				return [][]byte{append([]byte{0x0a, 0x00, 0x40, 100}, streamData(5)...)}
			},
			want: wire.FrameEncodingError,
		},
		{
			name: "truncated MAX_DATA frame",
			packets: func(*testPair) [][]byte {
				return [][]byte{{byte(wire.FramePing), byte(wire.FrameMaxData)}}
			},
			want: wire.FrameEncodingError,
		},
		{
			name: "truncated ACK frame",
			packets: func(*testPair) [][]byte {
				return [][]byte{{byte(wire.FrameAck), 0x00, 0x00}}
			},
			want: wire.FrameEncodingError,
		},
		{
			name: "unknown frame type 0x40",
			packets: func(*testPair) [][]byte {
				return [][]byte{{0x40, 0x40}} // 0x40 as a 2-byte varint
			},
			want: wire.FrameEncodingError,
		},
		{
			name: "unknown frame type 0x1f",
			packets: func(*testPair) [][]byte {
				return [][]byte{{byte(wire.FramePing), 0x1f}}
			},
			want: wire.FrameEncodingError,
		},
		{
			name: "truncated frame type varint",
			packets: func(*testPair) [][]byte {
				return [][]byte{{byte(wire.FramePing), 0x40}}
			},
			want: wire.FrameEncodingError,
		},
		{
			name:       "unknown frame type from the server",
			fromServer: true,
			packets: func(*testPair) [][]byte {
				return [][]byte{{0x40, 0x40}}
			},
			want: wire.FrameEncodingError,
		},

		// Frames one side must not send.
		{
			name: "HANDSHAKE_DONE from a client",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.HandshakeDoneFrame{})}
			},
			want: wire.ProtocolViolation,
		},
		{
			name: "NEW_TOKEN from a client",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.NewTokenFrame{Token: []byte{1, 2, 3}})}
			},
			want: wire.ProtocolViolation,
		},
		{
			name: "ACK of a packet never sent",
			packets: func(p *testPair) [][]byte {
				next := uint64(p.server.spaces[spaceApp].nextPN)
				return [][]byte{frames(&wire.AckFrame{Ranges: []wire.AckRange{{Smallest: next + 100, Largest: next + 100}}})}
			},
			want: wire.ProtocolViolation,
		},
		{
			name:       "server ACK of a packet never sent",
			fromServer: true,
			packets: func(p *testPair) [][]byte {
				next := uint64(p.client.spaces[spaceApp].nextPN)
				return [][]byte{frames(&wire.AckFrame{Ranges: []wire.AckRange{{Smallest: 0, Largest: next}}})}
			},
			want: wire.ProtocolViolation,
		},
		{
			name: "empty packet payload",
			packets: func(*testPair) [][]byte {
				return [][]byte{{}}
			},
			want: wire.ProtocolViolation,
		},

		// RFC 9000, Section 5.1: connection IDs.
		{
			name:       "too many NEW_CONNECTION_ID",
			fromServer: true,
			packets: func(*testPair) [][]byte {
				var b []byte
				for seq := uint64(100); seq < 100+activeConnIDLimit+1; seq++ {
					id := []byte{9, 9, 9, 9, 9, 9, 9, byte(seq)}
					b = (&wire.NewConnectionIDFrame{Seq: seq, ConnID: id, ResetToken: [16]byte{byte(seq)}}).Append(b)
				}
				return [][]byte{b}
			},
			want: wire.ConnectionIDLimitError,
		},
		{
			name: "RETIRE_CONNECTION_ID of a sequence never issued",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.RetireConnectionIDFrame{Seq: 1000})}
			},
			want: wire.ProtocolViolation,
		},
		{
			name:       "server RETIRE_CONNECTION_ID of a sequence never issued",
			fromServer: true,
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.RetireConnectionIDFrame{Seq: 1000})}
			},
			want: wire.ProtocolViolation,
		},

		// Resource bounds against a hostile peer.
		{
			name: "more out-of-order fragments than streambuf.MaxFragments",
			packets: func(*testPair) [][]byte {
				// One byte at every other offset: each is a fragment of
				// its own that the receiver would have to remember.
				var pkts [][]byte
				var b []byte
				for i := 0; i <= streambuf.MaxFragments; i++ {
					b = (&wire.StreamFrame{StreamID: 0, Offset: uint64(2*i + 2), Data: streamData(1)}).Append(b)
					if len(b) > 1000 {
						pkts = append(pkts, b)
						b = nil
					}
				}
				return append(pkts, b)
			},
			want: wire.ProtocolViolation,
		},
		{
			name: "CRYPTO data far beyond the read offset",
			packets: func(*testPair) [][]byte {
				return [][]byte{frames(&wire.CryptoFrame{Offset: 1 << 20, Data: streamData(10)})}
			},
			want: wire.CryptoBufferExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
			p.handshake()
			if tt.setup != nil {
				tt.setup(p)
			}
			victim, offender := p.server, p.client
			if tt.fromServer {
				victim, offender = p.client, p.server
			}
			for i, pkt := range tt.packets(p) {
				if err := victim.Err(); err != nil {
					t.Fatalf("victim closed before packet %d: %v", i, err)
				}
				p.inject(!tt.fromServer, pkt)
			}
			p.expectPeerClose(victim, offender, tt.want)
		})
	}
}

// TestLongHeaderMisbehaviour sends, during the handshake, frames that
// RFC 9000, Section 12.4, Table 3 forbids in Initial and Handshake packets,
// and CRYPTO data too far ahead (Section 7.5).
func TestLongHeaderMisbehaviour(t *testing.T) {
	stream := frames(&wire.StreamFrame{StreamID: 0, Data: streamData(10)})
	farCrypto := frames(&wire.CryptoFrame{Offset: 1 << 20, Data: streamData(10)})
	tests := []struct {
		name    string
		typ     wire.PacketType
		payload []byte
		want    wire.ErrorCode
	}{
		{"STREAM in Initial", wire.PacketInitial, stream, wire.ProtocolViolation},
		{"STREAM in Handshake", wire.PacketHandshake, stream, wire.ProtocolViolation},
		{"MAX_DATA in Initial", wire.PacketInitial, frames(&wire.MaxDataFrame{Max: 1 << 30}), wire.ProtocolViolation},
		{"HANDSHAKE_DONE in Handshake", wire.PacketHandshake, frames(&wire.HandshakeDoneFrame{}), wire.ProtocolViolation},
		{"NEW_CONNECTION_ID in Handshake", wire.PacketHandshake, frames(&wire.NewConnectionIDFrame{Seq: 1, ConnID: []byte{1, 2, 3, 4, 5, 6, 7, 8}}), wire.ProtocolViolation},
		{"empty Handshake payload", wire.PacketHandshake, nil, wire.ProtocolViolation},
		{"CRYPTO far ahead in Initial", wire.PacketInitial, farCrypto, wire.CryptoBufferExceeded},
		{"CRYPTO far ahead in Handshake", wire.PacketHandshake, farCrypto, wire.CryptoBufferExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
			var victim, offender *Conn
			var pkt []byte
			var from netip.AddrPort
			if tt.typ == wire.PacketInitial {
				// The client misbehaves in an Initial as soon as the
				// server exists: the server has only Initial keys to
				// read with.
				p.run(time.Second, func() bool { return p.server != nil })
				victim, offender = p.server, p.client
				pkt = sealLong(t, p.client, wire.PacketInitial, tt.payload, minDatagramSize)
				from = clientAddr
			} else {
				// The server misbehaves in a Handshake packet once the
				// client can read them and before it confirms the
				// handshake and drops the Handshake keys.
				ok := p.run(time.Second, func() bool {
					return p.client.spaces[spaceHandshake].readKeys != nil
				})
				if !ok || p.client.HandshakeConfirmed() {
					t.Fatalf("client never had Handshake keys before confirmation")
				}
				victim, offender = p.client, p.server
				pkt = sealLong(t, p.server, wire.PacketHandshake, tt.payload, 0)
				from = serverAddr
			}
			victim.Receive(pkt, from, p.now)
			p.expectPeerClose(victim, offender, tt.want)
		})
	}
}

// TestPaddingOnlyPacket checks that a packet of nothing but PADDING is
// accepted: PADDING is a frame (RFC 9000, Sections 12.4 and 19.1), unlike
// an empty payload.
func TestPaddingOnlyPacket(t *testing.T) {
	for _, n := range []int{1, 20} {
		p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, nil)
		p.handshake()
		p.inject(true, make([]byte, n))
		p.inject(false, make([]byte, n))
		if p.client.Err() != nil || p.server.Err() != nil {
			t.Fatalf("%d bytes of PADDING closed the connection: client %v, server %v", n, p.client.Err(), p.server.Err())
		}
	}
}

// TestALPNMismatch checks that a handshake without a common application
// protocol fails with the TLS alert no_application_protocol (120) as
// CRYPTO_ERROR 0x178 on both sides (RFC 9001, Sections 4.8 and 8.1).
func TestALPNMismatch(t *testing.T) {
	serverTLS := testTLSConfig(true)
	serverTLS.NextProtos = []string{"other"}
	p := newTestPair(t, 1, linkConfig{delay: 5 * time.Millisecond}, nil, &Config{TLS: serverTLS})
	ok := p.run(10*time.Second, func() bool {
		return p.client.Err() != nil && p.server != nil && p.server.Err() != nil
	})
	if !ok {
		t.Fatalf("handshake did not fail: client %v, server %v", p.client.Err(), p.serverErr())
	}
	const code = uint64(wire.CryptoErrorBase) + 120
	if diff := cmp.Diff(&closeCode{Code: code}, codeOf(p.server.Err())); diff != "" {
		t.Errorf("server error (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&closeCode{Code: code, Remote: true}, codeOf(p.client.Err())); diff != "" {
		t.Errorf("client error (-want +got):\n%s", diff)
	}
	if p.client.HandshakeComplete() || p.server.HandshakeComplete() {
		t.Errorf("handshake complete: client %v, server %v", p.client.HandshakeComplete(), p.server.HandshakeComplete())
	}
}

// TestPeerTransportParameterErrors feeds crafted transport parameters to
// handlePeerParams (RFC 9000, Sections 7.3 and 18.2).
func TestPeerTransportParameterErrors(t *testing.T) {
	var (
		clientSCID = []byte{0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0xc}
		origDCID   = []byte{1, 2, 3, 4, 5, 6, 7, 8}
		serverSCID = []byte{5, 5, 5, 5, 5, 5, 5, 5}
	)
	// fromServer returns valid parameters of the server, as the client
	// expects them, changed by edit.
	fromServer := func(edit func(*wire.TransportParameters)) []byte {
		tp := wire.DefaultTransportParameters()
		tp.InitialSourceConnectionID, tp.HasInitialSourceConnectionID = serverSCID, true
		tp.OriginalDestinationConnectionID, tp.HasOriginalDestinationConnectionID = origDCID, true
		tp.StatelessResetToken, tp.HasStatelessResetToken = [16]byte{1}, true
		if edit != nil {
			edit(&tp)
		}
		return tp.Append(nil)
	}
	fromClient := func(edit func(*wire.TransportParameters)) []byte {
		tp := wire.DefaultTransportParameters()
		tp.InitialSourceConnectionID, tp.HasInitialSourceConnectionID = clientSCID, true
		if edit != nil {
			edit(&tp)
		}
		return tp.Append(nil)
	}
	tests := []struct {
		name     string
		toClient bool // the client checks them; else the server does
		params   []byte
		wantErr  bool
	}{
		{"server: valid", true, fromServer(nil), false},
		{"server: initial_source_connection_id mismatch", true, fromServer(func(tp *wire.TransportParameters) {
			tp.InitialSourceConnectionID = []byte{6, 6, 6, 6, 6, 6, 6, 6}
		}), true},
		{"server: initial_source_connection_id missing", true, fromServer(func(tp *wire.TransportParameters) {
			tp.HasInitialSourceConnectionID = false
		}), true},
		{"server: original_destination_connection_id mismatch", true, fromServer(func(tp *wire.TransportParameters) {
			tp.OriginalDestinationConnectionID = []byte{1, 2, 3, 4, 5, 6, 7, 9}
		}), true},
		{"server: original_destination_connection_id missing", true, fromServer(func(tp *wire.TransportParameters) {
			tp.HasOriginalDestinationConnectionID = false
		}), true},
		{"server: retry_source_connection_id without a Retry", true, fromServer(func(tp *wire.TransportParameters) {
			tp.RetrySourceConnectionID, tp.HasRetrySourceConnectionID = []byte{7, 7, 7, 7}, true
		}), true},
		{"server: max_udp_payload_size below 1200", true, fromServer(func(tp *wire.TransportParameters) {
			tp.MaxUDPPayloadSize = 1199
		}), true},
		{"server: malformed", true, []byte{0x01, 0x05, 0x40}, true},
		{"client: valid", false, fromClient(nil), false},
		{"client: initial_source_connection_id mismatch", false, fromClient(func(tp *wire.TransportParameters) {
			tp.InitialSourceConnectionID = []byte{0xd}
		}), true},
		{"client: sends original_destination_connection_id", false, fromClient(func(tp *wire.TransportParameters) {
			tp.OriginalDestinationConnectionID, tp.HasOriginalDestinationConnectionID = origDCID, true
		}), true},
		{"client: sends stateless_reset_token", false, fromClient(func(tp *wire.TransportParameters) {
			tp.StatelessResetToken, tp.HasStatelessResetToken = [16]byte{1}, true
		}), true},
		{"client: active_connection_id_limit below 2", false, fromClient(func(tp *wire.TransportParameters) {
			tp.ActiveConnectionIDLimit = 1
		}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c *Conn
			var err error
			if tt.toClient {
				c, err = NewClient(&Config{TLS: testTLSConfig(false)}, ClientOptions{
					PeerAddr: serverAddr, DstConnID: origDCID, SrcConnID: clientSCID,
				}, testStart)
				if err == nil {
					// As if the server's first Initial had arrived.
					c.connIDs.setPeerInitial(serverSCID)
				}
			} else {
				c, err = NewServer(&Config{TLS: testTLSConfig(true)}, ServerOptions{
					PeerAddr: clientAddr, OrigDstConnID: origDCID, SrcConnID: serverSCID,
				}, testStart)
				if err == nil {
					c.connIDs.setPeerInitial(clientSCID)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			err = c.handlePeerParams(tt.params)
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("handlePeerParams = %v, want nil", err)
				}
				if c.PeerParams() == nil {
					t.Fatal("PeerParams() = nil after valid parameters")
				}
				return
			}
			var te *wire.TransportError
			if !errors.As(err, &te) || te.Code != wire.TransportParameterError {
				t.Fatalf("handlePeerParams = %v, want TRANSPORT_PARAMETER_ERROR", err)
			}
			if c.PeerParams() != nil {
				t.Error("PeerParams() set by rejected parameters")
			}
		})
	}
}

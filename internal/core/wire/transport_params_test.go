package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// tpCmpOpts compares transport parameters: netip values by their methods,
// and nil and empty slices as equal since presence has its own flags.
var tpCmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.AddrPort) bool { return a == b }),
	cmpopts.EquateEmpty(),
}

// clientTestParams returns a client's parameters with every field a client
// may send set to a value other than its default.
func clientTestParams() TransportParameters {
	p := DefaultTransportParameters()
	p.MaxIdleTimeout = 30 * time.Second
	p.MaxUDPPayloadSize = 1452
	p.InitialMaxData = 1 << 20
	p.InitialMaxStreamDataBidiLocal = 1 << 16
	p.InitialMaxStreamDataBidiRemote = 1 << 17
	p.InitialMaxStreamDataUni = 1 << 18
	p.InitialMaxStreamsBidi = 100
	p.InitialMaxStreamsUni = 3
	p.AckDelayExponent = 10
	p.MaxAckDelay = 40 * time.Millisecond
	p.DisableActiveMigration = true
	p.ActiveConnectionIDLimit = 8
	p.InitialSourceConnectionID = []byte{1, 2, 3, 4, 5, 6, 7, 8}
	p.HasInitialSourceConnectionID = true
	p.MaxDatagramFrameSize = 65535
	p.VersionInformation = &VersionInformation{
		Chosen:    0x6b3343cf,
		Available: []uint32{0x6b3343cf, 0x00000001, 0x1a2a3a4a},
	}
	return p
}

// serverTestParams returns a server's parameters with every field set to a
// value other than its default.
func serverTestParams() TransportParameters {
	p := clientTestParams()
	p.OriginalDestinationConnectionID = []byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3}
	p.HasOriginalDestinationConnectionID = true
	p.StatelessResetToken = [16]byte{0: 0xaa, 15: 0xbb}
	p.HasStatelessResetToken = true
	p.PreferredAddress = &PreferredAddress{
		IPv4:       netip.MustParseAddrPort("192.0.2.1:4433"),
		IPv6:       netip.MustParseAddrPort("[2001:db8::1]:4434"),
		ConnID:     []byte{9, 8, 7, 6},
		ResetToken: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
	}
	p.RetrySourceConnectionID = []byte{0x55}
	p.HasRetrySourceConnectionID = true
	p.VersionInformation = &VersionInformation{Chosen: 0x00000001, Available: []uint32{0x6b3343cf}}
	return p
}

func TestTransportParametersRoundTrip(t *testing.T) {
	tests := []struct {
		name         string
		p            TransportParameters
		sentByServer bool
	}{
		{"defaults from client", DefaultTransportParameters(), false},
		{"defaults from server", DefaultTransportParameters(), true},
		{"client", clientTestParams(), false},
		{"server", serverTestParams(), true},
		{"client params from server", clientTestParams(), true},
		{"zero-length connection IDs", func() TransportParameters {
			p := DefaultTransportParameters()
			p.HasOriginalDestinationConnectionID = true
			p.HasInitialSourceConnectionID = true
			p.HasRetrySourceConnectionID = true
			return p
		}(), true},
		{"preferred address of one family", func() TransportParameters {
			p := serverTestParams()
			p.PreferredAddress.IPv4 = netip.AddrPort{}
			return p
		}(), true},
		{"limits", func() TransportParameters {
			p := DefaultTransportParameters()
			p.MaxIdleTimeout = time.Duration(maxDurationMillis) * time.Millisecond
			p.MaxUDPPayloadSize = MaxVarint
			p.InitialMaxData = MaxVarint
			p.InitialMaxStreamsBidi = MaxStreamsLimit
			p.InitialMaxStreamsUni = MaxStreamsLimit
			p.AckDelayExponent = 20
			p.MaxAckDelay = (1<<14 - 1) * time.Millisecond
			p.ActiveConnectionIDLimit = MaxVarint
			p.MaxDatagramFrameSize = MaxVarint
			return p
		}(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(tt.sentByServer); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			b := tt.p.Append(nil)
			got, err := ParseTransportParameters(b, tt.sentByServer)
			if err != nil {
				t.Fatalf("ParseTransportParameters(%x): %v", b, err)
			}
			if diff := cmp.Diff(&tt.p, got, tpCmpOpts); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
			if again := got.Append(nil); !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", again, b)
			}
		})
	}
}

func TestTransportParametersDefaultsEncodeEmpty(t *testing.T) {
	p := DefaultTransportParameters()
	if b := p.Append(nil); len(b) != 0 {
		t.Errorf("defaults encode to %x, want nothing", b)
	}
}

func TestParseTransportParametersDefaults(t *testing.T) {
	got, err := ParseTransportParameters(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := &TransportParameters{
		MaxUDPPayloadSize:       65527,
		AckDelayExponent:        3,
		MaxAckDelay:             25 * time.Millisecond,
		ActiveConnectionIDLimit: 2,
	}
	if diff := cmp.Diff(want, got, tpCmpOpts); diff != "" {
		t.Errorf("defaults mismatch (-want +got):\n%s", diff)
	}
}

// TestParseTransportParametersEncoding checks decoding against hand-written
// bytes, so that Append and Parse cannot agree on a wrong encoding.
func TestParseTransportParametersEncoding(t *testing.T) {
	b := []byte{
		0x00, 0x02, 0xab, 0xcd, // original_destination_connection_id
		0x01, 0x02, 0x40, 0x64, // max_idle_timeout 100 ms, 2-byte varint
		0x02, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, // stateless_reset_token
		0x03, 0x02, 0x44, 0xb0, // max_udp_payload_size 1200
		0x04, 0x04, 0x80, 0x01, 0x00, 0x00, // initial_max_data 65536
		0x08, 0x08, 0xc0, 0, 0, 0, 0, 0, 0, 0x07, // initial_max_streams_bidi 7, 8-byte varint
		0x0a, 0x01, 0x00, // ack_delay_exponent 0
		0x0b, 0x01, 0x00, // max_ack_delay 0
		0x0c, 0x00, // disable_active_migration
		0x0d, 0x2e, // preferred_address, 46 bytes
		0, 0, 0, 0, 0, 0, // no IPv4
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0xbb, // [2001:db8::2]:443
		0x05, 1, 2, 3, 4, 5, // connection ID
		16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, // reset token
		0x0f, 0x01, 0x07, // initial_source_connection_id
		0x11, 0x08, 0x00, 0x00, 0x00, 0x01, 0x6b, 0x33, 0x43, 0xcf, // version_information
		0x40, 0x20, 0x02, 0x44, 0xb0, // max_datagram_frame_size 1200, 2-byte identifier
	}
	want := &TransportParameters{
		OriginalDestinationConnectionID:    []byte{0xab, 0xcd},
		HasOriginalDestinationConnectionID: true,
		MaxIdleTimeout:                     100 * time.Millisecond,
		StatelessResetToken:                [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		HasStatelessResetToken:             true,
		MaxUDPPayloadSize:                  1200,
		InitialMaxData:                     65536,
		InitialMaxStreamsBidi:              7,
		AckDelayExponent:                   0,
		MaxAckDelay:                        0,
		DisableActiveMigration:             true,
		PreferredAddress: &PreferredAddress{
			IPv6:       netip.MustParseAddrPort("[2001:db8::2]:443"),
			ConnID:     []byte{1, 2, 3, 4, 5},
			ResetToken: [16]byte{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1},
		},
		ActiveConnectionIDLimit:      2,
		InitialSourceConnectionID:    []byte{7},
		HasInitialSourceConnectionID: true,
		MaxDatagramFrameSize:         1200,
		VersionInformation:           &VersionInformation{Chosen: 0x00000001, Available: []uint32{0x6b3343cf}},
	}
	got, err := ParseTransportParameters(b, true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, tpCmpOpts); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseTransportParametersDoesNotAlias(t *testing.T) {
	p := serverTestParams()
	b := p.Append(nil)
	got, err := ParseTransportParameters(b, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xff
	}
	if diff := cmp.Diff(&p, got, tpCmpOpts); diff != "" {
		t.Errorf("result changed with its input (-want +got):\n%s", diff)
	}
}

func TestParseTransportParametersSkipsUnknown(t *testing.T) {
	p := clientTestParams()
	var b []byte
	b = appendBytesParam(b, 27, []byte{1, 2, 3})                     // reserved, N = 0
	b = appendBytesParam(b, 31*1000+27, nil)                         // reserved, N = 1000
	b = p.Append(b)                                                  // known parameters in the middle
	b = appendBytesParam(b, 0x12, []byte{0xff})                      // unknown, not a varint
	b = appendBytesParam(b, 0x2ab2, bytes.Repeat([]byte{0xc0}, 300)) // unknown, long
	b = appendBytesParam(b, MaxVarint, nil)                          // largest identifier
	b = AppendReservedTransportParameter(b, 1)
	b = AppendReservedTransportParameter(b, 2)
	got, err := ParseTransportParameters(b, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&p, got, tpCmpOpts); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestAppendReservedTransportParameter(t *testing.T) {
	ids := make(map[uint64]bool)
	for seed := range uint64(64) {
		b := AppendReservedTransportParameter([]byte{0xee}, seed)
		if b[0] != 0xee {
			t.Fatalf("seed %d: prefix overwritten", seed)
		}
		b = b[1:]
		id, n := ConsumeVarint(b)
		if n < 0 || id%31 != 27 {
			t.Fatalf("seed %d: identifier %d (n=%d) is not 31*N+27", seed, id, n)
		}
		val, m := ConsumeVarintBytes(b[n:])
		if m < 0 || n+m != len(b) || len(val) > 15 {
			t.Fatalf("seed %d: malformed parameter %x", seed, b)
		}
		if again := AppendReservedTransportParameter(nil, seed); !bytes.Equal(again, b) {
			t.Fatalf("seed %d: not deterministic: %x then %x", seed, b, again)
		}
		if _, err := ParseTransportParameters(b, false); err != nil {
			t.Fatalf("seed %d: %x does not parse: %v", seed, b, err)
		}
		ids[id] = true
	}
	if len(ids) < 60 {
		t.Errorf("64 seeds gave only %d identifiers", len(ids))
	}
}

// tpParam encodes one parameter with a raw value.
func tpParam(id uint64, val ...byte) []byte { return appendBytesParam(nil, id, val) }

// tpVarint encodes one integer parameter.
func tpVarint(id, v uint64) []byte { return appendVarintParam(nil, id, v) }

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

func TestParseTransportParametersErrors(t *testing.T) {
	cid21 := bytes.Repeat([]byte{1}, 21)
	pa := func(cid []byte) []byte {
		v := make([]byte, 24)
		v = append(v, byte(len(cid)))
		v = append(v, cid...)
		return append(v, make([]byte, 16)...)
	}
	tests := []struct {
		name         string
		b            []byte
		sentByServer bool
	}{
		// Encoding.
		{"truncated identifier", []byte{0x40}, true},
		{"missing length", []byte{0x04}, true},
		{"truncated length", []byte{0x04, 0x80, 0x00}, true},
		{"truncated value", []byte{0x04, 0x02, 0x01}, true},
		{"varint value too long", tpParam(tpInitialMaxData, 0x01, 0x00), true},
		{"varint value too short", tpParam(tpInitialMaxData, 0x40), true},
		{"varint value empty", tpParam(tpMaxIdleTimeout), true},
		{"max_datagram_frame_size not a varint", tpParam(tpMaxDatagramFrameSize, 1, 2), true},
		{"stateless_reset_token short", tpParam(tpStatelessResetToken, make([]byte, 15)...), true},
		{"stateless_reset_token long", tpParam(tpStatelessResetToken, make([]byte, 17)...), true},
		{"disable_active_migration with value", tpParam(tpDisableActiveMigration, 0), true},
		{"original_destination_connection_id too long", tpParam(tpOriginalDestinationConnectionID, cid21...), true},
		{"initial_source_connection_id too long", tpParam(tpInitialSourceConnectionID, cid21...), true},
		{"retry_source_connection_id too long", tpParam(tpRetrySourceConnectionID, cid21...), true},
		{"preferred_address short", tpParam(tpPreferredAddress, make([]byte, 41)...), true},
		{"preferred_address longer than its connection ID", tpParam(tpPreferredAddress, append(pa([]byte{1}), 0)...), true},
		{"preferred_address shorter than its connection ID", tpParam(tpPreferredAddress, pa([]byte{1})[:41]...), true},
		{"preferred_address connection ID too long", tpParam(tpPreferredAddress, pa(cid21)...), true},
		{"preferred_address zero-length connection ID", tpParam(tpPreferredAddress, pa(nil)...), true},
		{"version_information empty", tpParam(tpVersionInformation), true},
		{"version_information short", tpParam(tpVersionInformation, 0, 0, 1), true},
		{"version_information not a multiple of 4", tpParam(tpVersionInformation, 0, 0, 0, 1, 0, 0, 0, 1, 0), true},

		// Repeats (RFC 9000, Section 7.4).
		{"repeated integer", cat(tpVarint(tpInitialMaxData, 1), tpVarint(tpInitialMaxData, 1)), true},
		{"repeated flag", cat(tpParam(tpDisableActiveMigration), tpVarint(tpMaxIdleTimeout, 1), tpParam(tpDisableActiveMigration)), true},
		{"repeated max_datagram_frame_size", cat(tpVarint(tpMaxDatagramFrameSize, 1), tpVarint(tpMaxDatagramFrameSize, 1)), true},
		{"repeated connection ID", cat(tpParam(tpInitialSourceConnectionID), tpParam(tpInitialSourceConnectionID)), true},
		{"repeated unknown", cat(tpParam(0x1234, 1), tpParam(0x12), tpParam(0x1234, 2)), true},
		{"repeated reserved", cat(tpParam(27), tpParam(27)), true},

		// Server-only parameters from a client (RFC 9000, Section 18.2).
		{"client sends original_destination_connection_id", tpParam(tpOriginalDestinationConnectionID, 1), false},
		{"client sends stateless_reset_token", tpParam(tpStatelessResetToken, make([]byte, 16)...), false},
		{"client sends preferred_address", tpParam(tpPreferredAddress, pa([]byte{1})...), false},
		{"client sends retry_source_connection_id", tpParam(tpRetrySourceConnectionID), false},

		// Values (RFC 9000, Section 18.2).
		{"max_udp_payload_size 0", tpVarint(tpMaxUDPPayloadSize, 0), true},
		{"max_udp_payload_size 1199", tpVarint(tpMaxUDPPayloadSize, 1199), true},
		{"initial_max_streams_bidi 2^60+1", tpVarint(tpInitialMaxStreamsBidi, 1<<60+1), true},
		{"initial_max_streams_uni 2^62-1", tpVarint(tpInitialMaxStreamsUni, MaxVarint), true},
		{"ack_delay_exponent 21", tpVarint(tpAckDelayExponent, 21), true},
		{"ack_delay_exponent 2^62-1", tpVarint(tpAckDelayExponent, MaxVarint), true},
		{"max_ack_delay 2^14", tpVarint(tpMaxAckDelay, 1<<14), true},
		{"max_ack_delay 2^62-1", tpVarint(tpMaxAckDelay, MaxVarint), true},
		{"active_connection_id_limit 0", tpVarint(tpActiveConnectionIDLimit, 0), true},
		{"active_connection_id_limit 1", tpVarint(tpActiveConnectionIDLimit, 1), false},
		{"preferred_address from a server with a zero-length connection ID",
			cat(tpParam(tpPreferredAddress, pa([]byte{1})...), tpParam(tpInitialSourceConnectionID)), true},

		// Version Information (RFC 9368, Section 4).
		{"chosen version 0", tpParam(tpVersionInformation, 0, 0, 0, 0), true},
		{"chosen version 0 from client", tpParam(tpVersionInformation, 0, 0, 0, 0, 0, 0, 0, 0), false},
		{"available version 0", tpParam(tpVersionInformation, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0), false},
		{"available version 0 from server", tpParam(tpVersionInformation, 0, 0, 0, 1, 0, 0, 0, 0), true},
		{"client's chosen version not available", tpParam(tpVersionInformation, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf), false},
		{"client's available versions empty", tpParam(tpVersionInformation, 0, 0, 0, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseTransportParameters(tt.b, tt.sentByServer)
			if err == nil {
				t.Fatalf("ParseTransportParameters(%x, %v) = %+v, want error", tt.b, tt.sentByServer, p)
			}
			checkTPError(t, err)
		})
	}
}

func checkTPError(t *testing.T, err error) {
	t.Helper()
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("error %v (%T) is not a *TransportError", err, err)
	}
	if te.Code != TransportParameterError {
		t.Errorf("error %v has code %v, want TRANSPORT_PARAMETER_ERROR", err, te.Code)
	}
}

// TestParseTransportParametersValidEdges checks values at the edge of
// validity that must be accepted.
func TestParseTransportParametersValidEdges(t *testing.T) {
	tests := []struct {
		name         string
		b            []byte
		sentByServer bool
	}{
		{"max_udp_payload_size 1200", tpVarint(tpMaxUDPPayloadSize, 1200), false},
		{"initial_max_streams_bidi 2^60", tpVarint(tpInitialMaxStreamsBidi, 1<<60), false},
		{"ack_delay_exponent 20", tpVarint(tpAckDelayExponent, 20), false},
		{"max_ack_delay 2^14-1", tpVarint(tpMaxAckDelay, 1<<14-1), false},
		{"active_connection_id_limit 2", tpVarint(tpActiveConnectionIDLimit, 2), false},
		{"max_idle_timeout 2^62-1", tpVarint(tpMaxIdleTimeout, MaxVarint), false},
		{"connection ID of 20 bytes", tpParam(tpInitialSourceConnectionID, make([]byte, 20)...), false},
		{"non-minimal varint", tpParam(tpInitialMaxData, 0x80, 0, 0, 1), false},
		{"explicit zero max_datagram_frame_size", tpVarint(tpMaxDatagramFrameSize, 0), false},
		{"server's chosen version not available", tpParam(tpVersionInformation, 0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf), true},
		{"server's available versions empty", tpParam(tpVersionInformation, 0, 0, 0, 1), true},
		{"reserved versions available", tpParam(tpVersionInformation, 0, 0, 0, 1, 0, 0, 0, 1, 0x0a, 0x1a, 0x2a, 0x3a), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseTransportParameters(tt.b, tt.sentByServer); err != nil {
				t.Errorf("ParseTransportParameters(%x, %v): %v", tt.b, tt.sentByServer, err)
			}
		})
	}
}

func TestParseTransportParametersDurations(t *testing.T) {
	tests := []struct {
		name              string
		b                 []byte
		idle, maxAckDelay time.Duration
	}{
		{"absent", nil, 0, 25 * time.Millisecond},
		{"zero", cat(tpVarint(tpMaxIdleTimeout, 0), tpVarint(tpMaxAckDelay, 0)), 0, 0},
		{"milliseconds", cat(tpVarint(tpMaxIdleTimeout, 1500), tpVarint(tpMaxAckDelay, 16383)), 1500 * time.Millisecond, 16383 * time.Millisecond},
		{"idle timeout saturates", tpVarint(tpMaxIdleTimeout, MaxVarint), time.Duration(maxDurationMillis) * time.Millisecond, 25 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseTransportParameters(tt.b, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.MaxIdleTimeout != tt.idle || p.MaxAckDelay != tt.maxAckDelay {
				t.Errorf("got idle %v, max_ack_delay %v; want %v, %v", p.MaxIdleTimeout, p.MaxAckDelay, tt.idle, tt.maxAckDelay)
			}
		})
	}
}

func TestAppendTransportParametersRoundsDurationsUp(t *testing.T) {
	p := DefaultTransportParameters()
	p.MaxIdleTimeout = 1500 * time.Microsecond
	p.MaxAckDelay = time.Nanosecond
	got, err := ParseTransportParameters(p.Append(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if got.MaxIdleTimeout != 2*time.Millisecond || got.MaxAckDelay != time.Millisecond {
		t.Errorf("got idle %v, max_ack_delay %v; want 2ms, 1ms", got.MaxIdleTimeout, got.MaxAckDelay)
	}
}

func TestTransportParametersValidate(t *testing.T) {
	tests := []struct {
		name         string
		modify       func(*TransportParameters)
		sentByServer bool
	}{
		{"client with original_destination_connection_id", func(p *TransportParameters) { p.HasOriginalDestinationConnectionID = true }, false},
		{"client with stateless_reset_token", func(p *TransportParameters) { p.HasStatelessResetToken = true }, false},
		{"client with retry_source_connection_id", func(p *TransportParameters) { p.HasRetrySourceConnectionID = true }, false},
		{"client with preferred_address", func(p *TransportParameters) {
			p.PreferredAddress = &PreferredAddress{ConnID: []byte{1}}
		}, false},
		{"connection ID too long", func(p *TransportParameters) { p.InitialSourceConnectionID = make([]byte, 21) }, false},
		{"negative idle timeout", func(p *TransportParameters) { p.MaxIdleTimeout = -time.Second }, false},
		{"zero max_udp_payload_size", func(p *TransportParameters) { p.MaxUDPPayloadSize = 0 }, false},
		{"initial_max_data beyond varint", func(p *TransportParameters) { p.InitialMaxData = MaxVarint + 1 }, false},
		{"max_datagram_frame_size beyond varint", func(p *TransportParameters) { p.MaxDatagramFrameSize = 1 << 63 }, false},
		{"too many uni streams", func(p *TransportParameters) { p.InitialMaxStreamsUni = 1<<60 + 1 }, false},
		{"negative max_ack_delay", func(p *TransportParameters) { p.MaxAckDelay = -1 }, false},
		{"max_ack_delay rounds up to 2^14 ms", func(p *TransportParameters) {
			p.MaxAckDelay = (1<<14-1)*time.Millisecond + 1
		}, false},
		{"active_connection_id_limit 1", func(p *TransportParameters) { p.ActiveConnectionIDLimit = 1 }, false},
		{"preferred_address IPv6 in IPv4 field", func(p *TransportParameters) {
			p.PreferredAddress.IPv4 = netip.MustParseAddrPort("[2001:db8::1]:1")
		}, true},
		{"preferred_address IPv4 in IPv6 field", func(p *TransportParameters) {
			p.PreferredAddress.IPv6 = netip.MustParseAddrPort("192.0.2.1:1")
		}, true},
		{"preferred_address IPv6 with zone", func(p *TransportParameters) {
			p.PreferredAddress.IPv6 = netip.AddrPortFrom(netip.MustParseAddr("fe80::1%eth0"), 1)
		}, true},
		{"preferred_address without connection ID", func(p *TransportParameters) { p.PreferredAddress.ConnID = nil }, true},
		{"version_information without chosen version", func(p *TransportParameters) { p.VersionInformation.Chosen = 0 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := serverTestParams()
			if !tt.sentByServer {
				p = clientTestParams()
			}
			tt.modify(&p)
			err := p.Validate(tt.sentByServer)
			if err == nil {
				t.Fatalf("Validate accepted %+v", p)
			}
			checkTPError(t, err)
		})
	}
}

// TestParseTransportParametersTruncated checks that every proper prefix of a
// full encoding either parses (it ends between parameters) or fails with a
// TRANSPORT_PARAMETER_ERROR, and never panics.
func TestParseTransportParametersTruncated(t *testing.T) {
	for _, tt := range []struct {
		name         string
		p            TransportParameters
		sentByServer bool
	}{
		{"client", clientTestParams(), false},
		{"server", serverTestParams(), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.p.Append(nil)
			boundaries := paramBoundaries(t, b)
			for i := range len(b) {
				_, err := ParseTransportParameters(b[:i], tt.sentByServer)
				if boundaries[i] {
					// A prefix that ends between parameters may still be
					// invalid as a whole, such as a client's
					// version_information without the rest.
					if err != nil {
						checkTPError(t, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("prefix of %d of %d bytes parsed without error", i, len(b))
					continue
				}
				checkTPError(t, err)
			}
		})
	}
}

// paramBoundaries returns the offsets in b where a parameter starts or b ends.
func paramBoundaries(t *testing.T, b []byte) map[int]bool {
	t.Helper()
	m := map[int]bool{0: true}
	for off := 0; off < len(b); {
		_, n := ConsumeVarint(b[off:])
		_, l := ConsumeVarintBytes(b[off+n:])
		if n < 0 || l < 0 {
			t.Fatalf("bad encoding %x at %d", b, off)
		}
		off += n + l
		m[off] = true
	}
	return m
}

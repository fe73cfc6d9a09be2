package wire

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"time"
)

// Transport parameter identifiers (RFC 9000, Section 18.2; RFC 9368,
// Section 3; RFC 9221, Section 3).
const (
	tpOriginalDestinationConnectionID = 0x00
	tpMaxIdleTimeout                  = 0x01
	tpStatelessResetToken             = 0x02
	tpMaxUDPPayloadSize               = 0x03
	tpInitialMaxData                  = 0x04
	tpInitialMaxStreamDataBidiLocal   = 0x05
	tpInitialMaxStreamDataBidiRemote  = 0x06
	tpInitialMaxStreamDataUni         = 0x07
	tpInitialMaxStreamsBidi           = 0x08
	tpInitialMaxStreamsUni            = 0x09
	tpAckDelayExponent                = 0x0a
	tpMaxAckDelay                     = 0x0b
	tpDisableActiveMigration          = 0x0c
	tpPreferredAddress                = 0x0d
	tpActiveConnectionIDLimit         = 0x0e
	tpInitialSourceConnectionID       = 0x0f
	tpRetrySourceConnectionID         = 0x10
	tpVersionInformation              = 0x11
	tpMaxDatagramFrameSize            = 0x20
)

// Defaults and limits of transport parameter values (RFC 9000, Section 18.2).
const (
	// DefaultMaxUDPPayloadSize is the max_udp_payload_size assumed when the
	// parameter is absent: the largest UDP payload there is.
	DefaultMaxUDPPayloadSize = 65527
	// MinMaxUDPPayloadSize is the smallest valid max_udp_payload_size.
	MinMaxUDPPayloadSize = 1200
	// DefaultAckDelayExponent is the ack_delay_exponent assumed when absent.
	DefaultAckDelayExponent = 3
	// MaxAckDelayExponent is the largest valid ack_delay_exponent.
	MaxAckDelayExponent = 20
	// DefaultMaxAckDelay is the max_ack_delay assumed when absent.
	DefaultMaxAckDelay = 25 * time.Millisecond
	// DefaultActiveConnectionIDLimit is the active_connection_id_limit
	// assumed when absent, which is also its smallest valid value.
	DefaultActiveConnectionIDLimit = 2
	// MaxStreamsLimit is the largest valid initial_max_streams_bidi or
	// initial_max_streams_uni: a larger count would allow stream IDs that
	// no varint can hold (RFC 9000, Section 4.6).
	MaxStreamsLimit = 1 << 60
)

const (
	// maxAckDelayLimitMillis bounds max_ack_delay: values of 2^14 ms or
	// more are invalid (RFC 9000, Section 18.2).
	maxAckDelayLimitMillis = 1 << 14
	// maxDurationMillis is the largest number of milliseconds a
	// time.Duration holds. A peer's max_idle_timeout above it is read as
	// this many milliseconds: about 292 years is as good as forever.
	maxDurationMillis = math.MaxInt64 / int64(time.Millisecond)
	// tpMaxConnIDLen is the longest connection ID a transport parameter may
	// carry in QUIC versions 1 and 2 (RFC 9000, Section 17.2).
	tpMaxConnIDLen = 20
	// statelessResetTokenLen is the length of a stateless reset token
	// (RFC 9000, Section 10.3).
	statelessResetTokenLen = 16
	// preferredAddressFixedLen is the length of a preferred_address value
	// without its connection ID: two addresses and ports, the connection ID
	// length and the reset token (RFC 9000, Section 18.2, Figure 22).
	preferredAddressFixedLen = 4 + 2 + 16 + 2 + 1 + statelessResetTokenLen
)

// TransportParameters holds one endpoint's transport parameters
// (RFC 9000, Section 18.2). Durations are whole milliseconds on the wire.
// A parameter that is absent has its RFC default, as set by
// DefaultTransportParameters; the byte-string parameters, whose zero-length
// value is legal, carry a separate presence flag. A zero-length connection
// ID is stored as nil with its Has flag set.
type TransportParameters struct {
	// OriginalDestinationConnectionID is the Destination Connection ID of
	// the client's first Initial packet. Server only.
	OriginalDestinationConnectionID    []byte
	HasOriginalDestinationConnectionID bool

	// MaxIdleTimeout is the idle timeout; 0 means none (RFC 9000,
	// Section 10.1). It is sent rounded up to a whole millisecond.
	MaxIdleTimeout time.Duration

	// StatelessResetToken goes with the connection ID the server chose
	// during the handshake. Server only.
	StatelessResetToken    [16]byte
	HasStatelessResetToken bool

	// MaxUDPPayloadSize limits the UDP payloads the endpoint receives.
	// Default DefaultMaxUDPPayloadSize; below MinMaxUDPPayloadSize is invalid.
	MaxUDPPayloadSize uint64

	// Initial flow control limits (RFC 9000, Section 4.1); default 0.
	InitialMaxData                 uint64
	InitialMaxStreamDataBidiLocal  uint64
	InitialMaxStreamDataBidiRemote uint64
	InitialMaxStreamDataUni        uint64

	// Initial stream limits (RFC 9000, Section 4.6); default 0, above
	// MaxStreamsLimit is invalid.
	InitialMaxStreamsBidi uint64
	InitialMaxStreamsUni  uint64

	// AckDelayExponent scales the ACK Delay field of ACK frames. Default
	// DefaultAckDelayExponent; above MaxAckDelayExponent is invalid.
	AckDelayExponent uint64

	// MaxAckDelay is the longest the endpoint delays acknowledgments.
	// Default DefaultMaxAckDelay; 2^14 ms or more is invalid. It is sent
	// rounded up to a whole millisecond.
	MaxAckDelay time.Duration

	// DisableActiveMigration forbids the peer to migrate away from the
	// handshake address (RFC 9000, Section 9).
	DisableActiveMigration bool

	// PreferredAddress is the server's preferred address (RFC 9000,
	// Section 9.6), or nil. Server only.
	PreferredAddress *PreferredAddress

	// ActiveConnectionIDLimit is how many of the peer's connection IDs the
	// endpoint stores. Default and minimum DefaultActiveConnectionIDLimit.
	ActiveConnectionIDLimit uint64

	// InitialSourceConnectionID is the Source Connection ID of the
	// endpoint's first Initial packet (RFC 9000, Section 7.3).
	InitialSourceConnectionID    []byte
	HasInitialSourceConnectionID bool

	// RetrySourceConnectionID is the Source Connection ID of the server's
	// Retry packet. Server only.
	RetrySourceConnectionID    []byte
	HasRetrySourceConnectionID bool

	// MaxDatagramFrameSize is the largest DATAGRAM frame the endpoint
	// receives; 0, the default, means it receives none (RFC 9221,
	// Section 3).
	MaxDatagramFrameSize uint64

	// VersionInformation is the endpoint's Version Information (RFC 9368,
	// Section 3), or nil if it sent none.
	VersionInformation *VersionInformation
}

// PreferredAddress is the value of the preferred_address transport parameter
// (RFC 9000, Section 18.2). A server that offers one address family only
// sends all zeros for the other (RFC 9000, Section 18.2); such a family is
// the zero netip.AddrPort here.
type PreferredAddress struct {
	IPv4       netip.AddrPort // an IPv4 address, or the zero AddrPort
	IPv6       netip.AddrPort // an IPv6 address without zone, or the zero AddrPort
	ConnID     []byte         // 1 to 20 bytes, sequence number 1
	ResetToken [16]byte       // the stateless reset token of ConnID
}

// VersionInformation is the value of the version_information transport
// parameter (RFC 9368, Section 3).
type VersionInformation struct {
	// Chosen is the version the sender uses for this connection; never 0.
	Chosen uint32
	// Available lists the sender's other versions: for a client, all the
	// versions its first flight is compatible with in order of preference,
	// including Chosen; for a server, its fully deployed versions, possibly
	// none. It never contains 0.
	Available []uint32
}

// DefaultTransportParameters returns the values an endpoint assumes for
// every parameter its peer leaves out (RFC 9000, Section 18.2). Callers build
// their own parameters from it so that Append writes only what differs.
func DefaultTransportParameters() TransportParameters {
	return TransportParameters{
		MaxUDPPayloadSize:       DefaultMaxUDPPayloadSize,
		AckDelayExponent:        DefaultAckDelayExponent,
		MaxAckDelay:             DefaultMaxAckDelay,
		ActiveConnectionIDLimit: DefaultActiveConnectionIDLimit,
	}
}

// Append appends the encoding of p (RFC 9000, Section 18) to b and returns
// the extended slice. It writes, in increasing order of identifier, every
// parameter that is present and differs from its default, so the same p
// always encodes to the same bytes. It does not check p: callers that take
// values from configuration call Validate first.
func (p *TransportParameters) Append(b []byte) []byte {
	if p.HasOriginalDestinationConnectionID {
		b = appendBytesParam(b, tpOriginalDestinationConnectionID, p.OriginalDestinationConnectionID)
	}
	if ms := durationMillis(p.MaxIdleTimeout); ms != 0 {
		b = appendVarintParam(b, tpMaxIdleTimeout, ms)
	}
	if p.HasStatelessResetToken {
		b = appendBytesParam(b, tpStatelessResetToken, p.StatelessResetToken[:])
	}
	if p.MaxUDPPayloadSize != DefaultMaxUDPPayloadSize {
		b = appendVarintParam(b, tpMaxUDPPayloadSize, p.MaxUDPPayloadSize)
	}
	b = appendNonZeroParam(b, tpInitialMaxData, p.InitialMaxData)
	b = appendNonZeroParam(b, tpInitialMaxStreamDataBidiLocal, p.InitialMaxStreamDataBidiLocal)
	b = appendNonZeroParam(b, tpInitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataBidiRemote)
	b = appendNonZeroParam(b, tpInitialMaxStreamDataUni, p.InitialMaxStreamDataUni)
	b = appendNonZeroParam(b, tpInitialMaxStreamsBidi, p.InitialMaxStreamsBidi)
	b = appendNonZeroParam(b, tpInitialMaxStreamsUni, p.InitialMaxStreamsUni)
	if p.AckDelayExponent != DefaultAckDelayExponent {
		b = appendVarintParam(b, tpAckDelayExponent, p.AckDelayExponent)
	}
	if ms := durationMillis(p.MaxAckDelay); ms != uint64(DefaultMaxAckDelay/time.Millisecond) {
		b = appendVarintParam(b, tpMaxAckDelay, ms)
	}
	if p.DisableActiveMigration {
		b = appendBytesParam(b, tpDisableActiveMigration, nil)
	}
	if pa := p.PreferredAddress; pa != nil {
		b = AppendVarint(b, tpPreferredAddress)
		b = AppendVarint(b, uint64(preferredAddressFixedLen+len(pa.ConnID)))
		b = appendAddrPort(b, pa.IPv4, false)
		b = appendAddrPort(b, pa.IPv6, true)
		b = append(b, byte(len(pa.ConnID)))
		b = append(b, pa.ConnID...)
		b = append(b, pa.ResetToken[:]...)
	}
	if p.ActiveConnectionIDLimit != DefaultActiveConnectionIDLimit {
		b = appendVarintParam(b, tpActiveConnectionIDLimit, p.ActiveConnectionIDLimit)
	}
	if p.HasInitialSourceConnectionID {
		b = appendBytesParam(b, tpInitialSourceConnectionID, p.InitialSourceConnectionID)
	}
	if p.HasRetrySourceConnectionID {
		b = appendBytesParam(b, tpRetrySourceConnectionID, p.RetrySourceConnectionID)
	}
	if vi := p.VersionInformation; vi != nil {
		b = AppendVarint(b, tpVersionInformation)
		b = AppendVarint(b, uint64(4+4*len(vi.Available)))
		b = binary.BigEndian.AppendUint32(b, vi.Chosen)
		for _, v := range vi.Available {
			b = binary.BigEndian.AppendUint32(b, v)
		}
	}
	b = appendNonZeroParam(b, tpMaxDatagramFrameSize, p.MaxDatagramFrameSize)
	return b
}

// AppendReservedTransportParameter appends one reserved transport parameter
// to b: an identifier of the form 31*N+27 with 0 to 15 bytes of content, both
// derived from seed. Peers must ignore it (RFC 9000, Section 18.1); sending
// one keeps them honest. Callers pass a random seed so that the identifier
// and content vary; the same seed always gives the same bytes.
func AppendReservedTransportParameter(b []byte, seed uint64) []byte {
	x := mix64(seed)
	n := x & 0xffff // keeps the identifier within a 4-byte varint
	b = AppendVarint(b, 31*n+27)
	l := int(x>>16) & 0x0f
	b = AppendVarint(b, uint64(l))
	for i := 0; i < l; i++ {
		if i%8 == 0 {
			x = mix64(x)
		}
		b = append(b, byte(x>>(8*(i%8))))
	}
	return b
}

// mix64 is the SplitMix64 finalizer: a cheap bijection that makes nearby
// seeds give unrelated bits.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func appendVarintParam(b []byte, id, v uint64) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(VarintLen(v)))
	return AppendVarint(b, v)
}

func appendNonZeroParam(b []byte, id, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendVarintParam(b, id, v)
}

func appendBytesParam(b []byte, id uint64, v []byte) []byte {
	b = AppendVarint(b, id)
	b = AppendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendAddrPort appends one address and port of a preferred_address. An
// address of the wrong family, such as the zero AddrPort, is written as all
// zeros.
func appendAddrPort(b []byte, ap netip.AddrPort, v6 bool) []byte {
	a := ap.Addr()
	switch {
	case !v6 && a.Is4():
		a4 := a.As4()
		b = append(b, a4[:]...)
	case v6 && a.Is6():
		a16 := a.As16()
		b = append(b, a16[:]...)
	case v6:
		b = append(b, make([]byte, 16)...)
	default:
		b = append(b, 0, 0, 0, 0)
	}
	if !a.IsValid() {
		return append(b, 0, 0)
	}
	return binary.BigEndian.AppendUint16(b, ap.Port())
}

// durationMillis returns d in whole milliseconds, rounded up so that a small
// positive duration does not become 0, which some parameters read as "none".
// Negative durations are 0.
func durationMillis(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	ms := d / time.Millisecond
	if d%time.Millisecond != 0 {
		ms++
	}
	return uint64(ms)
}

// ParseTransportParameters decodes the transport parameters the peer sent
// and checks them as RFC 9000, Section 18.2, RFC 9221, Section 3 and
// RFC 9368, Section 4 require. sentByServer says which side the peer is:
// a client must not send the server-only parameters. Unknown and reserved
// identifiers are skipped (RFC 9000, Sections 7.4.2 and 18.1); a repeated
// identifier, known or not, is an error (RFC 9000, Section 7.4). Absent
// parameters take their defaults. The result shares no memory with b.
//
// Every error is a *TransportError with code TRANSPORT_PARAMETER_ERROR. The
// caller still checks the connection IDs against those of the handshake,
// including whether they are present at all (RFC 9000, Section 7.3).
func ParseTransportParameters(b []byte, sentByServer bool) (*TransportParameters, error) {
	p := DefaultTransportParameters()
	var seen uint64      // bit i set: known identifier i was seen
	var unknown []uint64 // unknown identifiers, to find repeats
	for len(b) > 0 {
		id, n := ConsumeVarint(b)
		if n < 0 {
			return nil, tpError("truncated transport parameter identifier")
		}
		val, m := ConsumeVarintBytes(b[n:])
		if m < 0 {
			return nil, tpError("transport parameter 0x%x truncated", id)
		}
		b = b[n+m:]
		if id < 64 && knownParam(id) {
			if seen&(1<<id) != 0 {
				return nil, tpError("transport parameter 0x%x repeated", id)
			}
			seen |= 1 << id
		} else {
			unknown = append(unknown, id)
			continue
		}
		if err := p.parseParam(id, val, sentByServer); err != nil {
			return nil, err
		}
	}
	if len(unknown) > 1 {
		slices.Sort(unknown)
		for i := 1; i < len(unknown); i++ {
			if unknown[i] == unknown[i-1] {
				return nil, tpError("transport parameter 0x%x repeated", unknown[i])
			}
		}
	}
	if err := p.Validate(sentByServer); err != nil {
		return nil, err
	}
	return &p, nil
}

// knownParam reports whether id, which is below 64, is a transport
// parameter this package understands.
func knownParam(id uint64) bool {
	return id <= tpVersionInformation || id == tpMaxDatagramFrameSize
}

// parseParam decodes the value of known parameter id into p. It checks the
// encoding and the server-only rule; Validate checks the values.
func (p *TransportParameters) parseParam(id uint64, val []byte, sentByServer bool) error {
	// RFC 9000, Section 18.2: a server MUST treat receipt of a server-only
	// parameter from a client as a TRANSPORT_PARAMETER_ERROR.
	switch id {
	case tpOriginalDestinationConnectionID, tpStatelessResetToken,
		tpPreferredAddress, tpRetrySourceConnectionID:
		if !sentByServer {
			return tpError("client sent server-only transport parameter 0x%x", id)
		}
	}
	var err error
	switch id {
	case tpOriginalDestinationConnectionID:
		p.OriginalDestinationConnectionID, err = parseConnIDParam(id, val)
		p.HasOriginalDestinationConnectionID = true
	case tpInitialSourceConnectionID:
		p.InitialSourceConnectionID, err = parseConnIDParam(id, val)
		p.HasInitialSourceConnectionID = true
	case tpRetrySourceConnectionID:
		p.RetrySourceConnectionID, err = parseConnIDParam(id, val)
		p.HasRetrySourceConnectionID = true
	case tpStatelessResetToken:
		if len(val) != statelessResetTokenLen {
			return tpError("stateless_reset_token of %d bytes", len(val))
		}
		copy(p.StatelessResetToken[:], val)
		p.HasStatelessResetToken = true
	case tpDisableActiveMigration:
		if len(val) != 0 {
			return tpError("disable_active_migration is not empty")
		}
		p.DisableActiveMigration = true
	case tpPreferredAddress:
		p.PreferredAddress, err = parsePreferredAddress(val)
	case tpVersionInformation:
		p.VersionInformation, err = parseVersionInformation(val)
	default:
		v, n := ConsumeVarint(val)
		if n < 0 || n != len(val) {
			return tpError("transport parameter 0x%x is not one varint", id)
		}
		p.setVarintParam(id, v)
	}
	return err
}

// setVarintParam stores v, the value of integer parameter id.
func (p *TransportParameters) setVarintParam(id, v uint64) {
	switch id {
	case tpMaxIdleTimeout:
		p.MaxIdleTimeout = time.Duration(min(v, uint64(maxDurationMillis))) * time.Millisecond
	case tpMaxUDPPayloadSize:
		p.MaxUDPPayloadSize = v
	case tpInitialMaxData:
		p.InitialMaxData = v
	case tpInitialMaxStreamDataBidiLocal:
		p.InitialMaxStreamDataBidiLocal = v
	case tpInitialMaxStreamDataBidiRemote:
		p.InitialMaxStreamDataBidiRemote = v
	case tpInitialMaxStreamDataUni:
		p.InitialMaxStreamDataUni = v
	case tpInitialMaxStreamsBidi:
		p.InitialMaxStreamsBidi = v
	case tpInitialMaxStreamsUni:
		p.InitialMaxStreamsUni = v
	case tpAckDelayExponent:
		p.AckDelayExponent = v
	case tpMaxAckDelay:
		// Saturate rather than overflow; Validate rejects 2^14 ms or more.
		p.MaxAckDelay = time.Duration(min(v, maxAckDelayLimitMillis)) * time.Millisecond
	case tpActiveConnectionIDLimit:
		p.ActiveConnectionIDLimit = v
	case tpMaxDatagramFrameSize:
		p.MaxDatagramFrameSize = v
	}
}

// parseConnIDParam returns a copy of a connection ID parameter's value.
func parseConnIDParam(id uint64, val []byte) ([]byte, error) {
	if len(val) > tpMaxConnIDLen {
		return nil, tpError("connection ID of %d bytes in transport parameter 0x%x", len(val), id)
	}
	return cloneBytes(val), nil
}

// parsePreferredAddress decodes a preferred_address value
// (RFC 9000, Section 18.2, Figure 22).
func parsePreferredAddress(val []byte) (*PreferredAddress, error) {
	if len(val) < preferredAddressFixedLen {
		return nil, tpError("preferred_address of %d bytes", len(val))
	}
	cidLen := int(val[24])
	if cidLen > tpMaxConnIDLen || len(val) != preferredAddressFixedLen+cidLen {
		return nil, tpError("preferred_address of %d bytes with a %d-byte connection ID", len(val), cidLen)
	}
	pa := &PreferredAddress{
		IPv4:   readAddrPort(netip.AddrFrom4([4]byte(val[0:4])), val[4:6]),
		IPv6:   readAddrPort(netip.AddrFrom16([16]byte(val[6:22])), val[22:24]),
		ConnID: cloneBytes(val[25 : 25+cidLen]),
	}
	copy(pa.ResetToken[:], val[25+cidLen:])
	return pa, nil
}

// readAddrPort returns the zero AddrPort for an all-zero address and port,
// the way a server leaves out one family of preferred_address.
func readAddrPort(a netip.Addr, port []byte) netip.AddrPort {
	p := binary.BigEndian.Uint16(port)
	if a.IsUnspecified() && p == 0 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a, p)
}

// parseVersionInformation decodes a version_information value
// (RFC 9368, Section 3). Validate checks the versions themselves.
func parseVersionInformation(val []byte) (*VersionInformation, error) {
	// RFC 9368, Section 4: too short, or a length not divisible by four,
	// is a parsing failure.
	if len(val) < 4 || len(val)%4 != 0 {
		return nil, tpError("version_information of %d bytes", len(val))
	}
	vi := &VersionInformation{Chosen: binary.BigEndian.Uint32(val)}
	if len(val) > 4 {
		vi.Available = make([]uint32, 0, len(val)/4-1)
		for i := 4; i < len(val); i += 4 {
			vi.Available = append(vi.Available, binary.BigEndian.Uint32(val[i:]))
		}
	}
	return vi, nil
}

// Validate reports whether p holds values an endpoint may send, with
// sentByServer saying which side sends them (RFC 9000, Section 18.2;
// RFC 9221, Section 3; RFC 9368, Section 4). ParseTransportParameters calls
// it on what the peer sent; an endpoint may call it on its own parameters.
// The error is a *TransportError with code TRANSPORT_PARAMETER_ERROR.
func (p *TransportParameters) Validate(sentByServer bool) error {
	if !sentByServer {
		// RFC 9000, Section 18.2: parameters only a server sends.
		switch {
		case p.HasOriginalDestinationConnectionID:
			return tpError("client sent original_destination_connection_id")
		case p.HasStatelessResetToken:
			return tpError("client sent stateless_reset_token")
		case p.PreferredAddress != nil:
			return tpError("client sent preferred_address")
		case p.HasRetrySourceConnectionID:
			return tpError("client sent retry_source_connection_id")
		}
	}
	for _, id := range [...][]byte{p.OriginalDestinationConnectionID, p.InitialSourceConnectionID, p.RetrySourceConnectionID} {
		if len(id) > tpMaxConnIDLen {
			return tpError("connection ID of %d bytes", len(id))
		}
	}
	if p.MaxIdleTimeout < 0 {
		return tpError("negative max_idle_timeout")
	}
	if p.MaxUDPPayloadSize < MinMaxUDPPayloadSize || p.MaxUDPPayloadSize > MaxVarint {
		return tpError("max_udp_payload_size %d", p.MaxUDPPayloadSize)
	}
	for _, v := range [...]uint64{p.InitialMaxData, p.InitialMaxStreamDataBidiLocal,
		p.InitialMaxStreamDataBidiRemote, p.InitialMaxStreamDataUni, p.MaxDatagramFrameSize} {
		if v > MaxVarint {
			return tpError("value %d does not fit a varint", v)
		}
	}
	// RFC 9000, Section 4.6: more than 2^60 streams would allow stream IDs
	// that do not fit a varint.
	if p.InitialMaxStreamsBidi > MaxStreamsLimit {
		return tpError("initial_max_streams_bidi %d exceeds 2^60", p.InitialMaxStreamsBidi)
	}
	if p.InitialMaxStreamsUni > MaxStreamsLimit {
		return tpError("initial_max_streams_uni %d exceeds 2^60", p.InitialMaxStreamsUni)
	}
	if p.AckDelayExponent > MaxAckDelayExponent {
		return tpError("ack_delay_exponent %d exceeds 20", p.AckDelayExponent)
	}
	if p.MaxAckDelay < 0 || durationMillis(p.MaxAckDelay) >= maxAckDelayLimitMillis {
		return tpError("max_ack_delay %v out of range", p.MaxAckDelay)
	}
	if p.ActiveConnectionIDLimit < DefaultActiveConnectionIDLimit || p.ActiveConnectionIDLimit > MaxVarint {
		return tpError("active_connection_id_limit %d", p.ActiveConnectionIDLimit)
	}
	if pa := p.PreferredAddress; pa != nil {
		if err := pa.validate(); err != nil {
			return err
		}
		// RFC 9000, Section 18.2: a server that chose a zero-length
		// connection ID must not provide a preferred address.
		if p.HasInitialSourceConnectionID && len(p.InitialSourceConnectionID) == 0 {
			return tpError("preferred_address with a zero-length connection ID")
		}
	}
	if vi := p.VersionInformation; vi != nil {
		if err := vi.validate(sentByServer); err != nil {
			return err
		}
	}
	return nil
}

func (pa *PreferredAddress) validate() error {
	// RFC 9000, Section 18.2: the connection ID is never zero-length, and is
	// otherwise like that of NEW_CONNECTION_ID.
	if len(pa.ConnID) == 0 || len(pa.ConnID) > tpMaxConnIDLen {
		return tpError("preferred_address connection ID of %d bytes", len(pa.ConnID))
	}
	if pa.IPv4.IsValid() && !pa.IPv4.Addr().Is4() {
		return tpError("preferred_address IPv4 address %v", pa.IPv4)
	}
	if pa.IPv6.IsValid() && (!pa.IPv6.Addr().Is6() || pa.IPv6.Addr().Zone() != "") {
		return tpError("preferred_address IPv6 address %v", pa.IPv6)
	}
	return nil
}

// validate applies RFC 9368, Section 4: a zero version anywhere, or a client
// whose Chosen Version is not among its Available Versions, is a parsing
// failure.
func (vi *VersionInformation) validate(sentByServer bool) error {
	if vi.Chosen == 0 {
		return tpError("version_information with chosen version 0")
	}
	found := false
	for _, v := range vi.Available {
		if v == 0 {
			return tpError("version_information with available version 0")
		}
		found = found || v == vi.Chosen
	}
	if !sentByServer && !found {
		return tpError("version_information without the chosen version 0x%08x among the available ones", vi.Chosen)
	}
	return nil
}

func tpError(format string, args ...any) *TransportError {
	return Errorf(TransportParameterError, 0, format, args...)
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

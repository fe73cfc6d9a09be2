// Package qlog writes qlog traces of quince connections: one JSON-SEQ
// (RFC 7464) .sqlog file per connection in the QlogFileSeq schema of
// draft-ietf-quic-qlog-main-schema with the QUIC events of
// draft-ietf-quic-qlog-quic-events. A *Tracer is a core.Tracer.
//
// Times are milliseconds since the connection's first event, on the
// connection's own (monotonic) clock; the header records the wall clock
// time the trace began.
package qlog

import (
	"bufio"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
)

const (
	// FileSchema and SerializationFormat identify a QlogFileSeq file
	// (draft-ietf-quic-qlog-main-schema, Sections 5 and 11.2).
	FileSchema          = "urn:ietf:params:qlog:file:sequential"
	SerializationFormat = "application/qlog+json-seq"
	// EventSchema is the URI of the QUIC event schema of the draft
	// implemented: draft-ietf-quic-qlog-quic-events-13. Until the RFC, a
	// draft's URI carries its number (Section 2.1 of that draft).
	EventSchema = "urn:ietf:params:qlog:events:quic-13"

	recordSeparator = 0x1e // RFC 7464, Section 2.2
)

// Tracer writes one connection's trace. It implements core.Tracer. Write
// errors do not reach the connection: the first is remembered (Err) and
// the rest of the trace is dropped.
type Tracer struct {
	mu     sync.Mutex
	w      *bufio.Writer
	closer io.Closer
	err    error
	closed bool

	ref             time.Time // the time of the first event: time 0
	client          bool
	peerAckDelayExp uint64

	rec     record
	parser  wire.FrameParser
	metrics core.TraceMetrics
}

// NewTracer starts a trace written to w, for the client or the server side
// of the connection whose original destination connection ID is odcid
// (the group_id, as the draft suggests). If w is an io.Closer, Close
// closes it.
func NewTracer(w io.Writer, client bool, odcid []byte) *Tracer {
	t := &Tracer{w: bufio.NewWriterSize(w, 32<<10), client: client, peerAckDelayExp: 3}
	if c, ok := w.(io.Closer); ok {
		t.closer = c
	}
	t.writeHeader(odcid, time.Now())
	return t
}

// DirTracerFactory returns a function that starts, for each connection, a
// trace in the file <odcid>_<client|server>.sqlog in dir (odcid in hex),
// as QLOGDIR asks (draft-ietf-quic-qlog-main-schema, Section 9.1). The
// session closes each Tracer when its connection ends.
func DirTracerFactory(dir string) func(client bool, odcid []byte) (*Tracer, error) {
	return func(client bool, odcid []byte) (*Tracer, error) {
		side := "server"
		if client {
			side = "client"
		}
		name := filepath.Join(dir, hex.EncodeToString(odcid)+"_"+side+".sqlog")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, err
		}
		return NewTracer(f, client, odcid), nil
	}
}

// Err returns the first error writing the trace, or nil.
func (t *Tracer) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Close flushes the trace and closes the writer if it is an io.Closer.
// Events after Close are dropped.
func (t *Tracer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return t.err
	}
	t.closed = true
	if err := t.w.Flush(); err != nil && t.err == nil {
		t.err = err
	}
	if t.closer != nil {
		if err := t.closer.Close(); err != nil && t.err == nil {
			t.err = err
		}
	}
	return t.err
}

// Flush writes buffered records out.
func (t *Tracer) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil && !t.closed {
		t.err = t.w.Flush()
	}
	return t.err
}

func (t *Tracer) writeHeader(odcid []byte, wall time.Time) {
	r := &t.rec
	r.b, r.comma = append(r.b[:0], recordSeparator), false
	r.open('{')
	r.str("file_schema", FileSchema)
	r.str("serialization_format", SerializationFormat)
	// Earlier drafts' names, which tools such as qvis still look for.
	r.str("qlog_format", "JSON-SEQ")
	r.str("qlog_version", "0.4")
	r.str("title", "quince")
	r.object("trace")
	r.object("common_fields")
	if len(odcid) > 0 {
		r.hex("group_id", odcid)
	}
	r.str("time_format", "relative_to_epoch")
	r.object("reference_time")
	r.str("clock_type", "monotonic")
	r.str("epoch", "unknown")
	r.str("wall_clock_time", wall.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	r.close('}')
	r.close('}')
	r.object("vantage_point")
	r.str("name", "quince")
	if t.client {
		r.str("type", "client")
	} else {
		r.str("type", "server")
	}
	r.close('}')
	r.array("event_schemas")
	r.strValue(EventSchema)
	r.close(']')
	r.close('}')
	r.close('}')
	r.b = append(r.b, '\n')
	t.write()
}

// begin starts an event record; the caller adds the data fields and calls
// end. It returns false (and the caller writes nothing) once the trace has
// failed or is closed.
func (t *Tracer) begin(now time.Time, name string) bool {
	t.mu.Lock()
	if t.err != nil || t.closed {
		t.mu.Unlock()
		return false
	}
	if t.ref.IsZero() {
		t.ref = now
	}
	r := &t.rec
	r.b, r.comma = append(r.b[:0], recordSeparator), false
	r.open('{')
	r.float("time", float64(now.Sub(t.ref).Nanoseconds())/1e6)
	r.str("name", name)
	r.object("data")
	return true
}

func (t *Tracer) end() {
	r := &t.rec
	r.close('}') // data
	r.close('}')
	r.b = append(r.b, '\n')
	t.write()
	t.mu.Unlock()
}

func (t *Tracer) write() {
	if _, err := t.w.Write(t.rec.b); err != nil && t.err == nil {
		t.err = err
	}
}

var packetTypes = map[wire.PacketType]string{
	wire.PacketInitial:   "initial",
	wire.PacketHandshake: "handshake",
	wire.Packet0RTT:      "0RTT",
	wire.Packet1RTT:      "1RTT",
	wire.PacketRetry:     "retry",
}

func packetTypeName(pt wire.PacketType) string {
	if s, ok := packetTypes[pt]; ok {
		return s
	}
	return "unknown"
}

// header writes a PacketHeader.
func (t *Tracer) header(p *core.TracePacket) {
	r := &t.rec
	r.object("header")
	r.str("packet_type", packetTypeName(p.Type))
	if p.Number >= 0 && p.Type != 0 {
		if p.NumberLen > 0 {
			r.uint("packet_number_length", uint64(p.NumberLen))
		}
		r.uint("packet_number", uint64(p.Number))
	}
	if p.Type == wire.Packet1RTT && p.Frames != nil {
		r.bool("key_phase_bit", p.KeyPhase)
	}
	if p.Version != 0 {
		v := [4]byte{byte(p.Version >> 24), byte(p.Version >> 16), byte(p.Version >> 8), byte(p.Version)}
		r.hex("version", v[:])
	}
	if p.SrcConnID != nil {
		r.uint("scil", uint64(len(p.SrcConnID)))
		r.hex("scid", p.SrcConnID)
	}
	if p.DstConnID != nil {
		r.uint("dcil", uint64(len(p.DstConnID)))
		r.hex("dcid", p.DstConnID)
	}
	r.close('}')
}

func (t *Tracer) raw(p *core.TracePacket) {
	rawLen(&t.rec, p.Size, len(p.Frames))
}

// PacketSent logs quic:packet_sent.
func (t *Tracer) PacketSent(now time.Time, p *core.TracePacket) {
	if !t.begin(now, "quic:packet_sent") {
		return
	}
	t.header(p)
	t.appendFrames(&t.rec, p.Frames, 3) // quince's ack_delay_exponent
	t.raw(p)
	if p.MTUProbe {
		t.rec.bool("is_mtu_probe_packet", true)
	}
	t.end()
}

// PacketReceived logs quic:packet_received.
func (t *Tracer) PacketReceived(now time.Time, p *core.TracePacket) {
	if !t.begin(now, "quic:packet_received") {
		return
	}
	t.header(p)
	t.appendFrames(&t.rec, p.Frames, t.peerAckDelayExp)
	t.raw(p)
	t.end()
}

// PacketDropped logs quic:packet_dropped.
func (t *Tracer) PacketDropped(now time.Time, p *core.TracePacket, reason core.DropReason) {
	if !t.begin(now, "quic:packet_dropped") {
		return
	}
	if p.Type != 0 {
		t.header(p)
	}
	rawLen(&t.rec, p.Size, -1)
	t.rec.str("trigger", reason.String())
	t.end()
}

// PacketLost logs quic:packet_lost.
func (t *Tracer) PacketLost(now time.Time, p *core.TracePacket, reason core.LossReason) {
	if !t.begin(now, "quic:packet_lost") {
		return
	}
	t.header(p)
	if p.MTUProbe {
		t.rec.bool("is_mtu_probe_packet", true)
	}
	t.rec.str("trigger", reason.String())
	t.end()
}

// MetricsUpdated logs quic:recovery_metrics_updated with the metrics that
// changed since the last one.
func (t *Tracer) MetricsUpdated(now time.Time, m *core.TraceMetrics) {
	if !t.begin(now, "quic:recovery_metrics_updated") {
		return
	}
	r, old := &t.rec, &t.metrics
	first := *old == core.TraceMetrics{}
	if m.MinRTT != 0 && (first || m.MinRTT != old.MinRTT) {
		r.ms("min_rtt", m.MinRTT)
	}
	if first || m.SmoothedRTT != old.SmoothedRTT {
		r.ms("smoothed_rtt", m.SmoothedRTT)
	}
	if m.LatestRTT != 0 && (first || m.LatestRTT != old.LatestRTT) {
		r.ms("latest_rtt", m.LatestRTT)
	}
	if first || m.RTTVar != old.RTTVar {
		r.ms("rtt_variance", m.RTTVar)
	}
	if first || m.PTOCount != old.PTOCount {
		r.uint("pto_count", uint64(m.PTOCount))
	}
	if first || m.CongestionWindow != old.CongestionWindow {
		r.uint("congestion_window", uint64(m.CongestionWindow))
	}
	if first || m.BytesInFlight != old.BytesInFlight {
		r.uint("bytes_in_flight", uint64(max(m.BytesInFlight, 0)))
	}
	*old = *m
	t.end()
}

var keyTypes = map[wire.PacketType]string{
	wire.PacketInitial:   "initial",
	wire.PacketHandshake: "handshake",
	wire.Packet0RTT:      "0rtt",
	wire.Packet1RTT:      "1rtt",
}

// KeyUpdated logs quic:key_updated.
func (t *Tracer) KeyUpdated(now time.Time, k core.TraceKey) {
	if !t.begin(now, "quic:key_updated") {
		return
	}
	side := "client_"
	if k.Server {
		side = "server_"
	}
	t.rec.str("key_type", side+keyTypes[k.Type]+"_secret")
	if k.Type == wire.Packet1RTT {
		t.rec.uint("key_phase", k.Generation)
	}
	t.rec.str("trigger", k.Trigger.String())
	t.end()
}

// ConnectionStateUpdated logs quic:connection_state_updated.
func (t *Tracer) ConnectionStateUpdated(now time.Time, old, state core.TraceState, err *core.ConnError) {
	if !t.begin(now, "quic:connection_state_updated") {
		return
	}
	if old != core.TraceStateNone {
		t.rec.str("old", old.String())
	}
	t.rec.str("new", state.String())
	t.end()
}

// ParametersSet logs quic:parameters_set.
func (t *Tracer) ParametersSet(now time.Time, local bool, p *wire.TransportParameters) {
	if !local {
		t.mu.Lock()
		t.peerAckDelayExp = p.AckDelayExponent
		t.mu.Unlock()
	}
	if !t.begin(now, "quic:parameters_set") {
		return
	}
	r := &t.rec
	if local {
		r.str("initiator", "local")
	} else {
		r.str("initiator", "remote")
	}
	if p.HasOriginalDestinationConnectionID {
		r.hex("original_destination_connection_id", p.OriginalDestinationConnectionID)
	}
	if p.HasInitialSourceConnectionID {
		r.hex("initial_source_connection_id", p.InitialSourceConnectionID)
	}
	if p.HasRetrySourceConnectionID {
		r.hex("retry_source_connection_id", p.RetrySourceConnectionID)
	}
	if p.HasStatelessResetToken {
		r.hex("stateless_reset_token", p.StatelessResetToken[:])
	}
	r.bool("disable_active_migration", p.DisableActiveMigration)
	r.uint("max_idle_timeout", uint64(p.MaxIdleTimeout.Milliseconds()))
	r.uint("max_udp_payload_size", p.MaxUDPPayloadSize)
	r.uint("ack_delay_exponent", p.AckDelayExponent)
	r.uint("max_ack_delay", uint64(p.MaxAckDelay.Milliseconds()))
	r.uint("active_connection_id_limit", p.ActiveConnectionIDLimit)
	r.uint("initial_max_data", p.InitialMaxData)
	r.uint("initial_max_stream_data_bidi_local", p.InitialMaxStreamDataBidiLocal)
	r.uint("initial_max_stream_data_bidi_remote", p.InitialMaxStreamDataBidiRemote)
	r.uint("initial_max_stream_data_uni", p.InitialMaxStreamDataUni)
	r.uint("initial_max_streams_bidi", p.InitialMaxStreamsBidi)
	r.uint("initial_max_streams_uni", p.InitialMaxStreamsUni)
	if pa := p.PreferredAddress; pa != nil {
		r.object("preferred_address")
		if pa.IPv4.IsValid() {
			r.str("ip_v4", pa.IPv4.Addr().String())
			r.uint("port_v4", uint64(pa.IPv4.Port()))
		}
		if pa.IPv6.IsValid() {
			r.str("ip_v6", pa.IPv6.Addr().String())
			r.uint("port_v6", uint64(pa.IPv6.Port()))
		}
		r.hex("connection_id", pa.ConnID)
		r.hex("stateless_reset_token", pa.ResetToken[:])
		r.close('}')
	}
	r.uint("max_datagram_frame_size", p.MaxDatagramFrameSize)
	t.end()
}

var _ core.Tracer = (*Tracer)(nil)

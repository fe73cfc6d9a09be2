package qlog

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net/netip"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quince-go/quic/internal/core"
	"github.com/quince-go/quic/internal/core/wire"
)

// The schema below is transcribed from draft-ietf-quic-qlog-main-schema
// (QlogFileSeq, TraceSeq, Event, ReferenceTime, VantagePoint) and
// draft-ietf-quic-qlog-quic-events (the events quince logs, PacketHeader,
// the frames). Each map lists the required fields and the allowed fields.

type fieldSpec struct {
	required []string
	allowed  []string // besides required
}

var eventSpecs = map[string]fieldSpec{
	"quic:packet_sent":     {[]string{"header"}, []string{"frames", "stateless_reset_token", "supported_versions", "raw", "datagram_payload_checksum", "is_mtu_probe_packet", "trigger"}},
	"quic:packet_received": {[]string{"header"}, []string{"frames", "stateless_reset_token", "supported_versions", "raw", "datagram_payload_checksum", "trigger"}},
	"quic:packet_dropped":  {nil, []string{"header", "raw", "datagram_payload_checksum", "details", "trigger"}},
	"quic:packet_lost":     {nil, []string{"header", "frames", "is_mtu_probe_packet", "trigger"}},
	"quic:recovery_metrics_updated": {nil, []string{"min_rtt", "smoothed_rtt", "latest_rtt", "rtt_variance", "pto_count",
		"congestion_window", "bytes_in_flight", "ssthresh", "packets_in_flight", "pacing_rate"}},
	"quic:key_updated":              {[]string{"key_type"}, []string{"old", "new", "key_phase", "trigger"}},
	"quic:connection_state_updated": {[]string{"new"}, []string{"old"}},
	"quic:parameters_set": {nil, []string{"initiator", "resumption_allowed", "early_data_enabled", "tls_cipher",
		"original_destination_connection_id", "initial_source_connection_id", "retry_source_connection_id",
		"stateless_reset_token", "disable_active_migration", "max_idle_timeout", "max_udp_payload_size",
		"ack_delay_exponent", "max_ack_delay", "active_connection_id_limit", "initial_max_data",
		"initial_max_stream_data_bidi_local", "initial_max_stream_data_bidi_remote", "initial_max_stream_data_uni",
		"initial_max_streams_bidi", "initial_max_streams_uni", "preferred_address", "unknown_parameters",
		"max_datagram_frame_size", "grease_quic_bit", "reset_stream_at"}},
}

var enums = map[string][]string{
	"packet_type":     {"initial", "handshake", "0RTT", "1RTT", "retry", "version_negotiation", "stateless_reset", "unknown"},
	"key_type":        {"server_initial_secret", "client_initial_secret", "server_handshake_secret", "client_handshake_secret", "server_0rtt_secret", "client_0rtt_secret", "server_1rtt_secret", "client_1rtt_secret"},
	"state":           {"attempted", "handshake_started", "handshake_complete", "closed", "peer_validated", "early_write", "handshake_confirmed", "closing", "draining"},
	"initiator":       {"local", "remote"},
	"dropped_trigger": {"internal_error", "rejected", "unsupported", "invalid", "duplicate", "connection_unknown", "decryption_failure", "key_unavailable", "general"},
	"lost_trigger":    {"reordering_threshold", "time_threshold", "pto_expired"},
	"key_trigger":     {"tls", "remote_update", "local_update"},
	"sent_trigger":    {"retransmit_reordered", "retransmit_timeout", "pto_probe", "retransmit_crypto", "cc_bandwidth_probe"},
	"vantage_point":   {"client", "server", "network", "unknown"},
	"stream_type":     {"unidirectional", "bidirectional"},
	"error_space":     {"transport", "application"},
	"clock_type":      {"system", "monotonic"},
	"time_format":     {"relative_to_epoch", "relative_to_previous_event"},
}

var headerSpec = fieldSpec{[]string{"packet_type"}, []string{"packet_type_bytes", "spin_bit", "key_phase", "key_phase_bit",
	"packet_number_length", "packet_number", "token", "length", "version", "scil", "dcil", "scid", "dcid"}}

var frameSpecs = map[string]fieldSpec{
	"padding":              {nil, nil},
	"ping":                 {nil, nil},
	"ack":                  {nil, []string{"ack_delay", "acked_ranges", "ect1", "ect0", "ce"}},
	"reset_stream":         {[]string{"stream_id", "error", "final_size"}, []string{"error_code"}},
	"stop_sending":         {[]string{"stream_id", "error"}, []string{"error_code"}},
	"crypto":               {[]string{"offset", "raw"}, nil},
	"new_token":            {[]string{"token"}, nil},
	"stream":               {[]string{"stream_id"}, []string{"offset", "fin"}},
	"max_data":             {[]string{"maximum"}, nil},
	"max_stream_data":      {[]string{"stream_id", "maximum"}, nil},
	"max_streams":          {[]string{"stream_type", "maximum"}, nil},
	"data_blocked":         {[]string{"limit"}, nil},
	"stream_data_blocked":  {[]string{"stream_id", "limit"}, nil},
	"streams_blocked":      {[]string{"stream_type", "limit"}, nil},
	"new_connection_id":    {[]string{"sequence_number", "retire_prior_to", "connection_id"}, []string{"connection_id_length", "stateless_reset_token"}},
	"retire_connection_id": {[]string{"sequence_number"}, nil},
	"path_challenge":       {nil, []string{"data"}},
	"path_response":        {nil, []string{"data"}},
	"connection_close":     {nil, []string{"error_space", "error", "error_code", "reason", "reason_bytes", "trigger_frame_type"}},
	"handshake_done":       {nil, nil},
	"unknown":              {[]string{"frame_type_bytes"}, nil},
	"datagram":             {nil, nil},
}

var hexFields = map[string]bool{"scid": true, "dcid": true, "version": true, "connection_id": true, "stateless_reset_token": true,
	"data": true, "original_destination_connection_id": true, "initial_source_connection_id": true, "retry_source_connection_id": true, "group_id": true}

// checker collects schema violations.
type checker struct {
	t    *testing.T
	file string
}

func (c *checker) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(c.file+": "+format, args...)
}

func (c *checker) fields(where string, obj map[string]any, spec fieldSpec) {
	c.t.Helper()
	for _, k := range spec.required {
		if _, ok := obj[k]; !ok {
			c.errorf("%s: required field %q missing", where, k)
		}
	}
	for k, v := range obj {
		if k == "raw" {
			c.raw(where, v)
			continue
		}
		if !contains(spec.required, k) && !contains(spec.allowed, k) {
			c.errorf("%s: field %q is not in the draft", where, k)
		}
		if hexFields[k] {
			s, ok := v.(string)
			if !ok || len(s)%2 != 0 || !isLowerHex(s) {
				c.errorf("%s: %s = %v is not a hexstring", where, k, v)
			}
		}
	}
}

func (c *checker) raw(where string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		c.errorf("%s: raw is not an object", where)
		return
	}
	c.fields(where+".raw", m, fieldSpec{nil, []string{"length", "payload_length", "data"}})
	for _, k := range []string{"length", "payload_length"} {
		if x, ok := m[k]; ok {
			c.uint(where+".raw."+k, x)
		}
	}
}

func (c *checker) uint(where string, v any) {
	c.t.Helper()
	f, ok := v.(float64)
	if !ok || f < 0 || f != float64(uint64(f)) {
		c.errorf("%s = %v is not a uint64", where, v)
	}
}

func (c *checker) enum(where, enum string, v any) {
	c.t.Helper()
	s, ok := v.(string)
	if !ok || !contains(enums[enum], s) {
		c.errorf("%s = %v is not one of %v", where, v, enums[enum])
	}
}

func (c *checker) header(where string, v any) {
	h, ok := v.(map[string]any)
	if !ok {
		c.errorf("%s: header is not an object", where)
		return
	}
	c.fields(where+".header", h, headerSpec)
	c.enum(where+".header.packet_type", "packet_type", h["packet_type"])
	for _, k := range []string{"packet_number", "packet_number_length", "scil", "dcil"} {
		if x, ok := h[k]; ok {
			c.uint(where+".header."+k, x)
		}
	}
}

func (c *checker) frames(where string, v any) {
	fs, ok := v.([]any)
	if !ok {
		c.errorf("%s: frames is not an array", where)
		return
	}
	for i, f := range fs {
		m, ok := f.(map[string]any)
		if !ok {
			c.errorf("%s: frame %d is not an object", where, i)
			continue
		}
		typ, _ := m["frame_type"].(string)
		spec, ok := frameSpecs[typ]
		if !ok {
			c.errorf("%s: frame_type %q is not in the draft", where, typ)
			continue
		}
		delete(m, "frame_type")
		fw := where + "." + typ
		c.fields(fw, m, spec)
		if x, ok := m["stream_type"]; ok {
			c.enum(fw+".stream_type", "stream_type", x)
		}
		if x, ok := m["error_space"]; ok {
			c.enum(fw+".error_space", "error_space", x)
		}
		if ranges, ok := m["acked_ranges"].([]any); ok {
			for _, rg := range ranges {
				a, ok := rg.([]any)
				if !ok || len(a) < 1 || len(a) > 2 {
					c.errorf("%s: AckRange %v is not [1*2 uint64]", fw, rg)
				}
			}
		}
	}
}

// checkFile checks a JSON-SEQ qlog file and returns its events' names.
func checkFile(t *testing.T, name string, data []byte, vantage string) []string {
	c := &checker{t: t, file: name}
	if len(data) == 0 || data[0] != recordSeparator {
		c.errorf("does not start with a record separator (RFC 7464)")
		return nil
	}
	records := bytes.Split(data[1:], []byte{recordSeparator})
	var header map[string]any
	if err := json.Unmarshal(records[0], &header); err != nil || !bytes.HasSuffix(records[0], []byte("\n")) {
		c.errorf("header record %q: %v", records[0], err)
		return nil
	}
	if i := bytes.Index(data, []byte(SerializationFormat)); i < 0 || i > 256 {
		c.errorf("file_schema and serialization_format are not in the first 256 bytes")
	}
	if header["file_schema"] != FileSchema || header["serialization_format"] != SerializationFormat {
		c.errorf("header: file_schema %v, serialization_format %v", header["file_schema"], header["serialization_format"])
	}
	trace, _ := header["trace"].(map[string]any)
	if trace == nil {
		c.errorf("header has no trace")
		return nil
	}
	c.fields("trace", trace, fieldSpec{[]string{"event_schemas"}, []string{"title", "description", "common_fields", "vantage_point"}})
	if s, _ := trace["event_schemas"].([]any); len(s) == 0 || s[0] != EventSchema {
		c.errorf("event_schemas = %v", trace["event_schemas"])
	}
	vp, _ := trace["vantage_point"].(map[string]any)
	c.enum("vantage_point.type", "vantage_point", vp["type"])
	if vp["type"] != vantage {
		c.errorf("vantage_point.type = %v, want %s", vp["type"], vantage)
	}
	cf, _ := trace["common_fields"].(map[string]any)
	c.enum("common_fields.time_format", "time_format", cf["time_format"])
	ref, _ := cf["reference_time"].(map[string]any)
	c.enum("reference_time.clock_type", "clock_type", ref["clock_type"])
	if ref["clock_type"] == "monotonic" && ref["epoch"] != "unknown" {
		c.errorf("a monotonic clock's epoch must be \"unknown\", is %v", ref["epoch"])
	}
	if w, ok := ref["wall_clock_time"].(string); ok {
		if _, err := time.Parse(time.RFC3339, w); err != nil {
			c.errorf("wall_clock_time: %v", err)
		}
	}

	var names []string
	last := -1.0
	for i, rec := range records[1:] {
		if !bytes.HasSuffix(rec, []byte("\n")) {
			c.errorf("record %d does not end with a newline", i+1)
		}
		var ev map[string]any
		if err := json.Unmarshal(rec, &ev); err != nil {
			c.errorf("record %d: %v", i+1, err)
			continue
		}
		tm, ok := ev["time"].(float64)
		if !ok || tm < 0 {
			c.errorf("record %d: time %v is not a non-negative float64 of milliseconds", i+1, ev["time"])
		}
		if tm < last {
			c.errorf("record %d: time %v goes back from %v", i+1, tm, last)
		}
		last = tm
		name, _ := ev["name"].(string)
		spec, ok := eventSpecs[name]
		if !ok {
			c.errorf("record %d: event name %q is not in the draft", i+1, name)
			continue
		}
		names = append(names, name)
		data, ok := ev["data"].(map[string]any)
		if !ok {
			c.errorf("record %d: no data object", i+1)
			continue
		}
		for k := range ev {
			if k != "time" && k != "name" && k != "data" {
				c.errorf("record %d: unexpected event field %q", i+1, k)
			}
		}
		where := name
		c.fields(where, data, spec)
		if h, ok := data["header"]; ok {
			c.header(where, h)
		}
		if f, ok := data["frames"]; ok {
			c.frames(where, f)
		}
		switch name {
		case "quic:packet_sent":
			if x, ok := data["trigger"]; ok {
				c.enum(where+".trigger", "sent_trigger", x)
			}
		case "quic:packet_dropped":
			c.enum(where+".trigger", "dropped_trigger", data["trigger"])
		case "quic:packet_lost":
			c.enum(where+".trigger", "lost_trigger", data["trigger"])
			h, _ := data["header"].(map[string]any)
			if h["packet_number"] == nil {
				c.errorf("%s: should include the packet_number", where)
			}
		case "quic:key_updated":
			c.enum(where+".key_type", "key_type", data["key_type"])
			c.enum(where+".trigger", "key_trigger", data["trigger"])
		case "quic:connection_state_updated":
			c.enum(where+".new", "state", data["new"])
			if x, ok := data["old"]; ok {
				c.enum(where+".old", "state", x)
			}
		case "quic:parameters_set":
			c.enum(where+".initiator", "initiator", data["initiator"])
		case "quic:recovery_metrics_updated":
			for k, v := range data {
				if _, ok := v.(float64); !ok {
					c.errorf("%s.%s = %v is not a number", where, k, v)
				}
			}
		}
	}
	return names
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// TestSchema traces both ends of a transfer over a lossy link and checks
// every record against the drafts.
func TestSchema(t *testing.T) {
	var cbuf, sbuf bytes.Buffer
	ct := NewTracer(&cbuf, true, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	st := NewTracer(&sbuf, false, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	runTransfer(t, ct, st)
	if err := ct.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range checkFile(t, "client", cbuf.Bytes(), "client") {
		seen[n] = true
	}
	for _, n := range checkFile(t, "server", sbuf.Bytes(), "server") {
		seen[n] = true
	}
	var got, want []string
	for n := range seen {
		got = append(got, n)
	}
	for n := range eventSpecs {
		want = append(want, n)
	}
	sort.Strings(got)
	sort.Strings(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event names logged (-want +got):\n%s", diff)
	}
}

// errWriter fails every write.
type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) { w.n++; return 0, bytes.ErrTooLarge }

// TestWriteErrorRemembered checks that a failing writer does not disturb
// the connection: the error is kept and later events are dropped.
func TestWriteErrorRemembered(t *testing.T) {
	w := &errWriter{}
	tr := NewTracer(w, true, nil)
	now := time.Unix(0, 0)
	for range 10000 {
		tr.ConnectionStateUpdated(now, core.TraceStateNone, core.TraceAttempted, nil)
	}
	if tr.Err() == nil {
		t.Fatal("Err() = nil after failed writes")
	}
	if w.n > 1 {
		t.Errorf("%d writes attempted after the first failure; want none", w.n-1)
	}
}

var testCert = func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), DNSNames: []string{"example.com"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<34, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}()

// runTransfer drives a client and a server core.Conn through a handshake, a
// 300 KB stream with every 11th datagram lost and one duplicated, key
// updates, and a close, on a fake clock.
func runTransfer(t *testing.T, ct, st core.Tracer) {
	now := time.Unix(1_700_000_000, 0)
	caddr := netip.MustParseAddrPort("192.0.2.1:4433")
	saddr := netip.MustParseAddrPort("192.0.2.2:443")
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(testCert.Certificate[0])
	pool.AddCert(leaf)
	ctls := &tls.Config{NextProtos: []string{"test"}, RootCAs: pool, ServerName: "example.com", Time: func() time.Time { return now }}
	stls := &tls.Config{NextProtos: []string{"test"}, Certificates: []tls.Certificate{testCert}}
	client, err := core.NewClient(&core.Config{TLS: ctls, Tracer: ct, KeyUpdateInterval: 100}, core.ClientOptions{PeerAddr: saddr}, now)
	if err != nil {
		t.Fatal(err)
	}
	scfg := &core.Config{TLS: stls, Tracer: st}
	var server *core.Conn
	type dgram struct {
		at       time.Time
		toServer bool
		data     []byte
	}
	var inflight []dgram
	buf := make([]byte, 1500)
	sent := 0
	const total = 300_000
	payload := bytes.Repeat([]byte("qlog"), total/4)
	var id int64 = -1
	written, received, fin := 0, 0, false
	closed := false
	for step := 0; step < 200_000; step++ {
		// Send what each side has.
		for _, side := range []struct {
			c        *core.Conn
			toServer bool
		}{{client, true}, {server, false}} {
			if side.c == nil {
				continue
			}
			for {
				n, _ := side.c.Send(buf, now)
				if n == 0 {
					break
				}
				sent++
				d := append([]byte(nil), buf[:n]...)
				if sent%11 == 7 && sent > 10 {
					continue // lost
				}
				inflight = append(inflight, dgram{now.Add(5 * time.Millisecond), side.toServer, d})
				if sent == 30 {
					inflight = append(inflight, dgram{now.Add(6 * time.Millisecond), side.toServer, append([]byte(nil), d...)})
				}
			}
		}
		// The application.
		if client.HandshakeComplete() && id < 0 {
			if id, err = client.OpenStream(true); err != nil {
				t.Fatal(err)
			}
		}
		if id >= 0 && written < total {
			n, err := client.StreamWrite(id, payload[written:], true)
			if err != nil {
				t.Fatal(err)
			}
			written += n
		}
		if server != nil && id >= 0 {
			for {
				n, f, err := server.StreamRead(id, buf)
				if err != nil || n == 0 && !f {
					break
				}
				received += n
				if f {
					fin = true
					break
				}
			}
		}
		for _, ok := client.NextEvent(); ok; _, ok = client.NextEvent() {
		}
		for server != nil && drain(server) {
		}
		if fin && !closed {
			closed = true
			client.Close(0, "done", now)
			continue
		}
		if closed && client.IsClosed() && server.IsClosed() {
			break
		}
		// Advance to the next arrival or timer.
		next := now.Add(time.Second)
		for _, d := range inflight {
			if d.at.Before(next) {
				next = d.at
			}
		}
		for _, c := range []*core.Conn{client, server} {
			if c == nil {
				continue
			}
			if tm, ok := c.Timeout(); ok && tm.Before(next) {
				next = tm
			}
		}
		if next.After(now) {
			now = next
		}
		rest := inflight[:0]
		var due []dgram
		for _, d := range inflight {
			if d.at.After(now) {
				rest = append(rest, d)
			} else {
				due = append(due, d)
			}
		}
		inflight = rest
		for _, d := range due {
			if d.toServer {
				if server == nil {
					h, err := wire.ParseLongHeader(d.data)
					if err != nil {
						continue
					}
					server, err = core.NewServer(scfg, core.ServerOptions{PeerAddr: caddr, OrigDstConnID: h.DstConnID}, now)
					if err != nil {
						t.Fatal(err)
					}
				}
				server.Receive(d.data, caddr, now)
			} else {
				client.Receive(d.data, saddr, now)
			}
		}
		for _, c := range []*core.Conn{client, server} {
			if c == nil {
				continue
			}
			if tm, ok := c.Timeout(); ok && !tm.After(now) {
				c.OnTimeout(now)
			}
		}
	}
	if received != total || !fin {
		t.Fatalf("server received %d of %d bytes (fin %v)", received, total, fin)
	}
	if !client.IsClosed() || !server.IsClosed() {
		t.Fatalf("connections not closed")
	}
}

func drain(c *core.Conn) bool { _, ok := c.NextEvent(); return ok }

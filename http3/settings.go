package http3

import (
	"github.com/quince-go/quic/internal/core/wire"
)

// Setting identifiers, RFC 9114, Section 7.2.4.1, and RFC 9204, Section 5.
const (
	settingQPACKMaxTableCapacity = 0x01
	settingMaxFieldSectionSize   = 0x06
	settingQPACKBlockedStreams   = 0x07
)

// isHTTP2Setting reports whether id is an HTTP/2 setting that HTTP/3
// reserves: receiving one is a connection error of type H3_SETTINGS_ERROR
// (RFC 9114, Section 7.2.4.1).
func isHTTP2Setting(id uint64) bool {
	return id == 0x00 || id == 0x02 || id == 0x03 || id == 0x04 || id == 0x05
}

// settings are the values of one SETTINGS frame. Absent settings hold
// their defaults: zero for the QPACK ones and unlimited (0 meaning
// unlimited here) for the field section size.
type settings struct {
	qpackMaxTableCapacity uint64
	qpackBlockedStreams   uint64
	// maxFieldSectionSize is 0 when the peer set no limit.
	maxFieldSectionSize uint64
}

// appendSettingsFrame appends the SETTINGS frame of s, with one greased
// setting (RFC 9114, Section 7.2.4.1: endpoints SHOULD include one).
func appendSettingsFrame(b []byte, s settings, grease uint64) []byte {
	var p []byte
	add := func(id, v uint64) {
		p = wire.AppendVarint(p, id)
		p = wire.AppendVarint(p, v)
	}
	if s.qpackMaxTableCapacity != 0 {
		add(settingQPACKMaxTableCapacity, s.qpackMaxTableCapacity)
	}
	if s.maxFieldSectionSize != 0 {
		add(settingMaxFieldSectionSize, s.maxFieldSectionSize)
	}
	if s.qpackBlockedStreams != 0 {
		add(settingQPACKBlockedStreams, s.qpackBlockedStreams)
	}
	add(greaseValue(grease), grease)
	return appendFrame(b, frameSettings, p)
}

// maxSettings bounds the identifiers one SETTINGS frame may carry, known
// or not, so that checking for duplicates stays cheap.
const maxSettings = 256

// parseSettings parses a SETTINGS payload. Truncation is H3_FRAME_ERROR;
// duplicates and HTTP/2 settings are H3_SETTINGS_ERROR; too many settings
// are H3_EXCESSIVE_LOAD; unknown identifiers are ignored.
func parseSettings(p []byte) (settings, error) {
	var s settings
	seen := make(map[uint64]bool)
	for len(p) > 0 {
		id, n := wire.ConsumeVarint(p)
		if n < 0 {
			return s, connError(ErrCodeFrameError, "truncated SETTINGS")
		}
		p = p[n:]
		v, n := wire.ConsumeVarint(p)
		if n < 0 {
			return s, connError(ErrCodeFrameError, "truncated SETTINGS")
		}
		p = p[n:]
		// RFC 9114, Section 7.2.4: a receiver MAY treat a duplicate as
		// H3_SETTINGS_ERROR.
		if seen[id] {
			return s, connError(ErrCodeSettingsError, "duplicate setting %#x", id)
		}
		if len(seen) >= maxSettings {
			return s, connError(ErrCodeExcessiveLoad, "more than %d settings", maxSettings)
		}
		seen[id] = true
		switch {
		case id == settingQPACKMaxTableCapacity:
			s.qpackMaxTableCapacity = v
		case id == settingQPACKBlockedStreams:
			s.qpackBlockedStreams = v
		case id == settingMaxFieldSectionSize:
			s.maxFieldSectionSize = v
		case isHTTP2Setting(id):
			return s, connError(ErrCodeSettingsError, "HTTP/2 setting %#x", id)
		}
	}
	return s, nil
}

// parseIDFrame parses the payload of GOAWAY, CANCEL_PUSH or MAX_PUSH_ID:
// exactly one varint, else H3_FRAME_ERROR (RFC 9114, Section 7.1).
func parseIDFrame(typ uint64, p []byte) (uint64, error) {
	v, n := wire.ConsumeVarint(p)
	if n < 0 || n != len(p) {
		return 0, connError(ErrCodeFrameError, "malformed frame type %#x", typ)
	}
	return v, nil
}

package qlog

import (
	"encoding/hex"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// record builds one JSON object by appending to a byte slice, without
// reflection. Callers open and close objects and arrays; record inserts the
// commas.
type record struct {
	b     []byte
	comma bool // a value was written at this level: the next needs a comma
}

func (r *record) sep() {
	if r.comma {
		r.b = append(r.b, ',')
	}
	r.comma = true
}

func (r *record) key(k string) {
	r.sep()
	r.b = append(r.b, '"')
	r.b = append(r.b, k...)
	r.b = append(r.b, '"', ':')
	r.comma = false
}

// open starts an object ('{') or array ('[') as a value.
func (r *record) open(c byte) {
	r.sep()
	r.b = append(r.b, c)
	r.comma = false
}

func (r *record) close(c byte) {
	r.b = append(r.b, c)
	r.comma = true
}

func (r *record) object(k string) { r.key(k); r.open('{') }
func (r *record) array(k string)  { r.key(k); r.open('[') }

func (r *record) str(k, v string) { r.key(k); r.strValue(v) }

func (r *record) strValue(v string) {
	r.sep()
	r.b = appendJSONString(r.b, v)
}

func (r *record) hex(k string, v []byte) {
	r.key(k)
	r.sep()
	r.b = append(r.b, '"')
	r.b = hex.AppendEncode(r.b, v)
	r.b = append(r.b, '"')
}

func (r *record) uint(k string, v uint64) { r.key(k); r.uintValue(v) }

func (r *record) uintValue(v uint64) {
	r.sep()
	r.b = strconv.AppendUint(r.b, v, 10)
}

func (r *record) bool(k string, v bool) {
	r.key(k)
	r.sep()
	r.b = strconv.AppendBool(r.b, v)
}

func (r *record) float(k string, v float64) {
	r.key(k)
	r.sep()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	r.b = strconv.AppendFloat(r.b, v, 'f', -1, 64)
}

// ms writes a duration in milliseconds, to the microsecond.
func (r *record) ms(k string, d time.Duration) {
	r.float(k, float64(d.Microseconds())/1000)
}

// appendJSONString appends s as a JSON string (RFC 8259, Section 7):
// quotes, backslashes and control characters escaped, invalid UTF-8
// replaced by U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

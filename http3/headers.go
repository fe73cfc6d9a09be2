package http3

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"

	"github.com/quince-go/quic/http3/internal/qpack"
)

// field is one field line of a decoded or to-be-encoded field section.
type field = qpack.HeaderField

// fieldSectionSize is the size of fields by RFC 9114, Section 4.2.2: name
// and value lengths plus 32 bytes for each field.
func fieldSectionSize(fields []field) uint64 {
	var n uint64
	for _, f := range fields {
		n += uint64(len(f.Name)+len(f.Value)) + 32
	}
	return n
}

// connectionSpecific lists the fields HTTP/3 forbids (RFC 9114, Section
// 4.2); TE is allowed in requests with the value "trailers" only.
var connectionSpecific = map[string]bool{
	"connection":        true,
	"keep-alive":        true,
	"proxy-connection":  true,
	"transfer-encoding": true,
	"upgrade":           true,
}

// validName reports whether name is a lowercase field name: a token
// (RFC 9110, Section 5.1) without uppercase letters (RFC 9114, Section 4.2).
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTokenChar(c) || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// validValue reports whether v holds no NUL, CR or LF (RFC 9110, Section
// 5.5) and does not start or end with whitespace.
func validValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	if v != "" && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		return false
	}
	return true
}

// message holds a validated header section: its pseudo-header fields and
// its regular fields as an http.Header.
type message struct {
	method, scheme, authority, path, protocol string
	status                                    int
	header                                    http.Header
	contentLength                             int64 // -1 if absent
}

// section kinds for parseFields.
const (
	requestSection = iota
	responseSection
	trailerSection
)

// malformed returns the stream error for a malformed message (RFC 9114,
// Section 4.1.2).
func malformed(format string, args ...any) *Error {
	return streamError(ErrCodeMessageError, format, args...)
}

// parseFields validates a decoded field section of the given kind (RFC
// 9114, Sections 4.2 and 4.3) and returns its contents. A malformed
// section is a stream error of type H3_MESSAGE_ERROR.
func parseFields(fields []field, kind int) (*message, error) {
	m := &message{header: make(http.Header, len(fields)), contentLength: -1}
	seen := map[string]bool{}
	regular := false
	var cookies []string
	for _, f := range fields {
		if strings.HasPrefix(f.Name, ":") {
			// RFC 9114, Section 4.3: pseudo-header fields come first,
			// once each, only those defined for the message kind.
			if regular {
				return nil, malformed("pseudo-header %s after regular fields", f.Name)
			}
			if seen[f.Name] {
				return nil, malformed("duplicate %s", f.Name)
			}
			seen[f.Name] = true
			if !validValue(f.Value) {
				return nil, malformed("invalid value of %s", f.Name)
			}
			switch {
			case kind == requestSection && f.Name == ":method":
				m.method = f.Value
			case kind == requestSection && f.Name == ":scheme":
				m.scheme = f.Value
			case kind == requestSection && f.Name == ":authority":
				m.authority = f.Value
			case kind == requestSection && f.Name == ":path":
				m.path = f.Value
			case kind == responseSection && f.Name == ":status":
				if len(f.Value) != 3 {
					return nil, malformed("invalid :status %q", f.Value)
				}
				code, err := strconv.Atoi(f.Value)
				if err != nil || code < 100 {
					return nil, malformed("invalid :status %q", f.Value)
				}
				m.status = code
			default:
				return nil, malformed("pseudo-header %s not allowed here", f.Name)
			}
			continue
		}
		regular = true
		if !validName(f.Name) {
			return nil, malformed("invalid field name %q", f.Name)
		}
		if !validValue(f.Value) {
			return nil, malformed("invalid value of field %s", f.Name)
		}
		if connectionSpecific[f.Name] {
			return nil, malformed("connection-specific field %s", f.Name)
		}
		if f.Name == "te" && (kind != requestSection || f.Value != "trailers") {
			return nil, malformed("te: %q", f.Value)
		}
		if f.Name == "cookie" {
			// RFC 9114, Section 4.2.1: cookie lines are joined with "; ".
			cookies = append(cookies, f.Value)
			continue
		}
		m.header.Add(textproto.CanonicalMIMEHeaderKey(f.Name), f.Value)
	}
	if len(cookies) > 0 {
		m.header.Set("Cookie", strings.Join(cookies, "; "))
	}
	if kind != trailerSection {
		cl, err := parseContentLength(m.header.Values("Content-Length"))
		if err != nil {
			return nil, err
		}
		m.contentLength = cl
	}
	switch kind {
	case requestSection:
		return m, checkRequestPseudo(m)
	case responseSection:
		if !seen[":status"] {
			return nil, malformed("missing :status")
		}
	}
	return m, nil
}

// checkRequestPseudo applies RFC 9114, Sections 4.3.1 and 4.4.
func checkRequestPseudo(m *message) error {
	if m.method == "" {
		return malformed("missing :method")
	}
	for i := 0; i < len(m.method); i++ {
		if !isTokenChar(m.method[i]) {
			return malformed("invalid :method")
		}
	}
	host := m.header.Values("Host")
	if len(host) > 1 {
		return malformed("several Host fields")
	}
	if len(host) == 1 && m.authority != "" && host[0] != m.authority {
		return malformed(":authority and Host differ")
	}
	if m.method == http.MethodConnect {
		// RFC 9114, Section 4.4: CONNECT carries :authority only.
		if m.scheme != "" || m.path != "" || m.authority == "" {
			return malformed("malformed CONNECT")
		}
		return nil
	}
	if m.scheme == "" || m.path == "" {
		return malformed("missing :scheme or :path")
	}
	if m.path != "*" && !strings.HasPrefix(m.path, "/") {
		return malformed("invalid :path %q", m.path)
	}
	if m.path == "*" && m.method != http.MethodOptions {
		return malformed(":path * with %s", m.method)
	}
	if m.scheme == "http" || m.scheme == "https" {
		if m.authority == "" && (len(host) == 0 || host[0] == "") {
			return malformed("missing :authority and Host")
		}
	}
	return nil
}

// parseContentLength returns the value of the Content-Length fields, -1 if
// there are none; values that are not a number or disagree are malformed.
func parseContentLength(vals []string) (int64, error) {
	cl := int64(-1)
	for _, v := range vals {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 || (cl >= 0 && n != cl) {
			return 0, malformed("invalid content-length %q", v)
		}
		cl = n
	}
	return cl, nil
}

// requestURL builds the URL of a request from its pseudo-header fields.
func requestURL(m *message) (*url.URL, error) {
	if m.method == http.MethodConnect {
		return &url.URL{Host: m.authority}, nil
	}
	var u *url.URL
	var err error
	if m.path == "*" {
		u = &url.URL{Path: "*"}
	} else if u, err = url.ParseRequestURI(m.path); err != nil {
		return nil, malformed("invalid :path %q", m.path)
	}
	u.Scheme = m.scheme
	u.Host = m.authority
	if u.Host == "" {
		u.Host = m.header.Get("Host")
	}
	return u, nil
}

// appendHeaderFields appends h as lowercase field lines, leaving out the
// fields HTTP/3 forbids (RFC 9114, Section 4.2), Host and, if skip is set,
// the keys skip reports.
func appendHeaderFields(fields []field, h http.Header, skip func(string) bool) []field {
	for k, vs := range h {
		name := strings.ToLower(k)
		if connectionSpecific[name] || name == "host" || (name == "te" && !allTrailers(vs)) {
			continue
		}
		if skip != nil && skip(k) {
			continue
		}
		if !validName(name) {
			continue
		}
		for _, v := range vs {
			v = strings.TrimSpace(v)
			if !validValue(v) {
				continue
			}
			fields = append(fields, field{Name: name, Value: v})
		}
	}
	return fields
}

func allTrailers(vs []string) bool {
	for _, v := range vs {
		if v != "trailers" {
			return false
		}
	}
	return true
}

package hq

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadRequest is returned by ReadRequest for a request that is not
// "GET /path\r\n" followed by the stream's FIN.
var ErrBadRequest = errors.New("hq: bad request")

// AppendRequest appends the request for path ("/" and what follows) to b.
func AppendRequest(b []byte, path string) []byte {
	b = append(b, "GET "...)
	b = append(b, path...)
	return append(b, "\r\n"...)
}

// ReadRequest reads one request from r up to its end (the stream's FIN) and
// returns the requested path, which starts with "/". A request longer than
// 8 KiB, without a line end, or with anything but GET is an ErrBadRequest; a
// bare "\n" line end is accepted.
func ReadRequest(r io.Reader) (string, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxRequest+1))
	if err != nil {
		return "", err
	}
	if len(buf) > maxRequest {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrBadRequest, maxRequest)
	}
	line, ok := strings.CutSuffix(string(buf), "\n")
	if !ok {
		return "", fmt.Errorf("%w: no line end", ErrBadRequest)
	}
	line = strings.TrimSuffix(line, "\r")
	path, ok := strings.CutPrefix(line, "GET ")
	if !ok || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n") {
		return "", fmt.Errorf("%w: %q", ErrBadRequest, line)
	}
	return path, nil
}

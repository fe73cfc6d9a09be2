package perf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ALPN is the perf protocol's application protocol name.
const ALPN = "perf"

// chunk is the size of the buffers streams are written and read with.
const chunk = 64 << 10

// zeros is the payload source; its content does not matter.
var zeros = make([]byte, chunk)

// Stream is what the protocol needs of a stream on either stack.
type Stream interface {
	io.Reader
	io.Writer
	// CloseWrite sends FIN after the data written so far.
	CloseWrite() error
}

// ServeStream serves one perf request on st: it reads the requested size,
// discards the upload to FIN and answers with that many bytes and FIN.
// It returns the bytes uploaded and downloaded.
func ServeStream(st Stream) (up, down int64, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(st, hdr[:]); err != nil {
		return 0, 0, fmt.Errorf("perf: reading request: %w", err)
	}
	want := binary.BigEndian.Uint64(hdr[:])
	if want > 1<<62 {
		return 0, 0, errors.New("perf: request too large")
	}
	buf := make([]byte, chunk)
	up, err = io.CopyBuffer(io.Discard, onlyReader{st}, buf)
	if err != nil {
		return up, 0, fmt.Errorf("perf: reading upload: %w", err)
	}
	down, err = writeZeros(st, int64(want))
	if err != nil {
		return up, down, fmt.Errorf("perf: sending download: %w", err)
	}
	return up, down, st.CloseWrite()
}

// Request runs one perf request on st from the client side: it asks for
// download bytes, uploads upload bytes, sends FIN and reads the answer to
// FIN. It fails if the answer is not download bytes long.
func Request(st Stream, upload, download int64) error {
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(download))
	if _, err := st.Write(hdr[:]); err != nil {
		return fmt.Errorf("perf: sending request: %w", err)
	}
	if _, err := writeZeros(st, upload); err != nil {
		return fmt.Errorf("perf: uploading: %w", err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("perf: closing upload: %w", err)
	}
	buf := make([]byte, chunk)
	n, err := io.CopyBuffer(io.Discard, onlyReader{st}, buf)
	if err != nil {
		return fmt.Errorf("perf: downloading: %w", err)
	}
	if n != download {
		return fmt.Errorf("perf: downloaded %d bytes, want %d", n, download)
	}
	return nil
}

func writeZeros(w io.Writer, n int64) (int64, error) {
	var done int64
	for done < n {
		b := zeros[:min(int64(len(zeros)), n-done)]
		m, err := w.Write(b)
		done += int64(m)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// onlyReader hides any WriterTo or ReaderFrom so io.CopyBuffer uses the
// given buffer.
type onlyReader struct{ io.Reader }

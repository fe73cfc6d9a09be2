package interop

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// A File is one resource served over hq-interop. Its path names its size,
// "/f/<size>/<name>", so any server can produce its bytes without shared
// state, and its content is a ChaCha8 stream seeded from the path.
type File struct {
	Path string
	Size int
}

// NewFile returns the file called name with size bytes.
func NewFile(name string, size int) File {
	return File{Path: fmt.Sprintf("/f/%d/%s", size, name), Size: size}
}

// maxFileSize bounds what a request may ask a server to produce.
const maxFileSize = 1 << 30

// ParsePath returns the file a request path names.
func ParsePath(path string) (File, error) {
	rest, ok := strings.CutPrefix(path, "/f/")
	if !ok {
		return File{}, fmt.Errorf("interop: unknown path %q", path)
	}
	sizeStr, _, ok := strings.Cut(rest, "/")
	if !ok {
		return File{}, fmt.Errorf("interop: unknown path %q", path)
	}
	size, err := strconv.Atoi(sizeStr)
	if err != nil || size < 0 || size > maxFileSize {
		return File{}, fmt.Errorf("interop: bad size in %q", path)
	}
	return File{Path: path, Size: size}, nil
}

// Reader returns the file's content.
func (f File) Reader() io.Reader {
	sum := sha256.Sum256([]byte(f.Path))
	var seed [32]byte
	copy(seed[:], sum[:])
	return io.LimitReader(rand.NewChaCha8(seed), int64(f.Size))
}

// Sum returns the SHA-256 of the file's content.
func (f File) Sum() [32]byte {
	h := sha256.New()
	io.Copy(h, f.Reader())
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// seedOf turns a case name into a relay seed.
func seedOf(name string) uint64 {
	sum := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(sum[:8])
}

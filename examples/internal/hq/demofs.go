package hq

import (
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// DemoSizes are the generated files of the example server's built-in
// collection.
var DemoSizes = map[string]int64{
	"1KB":   1 << 10,
	"1MB":   1 << 20,
	"100MB": 100 << 20,
}

// DemoFS returns a read-only file system of generated files, name to size,
// and an index.html that links to them. A file's bytes are pseudo-random,
// fixed by its name and size, and made as they are read, so that a large
// file holds no memory; Generate writes the same bytes.
func DemoFS(sizes map[string]int64) fs.FS {
	names := make([]string, 0, len(sizes))
	for name := range sizes {
		names = append(names, name)
	}
	slices.Sort(names)
	var index strings.Builder
	index.WriteString("<!DOCTYPE html>\n<title>quince</title>\n<h1>quince demo files</h1>\n<ul>\n")
	for _, name := range names {
		fmt.Fprintf(&index, "<li><a href=\"/%s\">%s</a> (%d bytes)</li>\n", name, name, sizes[name])
	}
	index.WriteString("</ul>\n")
	return demoFS{sizes: sizes, index: index.String()}
}

// Generate writes the size bytes that DemoFS serves for name to w.
func Generate(w io.Writer, name string, size int64) (int64, error) {
	return io.Copy(w, newGenerated(name, size))
}

type demoFS struct {
	sizes map[string]int64
	index string
}

func (f demoFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "index.html" {
		return &demoFile{name: name, size: int64(len(f.index)), r: strings.NewReader(f.index)}, nil
	}
	size, ok := f.sizes[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &demoFile{name: name, size: size, r: newGenerated(name, size)}, nil
}

// newGenerated returns a reader of size bytes from a ChaCha8 stream seeded
// by name and size.
func newGenerated(name string, size int64) io.Reader {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, size)
	var seed [32]byte
	copy(seed[:], h.Sum(nil))
	return io.LimitReader(rand.NewChaCha8(seed), size)
}

// demoFile is an open file of a demoFS.
type demoFile struct {
	name string
	size int64
	r    io.Reader
}

func (f *demoFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *demoFile) Close() error               { return nil }
func (f *demoFile) Stat() (fs.FileInfo, error) { return demoInfo{f}, nil }

// demoInfo describes a demoFile.
type demoInfo struct{ f *demoFile }

func (i demoInfo) Name() string       { return i.f.name }
func (i demoInfo) Size() int64        { return i.f.size }
func (i demoInfo) Mode() fs.FileMode  { return 0o444 }
func (i demoInfo) ModTime() time.Time { return time.Time{} }
func (i demoInfo) IsDir() bool        { return false }
func (i demoInfo) Sys() any           { return nil }

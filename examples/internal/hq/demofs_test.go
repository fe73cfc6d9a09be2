package hq

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
)

func TestDemoFS(t *testing.T) {
	sizes := map[string]int64{"a": 0, "b": 1, "c": 100_000}
	fsys := DemoFS(sizes)
	for name, size := range sizes {
		got, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatalf("ReadFile(%q): %v", name, err)
		}
		var want bytes.Buffer
		if _, err := Generate(&want, name, size); err != nil {
			t.Fatal(err)
		}
		if int64(len(got)) != size || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%q: %d bytes, not the %d of Generate", name, len(got), size)
		}
		info, err := fs.Stat(fsys, name)
		if err != nil || info.Size() != size || !info.Mode().IsRegular() {
			t.Errorf("Stat(%q) = %v, %v", name, info, err)
		}
	}
	index, err := fs.ReadFile(fsys, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for name := range sizes {
		if !strings.Contains(string(index), `href="/`+name+`"`) {
			t.Errorf("index.html does not link to %q:\n%s", name, index)
		}
	}
	for _, name := range []string{"missing", "../a", "/a", ""} {
		if _, err := fsys.Open(name); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
	}
	if _, err := fsys.Open("missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
}

// TestGenerateDiffers checks that files of different names differ, so that a
// server serving the wrong one is caught.
func TestGenerateDiffers(t *testing.T) {
	var a, b bytes.Buffer
	Generate(&a, "x", 64)
	Generate(&b, "y", 64)
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two names generate the same bytes")
	}
	n, err := io.Copy(io.Discard, io.LimitReader(newGenerated("x", 10), 100))
	if n != 10 || err != nil {
		t.Errorf("generated reader of 10 bytes gave %d, %v", n, err)
	}
}

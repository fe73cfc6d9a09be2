package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/quince-go/quic/examples/internal/hq"
)

// download is one URL being fetched.
type download struct {
	url   string
	resp  io.ReadCloser // the body
	spool *os.File      // a temporary file holding the body, or nil
	err   error

	n       atomic.Int64 // bytes received
	started atomic.Bool  // copying the body began
	done    atomic.Bool  // the whole body was received
	elapsed time.Duration
}

// toFile writes the body to a new file at name, removing it on failure.
func (d *download) toFile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		d.resp.Close()
		return err
	}
	err = d.copy(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// toTemp writes the body to a new temporary file, d.spool.
func (d *download) toTemp() error {
	f, err := os.CreateTemp("", "quince-client-*")
	if err != nil {
		d.resp.Close()
		return err
	}
	d.spool = f
	return d.copy(f)
}

// copy copies the body to w, counting bytes for the progress display.
func (d *download) copy(w io.Writer) error {
	defer d.resp.Close()
	start := time.Now()
	d.started.Store(true)
	_, err := io.Copy(counter{w, d}, d.resp)
	d.elapsed = time.Since(start)
	if _, ok := errors.AsType[*hq.NotFoundError](err); ok {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: after %d bytes: %w", d.url, d.n.Load(), err)
	}
	d.done.Store(true)
	return nil
}

// counter counts the bytes written through it to its download.
type counter struct {
	w io.Writer
	d *download
}

func (c counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.d.n.Add(int64(n))
	return n, err
}

package mux

import (
	"net/netip"
	"sync"
)

// Datagram is one received UDP datagram in a pooled buffer. The receiver
// owns it until it calls Release.
type Datagram struct {
	// Data is the datagram. It aliases the pooled buffer and is valid only
	// until Release.
	Data []byte
	// From is the address the datagram came from.
	From netip.AddrPort
	// Validation is set on a datagram from Accept: what the token of the
	// client's Initial proved.
	Validation Validation

	buf  []byte // len 0, cap MaxDatagramSize+1
	pool *sync.Pool
}

// Release returns d's buffer to the pool. Call it exactly once, when done
// with Data; neither d nor Data may be used afterwards.
func (d *Datagram) Release() {
	if d.pool == nil {
		panic("mux: Datagram released twice")
	}
	p := d.pool
	d.Data, d.From, d.Validation, d.pool = nil, netip.AddrPort{}, Validation{}, nil
	p.Put(d)
}

// datagramPool hands out Datagrams whose buffers hold size+1 bytes, one more
// than the largest accepted datagram, so that a longer one shows as
// oversized rather than truncated.
type datagramPool struct {
	p    sync.Pool
	size int
}

func newDatagramPool(size int) *datagramPool {
	dp := &datagramPool{size: size}
	dp.p.New = func() any { return &Datagram{buf: make([]byte, 0, size+1)} }
	return dp
}

// get returns a Datagram with an empty Data.
func (dp *datagramPool) get() *Datagram {
	d := dp.p.Get().(*Datagram)
	d.pool = &dp.p
	return d
}

// clone returns a pooled copy of d.
func (dp *datagramPool) clone(d *Datagram) *Datagram {
	c := dp.get()
	c.Data = append(c.buf[:0], d.Data...)
	c.From = d.From
	return c
}

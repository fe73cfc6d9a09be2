package timer

import (
	"sync"
	"time"
)

// Deadline is a settable deadline, as the read or write deadline of a
// net.Conn: Done returns a channel that is closed once the deadline has
// passed. Its methods are safe for concurrent use.
type Deadline struct {
	mu    sync.Mutex
	t     *time.Timer // pending expiry, or nil
	gen   uint64      // incremented by Set; a stale expiry sees a newer gen
	done  chan struct{}
	fired bool // done is closed
}

// NewDeadline returns a Deadline that is not set.
func NewDeadline() *Deadline {
	return &Deadline{done: make(chan struct{})}
}

// Set sets the deadline to at; a zero at means no deadline, and a time not
// after now expires it at once. Set replaces any earlier deadline, and
// re-opens Done if the earlier one had expired.
func (d *Deadline) Set(at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.t != nil {
		d.t.Stop()
		d.t = nil
	}
	if d.fired {
		d.done = make(chan struct{})
		d.fired = false
	}
	if at.IsZero() {
		return
	}
	wait := time.Until(at)
	if wait <= 0 {
		d.expire()
		return
	}
	gen := d.gen
	d.t = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		// A Set that ran since this timer was armed wins, even if Stop
		// came too late to keep this function from running.
		if d.gen == gen {
			d.expire()
		}
	})
}

// expire closes done; d.mu is held.
func (d *Deadline) expire() {
	if !d.fired {
		d.fired = true
		close(d.done)
	}
}

// Done returns a channel that is closed when the current deadline passes.
// A later Set may replace the channel, so waiters fetch it anew before
// every wait.
func (d *Deadline) Done() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

// Expired reports whether the current deadline has passed.
func (d *Deadline) Expired() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fired
}

// Package timer holds the Go-timer plumbing of quince's public API: the
// re-armable deadline of a session's event loop (Timer) and the read and
// write deadlines of a stream (Deadline).
package timer

import "time"

// Timer is a one-shot timer that one goroutine re-arms to an absolute time,
// typically the core's next deadline, after every event. It is not safe for
// concurrent use.
//
// It relies on the Go 1.23 timer semantics: after Reset or Stop returns, no
// value from an earlier arming is received from C.
type Timer struct {
	t  *time.Timer
	at time.Time // when t fires; zero when t is stopped or has fired
}

// New returns a stopped Timer.
func New() *Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &Timer{t: t}
}

// C returns the channel on which the timer delivers its fires. After
// receiving from it, the owner must call Fired.
func (t *Timer) C() <-chan time.Time { return t.t.C }

// Fired records that a fire was received from C, so that the next Set
// re-arms the timer even to the same time.
func (t *Timer) Fired() { t.at = time.Time{} }

// Set arms the timer to fire at at (at once if at is not after now), or
// stops it if at is zero. Setting the time it is already armed to does
// nothing, so calling Set after every event is cheap.
func (t *Timer) Set(at, now time.Time) {
	if at.IsZero() {
		t.Stop()
		return
	}
	if at.Equal(t.at) {
		return
	}
	t.at = at
	t.t.Reset(max(at.Sub(now), 0))
}

// Stop stops the timer; nothing is received from C until the next Set.
func (t *Timer) Stop() {
	if t.at.IsZero() {
		return
	}
	t.at = time.Time{}
	t.t.Stop()
}

package timer

import (
	"testing"
	"testing/synctest"
	"time"
)

// received reports whether a value is ready on c once every goroutine in
// the bubble is blocked.
func received[T any](c <-chan T) bool {
	synctest.Wait()
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func TestTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tm := New()
		start := time.Now()
		if received(tm.C()) {
			t.Fatal("new timer fired")
		}

		tm.Set(start.Add(time.Second), time.Now())
		time.Sleep(999 * time.Millisecond)
		if received(tm.C()) {
			t.Fatal("fired before its time")
		}
		time.Sleep(time.Millisecond)
		if !received(tm.C()) {
			t.Fatal("did not fire at its time")
		}
		tm.Fired()

		// Re-arming to the time that just fired arms it again (at once).
		tm.Set(start.Add(time.Second), time.Now())
		if !received(tm.C()) {
			t.Fatal("re-armed past time did not fire at once")
		}
		tm.Fired()

		// Moving the time later discards the earlier arming.
		tm.Set(time.Now().Add(time.Second), time.Now())
		tm.Set(time.Now().Add(2*time.Second), time.Now())
		time.Sleep(1500 * time.Millisecond)
		if received(tm.C()) {
			t.Fatal("fired at the replaced time")
		}
		time.Sleep(500 * time.Millisecond)
		if !received(tm.C()) {
			t.Fatal("did not fire at the new time")
		}
		tm.Fired()

		// Zero and Stop disarm it.
		tm.Set(time.Now().Add(time.Second), time.Now())
		tm.Set(time.Time{}, time.Now())
		time.Sleep(2 * time.Second)
		if received(tm.C()) {
			t.Fatal("fired after Set(zero)")
		}
		tm.Set(time.Now().Add(time.Second), time.Now())
		tm.Stop()
		time.Sleep(2 * time.Second)
		if received(tm.C()) {
			t.Fatal("fired after Stop")
		}
	})
}

func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDeadline()
		if received(d.Done()) || d.Expired() {
			t.Fatal("unset deadline expired")
		}

		d.Set(time.Now().Add(time.Second))
		time.Sleep(999 * time.Millisecond)
		if received(d.Done()) {
			t.Fatal("expired early")
		}
		time.Sleep(time.Millisecond)
		if !received(d.Done()) || !d.Expired() {
			t.Fatal("did not expire")
		}

		// A new deadline re-opens Done.
		d.Set(time.Now().Add(time.Second))
		if received(d.Done()) || d.Expired() {
			t.Fatal("still expired after a later Set")
		}
		// Extending it discards the earlier expiry.
		d.Set(time.Now().Add(3 * time.Second))
		time.Sleep(2 * time.Second)
		if received(d.Done()) {
			t.Fatal("expired at the replaced time")
		}
		// Clearing it means no deadline at all.
		d.Set(time.Time{})
		time.Sleep(time.Hour)
		if received(d.Done()) {
			t.Fatal("cleared deadline expired")
		}
		// A time in the past expires it at once.
		d.Set(time.Now().Add(-time.Second))
		if !received(d.Done()) {
			t.Fatal("past deadline did not expire at once")
		}
	})
}

// TestDeadlineWakesWaiter checks that a goroutine blocked on Done wakes when
// the deadline passes.
func TestDeadlineWakesWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := NewDeadline()
		d.Set(time.Now().Add(time.Minute))
		woke := make(chan time.Time)
		go func() {
			<-d.Done()
			woke <- time.Now()
		}()
		start := time.Now()
		if got := (<-woke).Sub(start); got != time.Minute {
			t.Fatalf("waiter woke after %v, want 1m", got)
		}
	})
}

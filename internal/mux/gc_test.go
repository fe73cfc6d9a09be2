package mux

import (
	"runtime/debug"
	"testing"
)

// stopGC turns the garbage collector off for the rest of the test: a
// collection empties sync.Pools, and their refill would count as an
// allocation in an allocation test.
func stopGC(t testing.TB) {
	old := debug.SetGCPercent(-1)
	t.Cleanup(func() { debug.SetGCPercent(old) })
}

//go:build !race

package protect

// raceEnabled: the race detector adds allocations to those counted.
const raceEnabled = false

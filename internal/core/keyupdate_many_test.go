package core

import (
	"testing"
	"time"
)

// TestThousandKeyUpdates moves 100 MB with a key update every 60 packets
// from the sender, so that more than 1,000 updates happen during one
// transfer (issue: "1,000 key updates during a 100 MB transfer"), with some
// loss so that packets of old key phases arrive late.
func TestThousandKeyUpdates(t *testing.T) {
	link := linkConfig{delay: 5 * time.Millisecond, jitter: time.Millisecond, loss: 0.01}
	p := newTestPair(t, 11, link, &Config{KeyUpdateInterval: 60}, nil)
	w := watchPhases(p)
	runTransfer(t, p, []int{100 << 20}, time.Hour)
	checkKeyUpdates(t, p, w, 1000, 1<<30)
}

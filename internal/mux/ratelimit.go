package mux

import "time"

// tokenBucket limits the rate of the replies the mux sends on its own:
// Version Negotiation, stateless resets (RFC 9000, Section 10.3.3 suggests
// a limit to stop loops) and refusals. It holds up to burst tokens and gains
// rate tokens per second. It is used by the reader goroutine only.
type tokenBucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// allow takes a token if one is available at now.
func (b *tokenBucket) allow(now time.Time) bool {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

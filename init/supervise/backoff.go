package supervise

import "time"

// Backoff is the restart policy: the first restart waits Min, each quick
// failure doubles the wait up to Max, and a process that stayed up for
// ResetAfter starts over at Min.
type Backoff struct {
	Min, Max   time.Duration
	ResetAfter time.Duration
}

// Defaults for a zero Backoff.
const (
	DefaultBackoffMin   = 100 * time.Millisecond
	DefaultBackoffMax   = 10 * time.Second
	DefaultBackoffReset = 30 * time.Second
)

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = DefaultBackoffMin
	}
	if b.Max < b.Min {
		b.Max = max(DefaultBackoffMax, b.Min)
	}
	if b.ResetAfter <= 0 {
		b.ResetAfter = DefaultBackoffReset
	}
	return b
}

// next returns the wait after a failure, given the previous wait (0 for the
// first failure) and how long the process ran.
func (b Backoff) next(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= b.ResetAfter {
		return b.Min
	}
	return min(prev*2, b.Max)
}

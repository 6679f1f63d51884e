package load

import (
	"context"
	"time"
)

// preciseSpan is the end of a wait for an arrival that dueClock sleeps
// through precisely, where it can: the runtime's timers wake in whole
// milliseconds.
const preciseSpan = 2 * time.Millisecond

// sleepUntil waits on timer until at, or returns false when ctx ends
// first; at a time past, it returns true at once.
func sleepUntil(ctx context.Context, timer *time.Timer, at time.Time) bool {
	wait := time.Until(at)
	if wait <= 0 {
		return true
	}
	timer.Reset(wait)
	select {
	case <-ctx.Done():
		timer.Stop()
		return false
	case <-timer.C:
		return true
	}
}

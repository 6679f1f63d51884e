package load

import (
	"context"
	"time"
)

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

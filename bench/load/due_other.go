//go:build !linux

package load

import (
	"context"
	"time"
)

// dueClock waits for the arrivals' due times with the runtime's timers,
// which wake up to about a millisecond late: here, always.
type dueClock struct{ timers bool }

func newDueClock() *dueClock { return &dueClock{timers: true} }

func (*dueClock) close() {}

// until returns at due, or false at once when ctx ends first.
func (*dueClock) until(ctx context.Context, timer *time.Timer, due time.Time) bool {
	return sleepUntil(ctx, timer, due)
}

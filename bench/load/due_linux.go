package load

import (
	"context"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// dueClock waits for the arrivals' due times on a thread of its own,
// sleeping on the monotonic clock (clock_nanosleep, to an absolute time)
// with a timer slack of a nanosecond: an arrival's goroutine starts 46 µs
// after its time at the median and 0.16 ms at p99 (BenchmarkDueClock,
// arrivals 2 ms apart, here), where the runtime's timers, which sleep in
// whole milliseconds, have it start 0.56 and 1.12 ms late, which every
// arrival's first request would count as the server's.
//
// Where the time the program sees is not the system's (a test's synctest
// bubble, whose clock moves only when every goroutine of it waits), the
// runtime's timers wait instead.
type dueClock struct {
	slack int // the thread's timer slack before, to be restored
	// timers says the runtime's timers wait (the time is not the
	// system's); there is then nothing to restore.
	timers bool
}

// preciseSpan is the end of a wait for an arrival that dueClock sleeps
// through precisely: the runtime's timers wake in whole milliseconds.
const preciseSpan = 2 * time.Millisecond

// newDueClock locks the calling goroutine to its thread for the run, and
// sets the thread's timer slack; close gives both back.
func newDueClock() *dueClock {
	var sys unix.Timespec
	if unix.ClockGettime(unix.CLOCK_REALTIME, &sys) != nil || time.Since(time.Unix(sys.Unix())).Abs() > time.Second {
		return &dueClock{timers: true}
	}
	runtime.LockOSThread()
	c := &dueClock{slack: -1}
	if slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err == nil {
		if unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) == nil {
			c.slack = slack
		}
	}
	return c
}

func (c *dueClock) close() {
	if c.timers {
		return
	}
	if c.slack >= 0 {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(c.slack), 0, 0, 0)
	}
	runtime.UnlockOSThread()
}

// until returns at due, or false when ctx ends first: at once while the
// runtime's timer waits (all but the last preciseSpan of the wait), at due
// when it ends in that last span, slept through.
func (c *dueClock) until(ctx context.Context, timer *time.Timer, due time.Time) bool {
	if c.timers {
		return sleepUntil(ctx, timer, due)
	}
	if !sleepUntil(ctx, timer, due.Add(-preciseSpan)) {
		return false
	}
	wait := time.Until(due)
	if wait <= 0 {
		return true
	}
	var now unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &now) != nil {
		return sleepUntil(ctx, timer, due)
	}
	at := unix.NsecToTimespec(now.Nano() + int64(wait))
	for {
		switch err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &at, nil); err {
		case nil:
			return ctx.Err() == nil // the run may have ended meanwhile
		case unix.EINTR: // a signal (the runtime's preemption among them): the time is absolute
		default:
			return sleepUntil(ctx, timer, due)
		}
	}
}

package engine

import (
	"context"
	"math"
	"time"
)

// Clock decides when the engine may take the input due at a virtual time.
type Clock interface {
	WaitUntil(ctx context.Context, at time.Duration) error
}

// Virtual jumps straight to the next input.
type Virtual struct{}

// WaitUntil returns at once.
func (Virtual) WaitUntil(context.Context, time.Duration) error { return nil }

// Wall waits in real time. Scale is virtual time per real time: 86400 plays
// a virtual day in a real second; 0 or 1 is real time.
type Wall struct {
	Start time.Time
	Scale float64
}

// NewWall starts a wall clock now.
func NewWall(scale float64) *Wall { return &Wall{Start: time.Now(), Scale: scale} }

// Rate is the virtual seconds per real second.
func (w *Wall) Rate() float64 {
	if w.Scale <= 0 {
		return 1
	}
	return w.Scale
}

// WaitUntil sleeps until virtual time at is due.
func (w *Wall) WaitUntil(ctx context.Context, at time.Duration) error { return waitUntil(ctx, w, at) }

// A Waiter is a Clock the engine can wait on in one select with what else
// wakes it (waitOrWake), without a goroutine, a context and timers of its
// own each wait (a serving engine waits hundreds of times a second):
// Until is the wall time until virtual time at is due (running false: the
// clock is paused, and only a change moves it on), and a channel closed at
// the clock's next change (nil: it never changes).
type Waiter interface {
	Until(at time.Duration) (d time.Duration, running bool, changed <-chan struct{})
}

// Until implements Waiter: virtual time is always due.
func (Virtual) Until(time.Duration) (time.Duration, bool, <-chan struct{}) { return 0, true, nil }

// Until implements Waiter.
func (w *Wall) Until(at time.Duration) (time.Duration, bool, <-chan struct{}) {
	scale := w.Scale
	if scale <= 0 {
		scale = 1
	}
	return time.Until(w.Start.Add(time.Duration(float64(at) / scale))), true, nil
}

// waitUntil is WaitUntil on a Waiter: it returns once virtual time at is
// due, looking again at each change of the clock.
func waitUntil(ctx context.Context, w Waiter, at time.Duration) error {
	var t reusedTimer
	defer t.stop()
	for {
		d, running, changed := w.Until(at)
		if running && d <= 0 {
			return nil
		}
		var tick <-chan time.Time
		if running {
			tick = t.set(d)
		}
		select {
		case <-tick:
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Behind is how far a serving engine is behind its clock: the clock's
// present less the time of the earliest input due and not yet handled,
// in virtual time; 0 when nothing due waits (an idle engine is not
// behind) or the clock has no present. Call it on the engine's goroutine
// (Query).
func (e *Engine) Behind() time.Duration {
	p, ok := e.clock.(Presenter)
	next, waits := e.NextDue()
	if !ok || !waits {
		return 0
	}
	return max(0, p.Present()-next)
}

// ClockEnded says whether the engine's clock has reached the end of
// virtual time (a Duration's 292 years, where a clock at a high scale
// stays): nothing it would run later can be due. Safe from any
// goroutine.
func (e *Engine) ClockEnded() bool {
	p, ok := e.clock.(Presenter)
	return ok && p.Present() == math.MaxInt64
}

// taking is the virtual time at which the engine takes the inputs
// submitted to it: its clock's present, or, when inputs due before the
// present wait (the engine is behind, see Behind), the time of the first
// of them, after that instant's inputs. An input from outside is handled
// once the engine is through that instant, not once it has caught up
// with the present: under load, a command waits for the work ahead of it
// only, and virtual time still moves on, an instant at least at each
// take, however many commands come. Never before the engine's own time;
// without a present (a virtual clock), at the engine's own time.
func (e *Engine) taking() time.Duration {
	p, ok := e.clock.(Presenter)
	if !ok {
		return e.now
	}
	at := p.Present()
	if next, waits := e.NextDue(); waits {
		at = min(at, next)
	}
	return max(at, e.now)
}

// overdue says whether the input due at virtual time at (at < 0: none) is
// due already on the engine's wall clock, or will be within slack of real
// time.
func (e *Engine) overdue(at, slack time.Duration) bool {
	p, ok := e.clock.(Presenter)
	if !ok || at < 0 {
		return false
	}
	if r, ok := e.clock.(interface{ Rate() float64 }); ok && r.Rate() > 1 {
		slack = time.Duration(float64(slack) * r.Rate())
	}
	return at <= p.Present()+slack
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Pausable is a wall clock an operator can pause, resume, step and
// rescale while the engine serves. Virtual time runs from an anchor: at
// wall time Wall it was Virtual, and it runs on at Scale virtual seconds
// per real second, or stands at Virtual while paused. Each change moves
// the anchor to the present, so virtual time never jumps back.
//
// The clock decides only when inputs become due, never what they do:
// timers fire at their virtual times whatever the clock, and a command
// submitted while paused is taken at the paused instant, logged with it.
// A replay reads those times from the input log, so it reaches the same
// state whatever the clock did. Its methods are safe from any goroutine.
type Pausable struct {
	mu     sync.Mutex
	anchor ClockState
	// changed is closed, and replaced, at each change: a WaitUntil
	// waiting on it looks again.
	changed chan struct{}
}

// ClockState is where a Pausable stands: what a server keeps so that a
// restart goes on with the same clock.
type ClockState struct {
	// Virtual was the virtual time at wall time Wall.
	Virtual time.Duration `json:"virtual"`
	Wall    time.Time     `json:"wall"`
	Scale   float64       `json:"scale"`
	Paused  bool          `json:"paused"`
}

// NewPausable returns a clock standing where s says.
func NewPausable(s ClockState) *Pausable {
	if s.Scale <= 0 {
		s.Scale = 1
	}
	return &Pausable{anchor: s, changed: make(chan struct{})}
}

// ErrClock is the error of a clock change the clock's state forbids.
var ErrClock = errors.New("clock")

// State is the clock's anchor now, with Virtual the present.
func (p *Pausable) State() ClockState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.now(time.Now())
}

// now is the anchor moved to wall time t.
func (p *Pausable) now(t time.Time) ClockState {
	s := p.anchor
	if !s.Paused {
		// At a high scale virtual time reaches the end of a Duration (292
		// years) in minutes: it stays there, not wrapping to the past.
		if d := float64(t.Sub(s.Wall)) * s.Scale; d < float64(math.MaxInt64-s.Virtual) {
			s.Virtual += time.Duration(d)
		} else {
			s.Virtual = math.MaxInt64
		}
	}
	s.Wall = t
	return s
}

// Present implements Presenter: the virtual time now.
func (p *Pausable) Present() time.Duration { return p.State().Virtual }

// Rate is the virtual seconds per real second, 0 while paused.
func (p *Pausable) Rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.anchor.Paused {
		return 0
	}
	return p.anchor.Scale
}

// change applies fn to the anchor moved to now, and wakes the waiters.
func (p *Pausable) change(fn func(s *ClockState) error) (ClockState, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.now(time.Now())
	if err := fn(&s); err != nil {
		return p.now(time.Now()), err
	}
	p.anchor = s
	close(p.changed)
	p.changed = make(chan struct{})
	return s, nil
}

// Pause stops virtual time at the present; pausing a paused clock
// changes nothing.
func (p *Pausable) Pause() ClockState {
	s, _ := p.change(func(s *ClockState) error { s.Paused = true; return nil })
	return s
}

// Resume lets virtual time run on from where it stands.
func (p *Pausable) Resume() ClockState {
	s, _ := p.change(func(s *ClockState) error { s.Paused = false; return nil })
	return s
}

// SetScale makes virtual time run at scale virtual seconds per real
// second from now on (paused or not).
func (p *Pausable) SetScale(scale float64) (ClockState, error) {
	return p.change(func(s *ClockState) error {
		if !(scale > 0) || scale > MaxScale {
			return fmt.Errorf("%w: scale %g: want more than 0 and at most %g", ErrClock, scale, float64(MaxScale))
		}
		s.Scale = scale
		return nil
	})
}

// MaxScale bounds a clock's scale: a year of virtual time a second.
const MaxScale = 365 * 86400

// StepTo moves a paused clock to virtual time at, when at is later than
// it stands: the engine then takes what is due by then. A running clock
// is not stepped (ErrClock).
func (p *Pausable) StepTo(at time.Duration) (ClockState, error) {
	return p.change(func(s *ClockState) error {
		if !s.Paused {
			return fmt.Errorf("%w: it runs: pause it before stepping", ErrClock)
		}
		s.Virtual = max(s.Virtual, at)
		return nil
	})
}

// Restore sets the clock to a state kept before (a restart).
func (p *Pausable) Restore(s ClockState) {
	_, _ = p.change(func(a *ClockState) error { *a = s; return nil })
}

// Until implements Waiter.
func (p *Pausable) Until(at time.Duration) (time.Duration, bool, <-chan struct{}) {
	p.mu.Lock()
	s, changed := p.now(time.Now()), p.changed
	p.mu.Unlock()
	if s.Virtual >= at {
		return 0, true, changed
	}
	if s.Paused {
		return 0, false, changed
	}
	// At least a nanosecond: not due yet, however close (WaitUntil too
	// looks again).
	return max(time.Duration(float64(at-s.Virtual)/s.Scale), 1), true, changed
}

// WaitUntil implements Clock: it returns once virtual time at is due,
// looking again at each change of the clock.
func (p *Pausable) WaitUntil(ctx context.Context, at time.Duration) error {
	return waitUntil(ctx, p, at)
}

// NextDue is the virtual time of the earliest input waiting (a timer, an
// answer), and false when none waits. Call it on the engine's goroutine
// (Query).
func (e *Engine) NextDue() (time.Duration, bool) {
	switch {
	case e.due.len() > 0:
		return e.now, true
	case e.queue.len() > 0:
		return e.queue.next(), true
	}
	return 0, false
}

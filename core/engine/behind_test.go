package engine

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

// present is a clock whose present is set by the test.
type present struct{ at time.Duration }

func (p *present) WaitUntil(context.Context, time.Duration) error { return nil }
func (p *present) Present() time.Duration                         { return p.at }

// An engine is behind its clock by how long the earliest input due has
// waited; an idle engine, or one whose next input is not due yet, is not
// behind, however long ago its last step was.
func TestBehind(t *testing.T) {
	clock := &present{}
	e := New(Options{Clock: clock})
	clock.at = time.Hour
	assert.Zero(t, e.Behind(), "nothing waits")
	e.Inject(2*time.Hour, COM, "later")
	assert.Zero(t, e.Behind(), "the next input is not due")
	e.Inject(20*time.Minute, COM, "due")
	assert.Equal(t, 40*time.Minute, e.Behind())
	assert.Zero(t, New(Options{}).Behind(), "a virtual clock has no present")
}

// A serving engine behind its clock takes a submitted input with the first
// input overdue, not at the present: the input does not wait for the
// engine to catch up. Each "slow" takes a real minute, a virtual hour.
func TestBehindTakesInputsWithTheOverdue(t *testing.T) {
	for _, c := range []struct {
		name  string
		clock Clock
	}{{"wall", nil}, {"pausable", NewPausable(ClockState{Scale: 60})}} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var log []string
				clock := c.clock
				if clock == nil {
					clock = &Wall{Start: time.Now(), Scale: 60}
				} else {
					clock.(*Pausable).Restore(ClockState{Wall: time.Now(), Scale: 60})
				}
				e := New(Options{Clock: clock})
				e.Handle(COM, recorder{log: &log, then: func(_ time.Duration, msg any, _ *Out) {
					if msg == "slow" {
						time.Sleep(time.Minute)
					}
				}})
				for i := range 4 {
					e.Inject(time.Hour+time.Duration(i)*time.Minute, COM, "slow")
				}
				stop := serve(t, e)
				time.Sleep(90 * time.Second) // 1h30: the first slow is being handled, three overdue
				e.Submit(COM, "b")
				synctest.Wait()
				time.Sleep(10 * time.Minute) // the engine is done with them all
				e.Submit(COM, "c")
				synctest.Wait()
				stop()
				assert.Equal(t, []string{"1h0m0s slow", "1h1m0s slow", "1h1m0s b", "1h2m0s slow", "1h3m0s slow", "11h30m0s c"}, log)
			})
		})
	}
}

// The time an input submitted is taken at: the present, unless inputs due
// before it wait; never before the engine's own time.
func TestTaking(t *testing.T) {
	clock := &present{at: time.Hour}
	e := New(Options{Clock: clock})
	assert.Equal(t, time.Hour, e.taking(), "nothing waits: the present")
	e.Inject(2*time.Hour, COM, "later")
	assert.Equal(t, time.Hour, e.taking(), "the next input is not due yet: the present")
	e.Inject(20*time.Minute, COM, "due")
	assert.Equal(t, 20*time.Minute, e.taking(), "behind: with the first input overdue")
	e.now = 10 * time.Minute
	e.due.push(Input{To: COM, Msg: "now"})
	assert.Equal(t, 10*time.Minute, e.taking(), "inputs of the instant the engine is at wait: that instant")
	assert.Zero(t, New(Options{}).taking(), "a virtual clock: the engine's own time")
}

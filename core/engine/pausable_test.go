package engine

import (
	"context"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A paused clock holds virtual time: a timer due later waits until the
// clock is resumed or stepped to it; a command submitted while paused is
// taken at the paused instant; a rescale changes the pace from the present
// on, never the past.
func TestPausableClockHoldsVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log []string
		clock := NewPausable(ClockState{Wall: time.Now(), Scale: 60}) // a virtual minute a second
		e := New(Options{Clock: clock})
		e.Handle(COM, recorder{log: &log})
		e.Inject(time.Hour, COM, "1h timer")
		e.Inject(2*time.Hour, COM, "2h timer")
		stop := serve(t, e)

		time.Sleep(30 * time.Second) // virtual 30m
		assert.Equal(t, 30*time.Minute, clock.Pause().Virtual)
		time.Sleep(time.Hour) // paused: nothing moves
		synctest.Wait()
		assert.Empty(t, log)
		assert.Equal(t, 30*time.Minute, clock.Present())
		e.Submit(COM, "while paused")
		synctest.Wait()
		assert.Equal(t, []string{"30m0s while paused"}, log)

		var next time.Duration
		require.NoError(t, e.Query(context.Background(), func() { next, _ = e.NextDue() }))
		assert.Equal(t, time.Hour, next)
		_, err := clock.StepTo(next)
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, []string{"30m0s while paused", "1h0m0s 1h timer"}, log, "a step takes what is due then, and no more")

		s, err := clock.SetScale(3600) // a virtual hour a second
		require.NoError(t, err)
		assert.True(t, s.Paused, "a rescale keeps the clock paused")
		clock.Resume()
		time.Sleep(time.Second)
		synctest.Wait()
		stop()
		assert.Equal(t, []string{"30m0s while paused", "1h0m0s 1h timer", "2h0m0s 2h timer"}, log)
	})
}

// A running clock is not stepped, and a scale must be positive and
// bounded: each is refused and changes nothing.
func TestPausableClockRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := NewPausable(ClockState{Wall: time.Now(), Scale: 10})
		_, err := clock.StepTo(time.Hour)
		require.ErrorIs(t, err, ErrClock)
		for _, bad := range []float64{0, -1, MaxScale * 2} {
			_, err := clock.SetScale(bad)
			require.ErrorIs(t, err, ErrClock, "scale %g", bad)
		}
		time.Sleep(time.Second)
		assert.Equal(t, 10*time.Second, clock.Present())
		assert.Equal(t, 10.0, clock.Rate())
	})
}

// At the highest scale virtual time reaches the end of a Duration in
// minutes of wall time: it stays at the end, never wrapping to the past
// (a server at a year a second ran backwards after five minutes).
func TestPausableClockEndsAtTheLastInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := NewPausable(ClockState{Wall: time.Now(), Scale: MaxScale})
		time.Sleep(time.Minute)
		minute := clock.Present()
		assert.Equal(t, time.Duration(60*MaxScale)*time.Second, minute)
		time.Sleep(10 * time.Minute) // 300 virtual years: past the end
		assert.Equal(t, time.Duration(math.MaxInt64), clock.Present())
		time.Sleep(time.Hour)
		assert.Equal(t, time.Duration(math.MaxInt64), clock.Present(), "it stays at the end")
	})
}

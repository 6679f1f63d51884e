package load

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// An arrival is never handed over before its time, on the system's clock:
// a wait short enough to be slept through precisely, one that begins on
// the runtime's timers, one already past.
func TestDueClockNeverEarly(t *testing.T) {
	clock := newDueClock()
	defer clock.close()
	timer := time.NewTimer(0)
	timer.Stop()
	start := time.Now()
	for _, after := range []time.Duration{300 * time.Microsecond, 1500 * time.Microsecond, 4 * time.Millisecond, 0, -time.Millisecond} {
		due := start.Add(after)
		assert.True(t, clock.until(context.Background(), timer, due))
		assert.False(t, time.Now().Before(due), "returned before its time, %v after the start", after)
		start = time.Now()
	}
}

// A run that ends while an arrival is far off does not wait for it; one
// that has ended hands over no arrival still to come.
func TestDueClockEndsWithTheRun(t *testing.T) {
	clock := newDueClock()
	defer clock.close()
	timer := time.NewTimer(0)
	timer.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	assert.False(t, clock.until(ctx, timer, time.Now().Add(time.Hour)))
	assert.False(t, clock.until(ctx, timer, time.Now().Add(time.Millisecond)), "due within the span slept through")
}

// BenchmarkDueClock measures how late arrivals 2 ms apart are handed
// over (their goroutine started), as a run at 500 a second has them: with
// the run's clock, and with the runtime's timers alone.
func BenchmarkDueClock(b *testing.B) {
	for _, c := range []struct {
		name  string
		clock func() *dueClock
	}{{"run", newDueClock}, {"timers", func() *dueClock { return &dueClock{timers: true} }}} {
		b.Run(c.name, func(b *testing.B) {
			clock := c.clock()
			defer clock.close()
			timer := time.NewTimer(0)
			timer.Stop()
			late := make([]time.Duration, b.N)
			started := make(chan struct{})
			start := time.Now()
			b.ResetTimer()
			for i := range b.N {
				due := start.Add(time.Duration(i+1) * 2 * time.Millisecond)
				clock.until(context.Background(), timer, due)
				go func() { late[i] = time.Since(due); started <- struct{}{} }()
				<-started
			}
			b.StopTimer()
			slices.Sort(late)
			b.ReportMetric(float64(late[b.N/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(late[b.N*99/100].Microseconds()), "p99-µs")
		})
	}
}

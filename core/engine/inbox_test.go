package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A serving engine on the wall clock takes submitted inputs at the present
// (a virtual hour per real minute here), its own timers when due, waits
// while there is nothing to do, and stops when its context ends.
func TestServeTakesSubmittedInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log []string
		e := New(Options{Clock: &Wall{Start: time.Now(), Scale: 60}})
		e.Handle(COM, recorder{log: &log, then: func(now time.Duration, msg any, out *Out) {
			if msg == "a" {
				out.Send(COM, 15*time.Minute, "a+15m")
			}
		}})
		e.Inject(time.Hour, COM, "timer")
		stop := serve(t, e)

		time.Sleep(30 * time.Second) // virtual 30m
		e.Submit(COM, "a")
		time.Sleep(150 * time.Second) // virtual 3h: the timers are past, the engine idles
		e.Submit(COM, "b")
		synctest.Wait()
		stop()
		assert.Equal(t, []string{"30m0s a", "45m0s a+15m", "1h0m0s timer", "3h0m0s b"}, log)
	})
}

// Many goroutines submit at once: every input is taken exactly once, and
// each goroutine's in the order it submitted them.
func TestSubmitConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var log []string
		e := New(Options{})
		e.Handle(SOM, recorder{log: &log})
		stop := serve(t, e)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 100 {
					e.Submit(SOM, fmt.Sprintf("%d/%03d", g, i))
				}
			})
		}
		wg.Wait()
		synctest.Wait()
		stop()
		require.Len(t, log, 800)
		next := map[int]int{}
		for _, l := range log {
			var g, i int
			_, err := fmt.Sscanf(l, "0s %d/%d", &g, &i)
			require.NoError(t, err, l)
			assert.Equal(t, next[g], i, "goroutine %d out of order", g)
			next[g] = i + 1
		}
	})
}

// Run, unlike Serve, ends when nothing is left, even with inputs
// submitted: those wait for a serving engine.
func TestRunIgnoresTheInbox(t *testing.T) {
	var log []string
	e := New(Options{})
	e.Handle(COM, recorder{log: &log})
	e.Submit(COM, "later")
	e.Inject(0, COM, "now")
	require.NoError(t, e.Run(context.Background()))
	assert.Equal(t, []string{"0s now"}, log)
}

// A query runs on the engine's goroutine between steps, sees the state the
// handlers left, and writes nothing to the journal.
func TestQuery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		count := 0
		mem := store.NewMemory()
		e := New(Options{Store: mem})
		e.Handle(COM, recorder{log: new([]string), then: func(now time.Duration, msg any, out *Out) {
			count++
			out.Record(store.Record{Kind: "x", Entity: fmt.Sprint(msg)})
		}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Serve(ctx) }()
		for i := range 5 {
			e.Submit(COM, i)
		}
		synctest.Wait()
		seen := -1
		require.NoError(t, e.Query(context.Background(), func() { seen = count }))
		assert.Equal(t, 5, seen)
		assert.Equal(t, 5, mem.Len())
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)

		// With no engine serving, a query waits for its context, an
		// admitted one for the admission time at most; given up, it never
		// runs, not even once the engine serves again: its caller may read
		// what the query would have written.
		ran := false
		qctx, qcancel := context.WithTimeout(context.Background(), time.Minute)
		defer qcancel()
		start := time.Now()
		assert.ErrorIs(t, e.Query(qctx, func() { ran = true }), context.DeadlineExceeded)
		assert.Equal(t, time.Minute, time.Since(start), "as long as its context")
		start = time.Now()
		assert.ErrorIs(t, e.QueryAdmitted(context.Background(), func() { ran = true }), ErrOverloaded)
		assert.Equal(t, time.Second, time.Since(start), "the default admission time")
		ctx, cancel = context.WithCancel(context.Background())
		go func() { done <- e.Serve(ctx) }()
		require.NoError(t, e.Query(ctx, func() {}))
		assert.False(t, ran, "a query given up does not run later")
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
}

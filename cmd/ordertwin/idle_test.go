package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// An idle server gives memory back once after each spell of work, and
// once after it starts; while inputs keep coming it does not, and a tick
// at which the engine cannot answer (0: its store stalls) tells nothing.
func TestReleaseWhenIdle(t *testing.T) {
	// What the engine has handled at each tick.
	counts := []uint64{120, 120, 120, 130, 140, 0, 140, 140, 150, 150}
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	at := -1 // the tick being handled
	var freedAt []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		releaseWhenIdle(ctx, ticks, func(context.Context) (uint64, error) {
			if at++; counts[at] == 0 {
				return 0, errors.New("the store cannot write")
			}
			return counts[at], nil
		}, func() { freedAt = append(freedAt, at) })
	}()
	for range counts {
		ticks <- time.Time{}
	}
	cancel()
	<-done
	assert.Equal(t, []int{1, 6, 9}, freedAt, "freed at the first idle tick after 120 (the restart), after 140 and after 150")
}

// A server that starts with nothing to replay gives back what starting
// took at its first tick, then waits for work.
func TestReleaseWhenIdleFresh(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ticks := make(chan time.Time)
	freed := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		releaseWhenIdle(ctx, ticks, func(context.Context) (uint64, error) { return 0, nil }, func() { freed++ })
	}()
	for range 3 {
		ticks <- time.Time{}
	}
	cancel()
	<-done
	assert.Equal(t, 1, freed)
}

package main

import (
	"context"
	"time"
)

// idleRelease is how often a server looks whether its engine is idle: at
// the first look that finds no input handled since the one before, after
// some work, it gives the memory it no longer uses back to the system.
const idleRelease = 5 * time.Second

// releaseWhenIdle calls free at each tick that finds the engine idle
// (work, a count of what it did, unchanged since the tick before) after
// work, once per spell of work; a server just started counts as having
// worked (its restart's replay leaves garbage). Serve counts inputs
// handled and snapshots kept: a snapshot taken once the inputs stopped
// (the interval's) leaves garbage too, a heap grown to GOGC=400's goal
// that nothing would give back. A tick at which work fails (the store
// stalls) tells nothing and is skipped. It returns when ctx ends.
//
// A serving process collects at GOGC=400 (main.go), which under load
// trades memory for speed but leaves up to five times the live heap
// mapped at rest: free (a collection, then the free pages back to the
// system) takes the rest back when there is nothing to trade it for.
func releaseWhenIdle(ctx context.Context, ticks <-chan time.Time, work func(context.Context) (uint64, error), free func()) {
	var last uint64
	worked := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		n, err := work(ctx)
		if err != nil {
			continue
		}
		switch {
		case n != last:
			last, worked = n, true
		case worked:
			free()
			worked = false
		}
	}
}

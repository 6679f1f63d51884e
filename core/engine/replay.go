package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
)

// Replay rebuilds the state of a serving engine after a restart. A fresh
// engine, set up exactly as before (same handlers, twin, seed, scenario),
// is given the inputs its input log kept; Replay runs it on the virtual
// clock, hands each logged input over when the engine has handled as many
// inputs as it had when it first took it, so every step repeats, and stops
// between two steps once every logged input is handed over and caught
// reports that the journal's records are all reproduced (see
// store.Resume). Serve then carries on from there on the engine's own
// clock.
func (e *Engine) Replay(ctx context.Context, logged []store.Input, caught func() bool) error {
	return e.replay(ctx, logged, caught, nil)
}

// ReplayTo is Replay that stops at a point the serving engine marked (a
// snapshot taken beside it, SnapshotPolicy.Take): once it has handled
// to.Inputs inputs, which must have made to.Records records. The inputs
// logged from that point on are left to a restart from the snapshot.
func (e *Engine) ReplayTo(ctx context.Context, logged []store.Input, to store.Snapshot) error {
	if to.Inputs < e.processed {
		return fmt.Errorf("replay to input %d: the engine is at %d already", to.Inputs, e.processed)
	}
	return e.replay(ctx, logged, nil, &to)
}

// replay is Replay, or ReplayTo when to is set.
func (e *Engine) replay(ctx context.Context, logged []store.Input, caught func() bool, to *store.Snapshot) error {
	clock := e.clock
	e.clock = Virtual{}
	defer func() { e.clock = clock }()
	e.running, e.replaying, e.snaps.resumed = true, true, true
	defer func() { e.running, e.replaying = false, false }()
	if to != nil {
		e.stopAt = to.Inputs
		defer func() { e.stopAt = 0 }()
	}
	logged = e.takeReads(logged)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if to != nil && e.processed == to.Inputs {
			if err := e.commit(); err != nil {
				return err
			}
			if e.recorded != to.Records {
				return fmt.Errorf("replay to input %d: %d records, but the engine had made %d", to.Inputs, e.recorded, to.Records)
			}
			return nil
		}
		for len(logged) > 0 && logged[0].Before <= e.processed {
			in := logged[0]
			if in.Before < e.processed {
				return fmt.Errorf("replay: logged input %s was taken after %d inputs, but the replay is at %d", in.Kind, in.Before, e.processed)
			}
			msg, err := e.codec.Decode(in.Kind, in.Body)
			if err != nil {
				return fmt.Errorf("replay: %w", err)
			}
			e.Inject(max(in.At, e.now), Address(in.To), msg)
			logged = logged[1:]
		}
		if to == nil && len(logged) == 0 && caught() {
			return e.commit()
		}
		if e.due.len() == 0 {
			if e.queue.len() == 0 {
				if len(logged) > 0 {
					return fmt.Errorf("replay: nothing left to run, but %d logged inputs wait (the first after %d inputs, the replay is at %d)",
						len(logged), logged[0].Before, e.processed)
				}
				return fmt.Errorf("replay: nothing left to run, but the journal holds records the replay did not reproduce")
			}
			e.now = e.queue.next()
		}
		if err := e.step(); err != nil {
			return fmt.Errorf("replay at %s: %w", time.Duration(e.now), err)
		}
		// Each step's records are checked against the journal at once:
		// caught must know where the replay stands.
		if err := e.commit(); err != nil {
			return fmt.Errorf("replay at %s: %w", time.Duration(e.now), err)
		}
	}
}

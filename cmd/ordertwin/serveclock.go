package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/scenarios"
	"github.com/ordertwin/ordertwin/ui"
)

// clockMeta is the store's meta key of the clock as the console last set
// it (paused, stepped, rescaled): a restart goes on from there.
const clockMeta = "clock"

// storeClock is the clock of a store served before: as the console last
// set it, or, never set, running at scale from T+0 at start.
func storeClock(st store.Settings, start time.Time, scale float64) (engine.ClockState, error) {
	v, ok, err := st.Meta(clockMeta)
	if err != nil || !ok {
		return engine.ClockState{Wall: start, Scale: scale}, err
	}
	var s engine.ClockState
	if err := json.Unmarshal([]byte(v), &s); err != nil || s.Scale <= 0 {
		return s, fmt.Errorf("its clock %q: want the clock a server kept (%v)", v, err)
	}
	return s, nil
}

// keepClock makes the clock's state durable in the store.
func keepClock(st store.Settings) func(engine.ClockState) error {
	return func(s engine.ClockState) error {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		return st.SetMeta(clockMeta, string(b))
	}
}

// pausedNote says, for serve's first line, that the clock stands still.
func pausedNote(s engine.ClockState) string {
	if s.Paused {
		return ", paused at " + tmf.FormatOffset(s.Virtual)
	}
	return ""
}

// consoleControls are the console's controls and what-ifs of a system
// served from st on clock; the caller sets the control's Node and Self
// once the server's handler is made. The processes of a deployment
// (role) share one clock from T+0: none of them steers it.
func consoleControls(sys *scenarios.System, st store.Settings, clock *engine.Pausable, role string, log *slog.Logger) (*ui.Control, *ui.WhatIfs) {
	c := &ui.Control{Clock: clock, Keep: keepClock(st), Twin: sys.Twin, Network: sys.Spec.Network.Name}
	if role != "" {
		c.Fixed = "the processes of a deployment (--role) share one clock: it is not paused, stepped or rescaled"
	}
	return c, &ui.WhatIfs{Log: log}
}

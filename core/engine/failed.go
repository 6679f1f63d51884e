package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ordertwin/ordertwin/core/store"
)

// A component that panics on an input has a defect the input reached, and
// may have changed part of its state before it panicked, which no
// refusal takes back (a refusal takes back only what the step added to
// Out). A serving engine so refuses the input (its record says where it
// panicked), answers it, and stops, taking no snapshot of that state:
// Serve returns ErrPanicked. The state is then rebuilt from the store
// (serve does it at once), and the replay heals it: an input whose
// journalled refusal is a panic is not handed to its component again, its
// refusal is the journal's (healed). The state is the one the component
// had before the input, and the journal is unchanged. A run in virtual
// time (not serving) refuses the input and carries on.

// ErrPanicked: a serving engine stopped after a component panicked on an
// input (failed.go); the error names the refusal.
var ErrPanicked = errors.New("a component panicked on an input: the engine stopped for its state to be rebuilt without it")

// panicPrefix begins the reason of a refusal of an input a component
// panicked on (handle).
const panicPrefix = "panic in "

// stopFailed makes the failed step durable, its answers given, and
// returns ErrPanicked.
func (e *Engine) stopFailed() error {
	if err := e.durable(); err != nil {
		return err
	}
	return fmt.Errorf("%w: %v", ErrPanicked, e.failed)
}

// healed tells whether a replayed input is one a component panicked on,
// as the journal's next record says (store.Ahead): then its refusal is
// made again as journalled (out's error), and the component is not
// given it.
func (e *Engine) healed(in Input, out *Out) bool {
	ahead, ok := e.store.(store.Ahead)
	if !ok {
		return false
	}
	r, ok := ahead.Ahead(len(e.unsaved) + len(out.records))
	if !ok || r.Kind != Refused || r.System != in.To.String() || !strings.HasPrefix(r.Reason, panicPrefix) {
		return false
	}
	kind := fmt.Sprintf("%T", in.Msg)
	if u, ok := in.Msg.(unlogged); ok {
		kind = u.Kind
	}
	if r.Entity != kind {
		return false
	}
	out.err = errors.New(r.Reason)
	return true
}

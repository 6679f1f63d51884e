package engine

import "time"

// Peer takes the messages sent to a component that runs in another
// process: COM, SOM and ROM deployed apart (docs/architecture.md §1) talk over the
// TMF APIs, and a Peer carries one component's messages there. Deliver is
// called on the engine's goroutine, in the order the messages were sent,
// once the step that sent them is committed (the outbox rule); it must not
// block. A replay after a restart delivers every message again, in the
// same order: a Peer numbers them so that the receiver drops those it
// has (at least once, in order).
type Peer interface {
	Deliver(at time.Duration, msg any)
}

// Remote routes the messages for component a to p instead of a handler of
// this engine.
func (e *Engine) Remote(a Address, p Peer) { e.peers[a] = p }

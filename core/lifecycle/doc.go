// Package lifecycle declares every lifecycle of the core — the TMF v4 order
// and order item state machines and ordertwin's own quote, approval, wave and
// shipment lifecycles — as github.com/looplab/fsm event tables, one table per
// entity kind, all in tables.go.
//
// Entities carry only their state. A Set holds one machine per lifecycle
// (the flyweight rule of docs/architecture.md §3): Fire sets the machine to the entity's
// state, fires the event and reads the result back. A Set is owned by one
// engine and is not safe for concurrent use; parallel runs each build their
// own.
//
// Fire never runs callbacks (none are declared), always uses a
// non-cancellable context, and turns every refusal into an *IllegalError
// that names the entity, its state and the event.
package lifecycle

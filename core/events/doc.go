// Package events delivers the core's changes to the listeners that
// clients register on the hub of a TMF API (TMF630 hub/listener, the event
// envelope of TMF688): ProductOrderCreateEvent, ProductOrderStateChangeEvent
// and the like, each POSTed to the listener's callback.
//
// The events come from the durable journal, never from the engine's
// observers: the notifier reads committed records only, so nothing outside
// sees a change that a crash could still take back (docs/architecture.md §2, the
// outbox rule). Each record concerns at most one API; the notifier
// translates it into that API's event, with the record's sequence number
// as the eventId, so an event has the same id however often it is sent.
//
// Guarantees, per listener:
//   - at least once: a listener's cursor (the last record it was given, or
//     that did not concern it) is kept in the store and moves only after
//     its callback answered 2xx; a restart resumes after the cursor, so an
//     event may come twice (with the same eventId), never not at all;
//   - in journal order, hence in order per entity: the next event waits
//     until the callback took the one before;
//   - retried while the callback fails (an error, or no 2xx answer), with
//     exponential backoff from Options.MinBackoff to Options.MaxBackoff;
//   - from the record after the listener's registration until its removal:
//     nothing recorded after the removal is sent, and the backlog (retries
//     included) is dropped once the notifier reads the removal.
//
// The engine never waits for a listener: the notifier runs on goroutines
// of its own, one per listener plus one that watches the journal for
// listeners registered and removed, and reads the store through a handle
// of its own (sqlite.Outbox). Engine.Observe may call Wake to have records
// delivered at once; without it they go out at the next poll.
package events

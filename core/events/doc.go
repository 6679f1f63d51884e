// Package events delivers the core's changes to the listeners that
// clients register on the hub of a TMF API (TMF630 hub/listener, the event
// envelope of TMF688): ProductOrderCreateEvent, ProductOrderStateChangeEvent
// and the like, each POSTed to the listener's callback.
//
// The events come from the store's feed of committed records, never from
// the engine's observers: the notifier reads committed records only, so nothing outside
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
//   - retried while the callback fails (an error, or no 2xx answer, a
//     redirect included: none is followed), with exponential backoff from
//     Options.MinBackoff to Options.MaxBackoff;
//   - suspended when it keeps failing (Options.SuspendAfter attempts in a
//     row over at least Options.SuspendWindow): the Directory records it
//     (GET hub/{id} shows it, with the last error), and it costs nothing
//     until it is made active again, when it resumes at the event that
//     failed;
//   - from the record after the listener's registration until its removal:
//     nothing recorded after the removal is sent, and the backlog (retries
//     included) is dropped once the notifier reads the removal.
//
// Callbacks go only where the allow-list (Callbacks) says: it is checked
// when a listener registers and again, by the delivery client's dialer, on
// every address it connects to after name resolution. A callback's
// secrets (user, password, token-like query parameters) are redacted in
// the log (Redact).
//
// The engine never waits for a listener, and an idle listener costs
// nothing: one goroutine reads the store's feed of committed records
// (store.Feed), which wakes it after each commit and hands it the records
// from memory; it translates each record once, and hands its event to the
// listeners whose query takes it, found by API and event type. With no
// listener registered it translates nothing and reads nothing of the
// store: it only looks for a listener's registration. A listener runs a
// goroutine of its own only while it has events to deliver; one that falls
// far behind (or is made active again) reads the feed itself, from its
// cursor, until it is back in step (behind the feed's window, the feed
// reads the store by seq range). The cursors of idle listeners are kept
// in one write, every few seconds while records come, in the SQLite file
// through a handle of the notifier's own (sqlite.Outbox).
package events

// Package engine is the driver of the core, after etcd raft: the
// orchestration logic (COM, SOM, ROM) is a set of Handlers that do no IO,
// start no goroutines and read no clock; the engine feeds them inputs one at
// a time, strictly in (time, sequence) order, and collects what they yield
// (journal records, messages to other components, adapter calls, events) in
// an Out.
//
// The outbox rule: nothing outside the process sees a change that could
// still be lost. Records wait for a commit across steps (group commit, on a
// goroutine of its own for a durable store), and the engine waits for it
// before anything leaves: an answer to a command, a call to an adapter that
// is not InProcess, a message to a component in another process (Peer), a
// query, an idle wait on a real clock, the end of a run. The twin is
// InProcess: what it is told, a replay rebuilds.
//
// Commands from outside (Submit, Command) are logged, with how many inputs
// the engine had handled when it took each, in the commit of the records of
// handling them. A restarted engine replays them at the same points on the
// virtual clock (Replay) and repeats every step: the state it reaches is the
// state that was committed, checked record by record against the journal.
//
// No input stops the engine. A handler that cannot apply an input says so
// with Out.Error, after checking the input before it changes its own
// state; an input for a component the engine does not run, a call to a
// system no adapter serves and a handler's panic count the same. The input
// is then refused: what handling it added to Out is taken back, a record
// of kind "refused" (Refused: the input's kind as entity, the component as
// system, the reason) is journalled in its place, a command waiting for it
// is answered with the Refusal (errors.Is ErrRefused), and the engine
// takes the next input. A replay meets the logged input again and refuses
// it again, to the same record, checked like every other. The engine stops
// only when it cannot keep its own promises: a replay that does not
// reproduce the journal.
//
// A serving engine never stops for its store: a commit that fails (a full
// disk) is retried until it succeeds, the steps it holds waiting, and
// meanwhile commands are refused at once (StoreFault). Nor does it let
// requests queue for long: commands and queries it cannot take soon are
// refused with ErrOverloaded (Limits).
//
// Adapters that are not InProcess answer through the inbox, from any
// goroutine; their answers are logged like commands, each call has a
// deadline that answers it with a transient error, a replay never calls
// them, and a call a restart left unanswered is sent again with its
// idempotency key (outside.go).
//
// Clocks: the virtual clock jumps to the next input, so a 45-day rollout
// takes milliseconds and a run is fully deterministic; the wall clock waits
// for it, optionally scaled. Adapters answer on the same clock. Randomness
// comes from per-component seeded streams (Rand), so a new consumer of
// randomness does not shift the draws of the others.
package engine

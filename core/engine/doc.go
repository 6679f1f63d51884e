// Package engine is the driver of the core, after etcd raft: the
// orchestration logic (COM, SOM, ROM) is a set of Handlers that do no IO,
// start no goroutines and read no clock; the engine feeds them inputs one at
// a time, strictly in (time, sequence) order, and collects what they yield
// (journal records, messages to other components, adapter calls, events) in
// an Out.
//
// The outbox rule: the engine commits the journal records of a batch of
// inputs to the store before it dispatches any message, adapter call or
// event of that batch, so nothing outside the process sees a change that
// could still be lost.
//
// Clocks: the virtual clock jumps to the next input, so a 45-day rollout
// takes milliseconds and a run is fully deterministic; the wall clock waits
// for it, optionally scaled. Adapters answer on the same clock. Randomness
// comes from per-component seeded streams (Rand), so a new consumer of
// randomness does not shift the draws of the others.
package engine
